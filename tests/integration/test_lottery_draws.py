"""The monthly lottery, wired: tickets from real challenge completions (once, whatever the redeliveries), the timer
through announce → close → draw against the fake drand beacon on loopback, the public record served by the
endpoint, verified by `python -m shared.lottery verify` and recomputed by the independent implementation of
tests/unit/test_lottery.py; prizes through the ledgers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from shared import clock
from shared.adapters.beacon import QUICKNET_CHAIN, round_time
from shared.events import ChallengeCompleted, PostPublished
from shared.events.delivery import replay_events
from shared.lottery.service import PRIZES, next_month_start
from shared.uow import run
from tests.support.api import call
from tests.support.challenges import seed_challenges
from tests.support.db import ledger_ok, scalar, timer, work_all
from tests.support.lottery_reference import ref_draw

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def challenges(db):
    seed_challenges()


def post(user_id: int, post_id: int) -> None:
    run(lambda uow: uow.publish(PostPublished(post_id=post_id, author_id=user_id)))


def test_a_month_of_tickets_drawn_verified_and_paid(world, tmp_path):
    a, b, c = world.developer(), world.developer(), world.developer()
    admin = world.admin()
    assert call("POST", "/payments/admin/budget/topup", {"amount_fen": 50_000, "reference": "lottery", "note": "奖池"},
                admin.token).status in (200, 201)
    first = timer("lottery")
    assert first["announced"] == 1
    assert timer("lottery")["announced"] == 0  # once a month
    draw_id = call("GET", "/lottery/draws").body["items"][0]["id"]
    announced = call("GET", f"/lottery/draws/{draw_id}").body
    assert set(announced) == {"format", "lottery", "close_time", "commitment", "beacon", "k"}  # no seed yet
    assert announced["lottery"] == "2026-11" and announced["close_time"] == "2026-12-01T00:00:00+08:00"
    close_time = next_month_start(clock.now())
    assert announced["beacon"]["source"] == f"drand:{QUICKNET_CHAIN}"
    assert close_time + timedelta(minutes=10) <= round_time(int(announced["beacon"]["round"])) < \
        close_time + timedelta(minutes=10, seconds=4)  # the first round 10 minutes after the close

    # Weekly challenge completions: one ticket each. a twice (two weeks), b once, c never; replays add nothing.
    post(a.user_id, 1)
    post(b.user_id, 2)
    work_all()
    t0, t1 = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    run(lambda uow: replay_events(uow, "ChallengeCompleted", "lottery.tickets", t0, t1))
    work_all()
    clock.get_clock().advance(timedelta(days=5))  # Monday Nov 30: a new week, same month
    world.renew(a, b, c, admin)
    post(a.user_id, 3)
    work_all()
    assert call("GET", "/lottery/mine", token=a.token).body == {"lottery": "2026-11", "tickets": 2}
    assert call("GET", "/lottery/mine", token=c.token)["tickets"] == 0

    # c completes a challenge on Nov 30, but its ticket is delivered only after the close (a job lagging).
    run(lambda uow: uow.publish(ChallengeCompleted(user_id=c.user_id, challenge_key="apply", challenge_name="投递挑战",
                                                   window="reg:7-21", lottery_entries=1)))

    # Past the close (00:00 Beijing, Dec 1): entries frozen; the beacon round is not out yet.
    clock.get_clock().set(next_month_start(clock.now()) + timedelta(seconds=5))
    step = timer("lottery")
    assert (step["announced"], step["closed"], step["drawn"], step["waiting"]) == (1, 1, 0, 1)  # December announced
    closed = call("GET", f"/lottery/draws/{draw_id}").body
    assert closed["entries"] == sorted([[a.user_id, 2], [b.user_id, 1]]) and "seed" not in closed
    assert (closed["entry_count"], closed["ticket_total"]) == (2, 3)
    # The late ticket goes to December's draw, not into the frozen list.
    work_all()
    assert call("GET", f"/lottery/draws/{draw_id}").body["entries"] == closed["entries"]
    assert scalar("SELECT lottery FROM lottery_entries WHERE user_id = :u", u=c.user_id) == "2026-12"

    clock.get_clock().advance(timedelta(minutes=9, seconds=50))
    assert timer("lottery")["waiting"] == 1  # 9:55 after the close: the round is not out yet
    clock.get_clock().advance(timedelta(seconds=10))  # the beacon round is out
    step = timer("lottery")
    assert step["drawn"] == 1
    assert timer("lottery")["drawn"] == 0  # once
    record = call("GET", f"/lottery/draws/{draw_id}").body
    assert record["seed"] and record["beacon"]["value"] and len(record["winners"]) == 2

    # Anyone: the command verifies the endpoint's record alone …
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "shared.lottery", "verify", str(path)], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip().endswith("VERIFIED"), done.stdout + done.stderr
    # … and the independent implementation draws the same winners.
    winners, _, _ = ref_draw(bytes.fromhex(record["seed"]), record["beacon"]["source"], record["beacon"]["round"],
                             bytes.fromhex(record["beacon"]["value"]), [tuple(e) for e in record["entries"]],
                             record["k"])
    assert winners == record["winners"]
    # A tampered record fails.
    path.write_text(json.dumps({**record, "winners": record["winners"][::-1]}), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "shared.lottery", "verify", str(path)], cwd=ROOT,  # noqa: S603
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1

    # Prizes by rank: cash for the first from the budget, points for the second.
    first_winner, second_winner = record["winners"]
    assert PRIZES[0][0] == "cash" and PRIZES[1][0] == "points"
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = :c", c=f"payable:user:{first_winner}") == \
        PRIZES[0][1]
    assert scalar("SELECT sum(delta) FROM points_entries WHERE user_id = :u AND reason = 'lottery_prize'",
                  u=second_winner) == PRIZES[1][1]
    assert scalar("SELECT count(*) FROM notifications WHERE kind = 'lottery_won'") == 2
    assert scalar("SELECT count(*) FROM lottery_prizes WHERE state = 'paid'") == 2
    ledger_ok()


def test_an_unknown_draw_is_404():
    r = call("GET", "/lottery/draws/999")
    assert r.status == 404 and r["code"] == "LOTTERY_DRAW_NOT_FOUND"
