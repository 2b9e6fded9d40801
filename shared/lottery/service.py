"""The monthly lottery, wired: tickets from completed challenges, one draw per Beijing month through its stages, the
public record at each stage, prizes through the ledgers. The draw and the record are the pure draw.py / record.py.

    announce  (the `lottery` timer, any time in month M)  a secret 32-byte seed; the record publishes its commitment,
              the close time (00:00 Beijing on the 1st of M+1), k and the beacon: drand quicknet's first round
              published a minute after the close — a value nobody can know before the entries are frozen;
    close     (first timer run after the close time)      the canonical entry list and its digest, frozen into the
              record; tickets earned later go to the next month's draw;
    draw      (first run once the beacon round is out)    the beacon value fetched (outside any transaction), the
              winners drawn, the seed revealed in the record, the prizes granted — all in one transaction.

Anyone recomputes a draw from `GET /lottery/draws/{id}` alone (`python -m shared.lottery verify draw.json`).
Prizes (`PRIZES`, by rank): cash from platform:budget into the winner's payable (ledger `lottery_prize`), points
through the points ledger. A cash prize the budget cannot cover yet stays `owed` and is paid by a later timer run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared.adapters import beacon
from shared.clock import SHANGHAI, start_of_shanghai_month
from shared.events import ChallengeCompleted, Stored
from shared.growth.points import grant_points
from shared.ledger import accounts as acc
from shared.ledger.service import budget_covers, pay_from_budget
from shared.lottery import texts
from shared.lottery.draw import canonical_entries, new_seed
from shared.lottery.errors import DrawNotFound
from shared.lottery.record import announce, close, complete, parse
from shared.uow import UnitOfWork, run

# (kind, amount) by rank: cash in fen, points in 成长积分. k = len(PRIZES).
PRIZES: tuple[tuple[str, int], ...] = (("cash", 10_000), ("points", 500), ("points", 500))


def month_key(at: datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.year}-{local.month:02d}"


def next_month_start(at: datetime) -> datetime:
    return start_of_shanghai_month(start_of_shanghai_month(at) + timedelta(days=32))


# ------------------------------------------------------------------------------------------------ entries


def add_tickets(uow: UnitOfWork, user_id: int, tickets: int, source: str, at: datetime) -> str | None:
    """Tickets earned at `at` go to that month's draw, or to the next open one if that draw has closed already
    (serialised with the close by a share lock on the draw row). Idempotent on `source`. Returns the lottery."""
    lottery = month_key(at)
    for _ in range(24):
        state = uow.execute("SELECT state FROM lottery_draws WHERE lottery = :l FOR SHARE", {"l": lottery}).scalar()
        if state in (None, "announced"):
            break
        at = next_month_start(at)
        lottery = month_key(at)
    inserted = uow.execute("INSERT INTO lottery_entries (lottery, source, user_id, tickets, created_at)"
                           " VALUES (:l, :s, :u, :t, :now) ON CONFLICT DO NOTHING RETURNING lottery",
                           {"l": lottery, "s": source, "u": user_id, "t": tickets, "now": uow.now}).first()
    return lottery if inserted else None


def on_challenge_completed(uow: UnitOfWork, stored: Stored[ChallengeCompleted]) -> None:
    e = stored.event
    if e.lottery_entries > 0:
        source = f"challenge:{e.user_id}:{e.challenge_key}:{e.window}"
        add_tickets(uow, e.user_id, e.lottery_entries, source, stored.occurred_at)


def my_tickets(uow: UnitOfWork, user_id: int) -> dict[str, Any]:
    lottery = month_key(uow.now)
    tickets = uow.execute("SELECT coalesce(sum(tickets), 0) FROM lottery_entries WHERE lottery = :l AND user_id = :u",
                          {"l": lottery, "u": user_id}).scalar_one()
    return {"lottery": lottery, "tickets": int(tickets)}


# ------------------------------------------------------------------------------------------------ the stages


def announce_due(uow: UnitOfWork) -> int:
    """This month's draw, announced if it is not yet (the commitment published before any entry is frozen)."""
    lottery = month_key(uow.now)
    if uow.execute("SELECT 1 FROM lottery_draws WHERE lottery = :l", {"l": lottery}).first():
        return 0
    seed = new_seed()
    close_time = next_month_start(uow.now)
    round_ = beacon.first_round_after(close_time)
    record = announce(lottery=lottery, close_time=close_time.astimezone(SHANGHAI), seed=seed,
                      beacon_source=beacon.SOURCE, beacon_round=round_, k=len(PRIZES))
    row = uow.execute(
        "INSERT INTO lottery_draws (lottery, state, close_time, beacon_round, seed, record, announced_at, updated_at)"
        " VALUES (:l, 'announced', :c, :r, :seed, CAST(:rec AS jsonb), :now, :now)"
        " ON CONFLICT (lottery) DO NOTHING RETURNING id",
        {"l": lottery, "c": close_time, "r": round_, "seed": seed, "rec": json.dumps(record.to_dict()),
         "now": uow.now}).first()
    return 1 if row else 0


def close_due(uow: UnitOfWork) -> int:
    """Draws past their close time: the entries are frozen, canonical, into the record with their digest."""
    closed = 0
    for row in uow.execute("SELECT id, lottery, record FROM lottery_draws WHERE state = 'announced'"
                           " AND close_time <= :now ORDER BY id FOR UPDATE", {"now": uow.now}).all():
        pairs = [(int(r.user_id), int(r.tickets)) for r in uow.execute(
            "SELECT user_id, sum(tickets) AS tickets FROM lottery_entries WHERE lottery = :l GROUP BY user_id",
            {"l": row.lottery})]
        record = close(parse(row.record), canonical_entries(pairs))
        uow.execute("UPDATE lottery_draws SET state = 'closed', record = CAST(:rec AS jsonb), closed_at = :now,"
                    " updated_at = :now WHERE id = :id",
                    {"rec": json.dumps(record.to_dict()), "now": uow.now, "id": row.id})
        closed += 1
    return closed


def waiting_for_beacon(uow: UnitOfWork) -> list[tuple[int, int]]:
    return [(int(r.id), int(r.beacon_round)) for r in uow.execute(
        "SELECT id, beacon_round FROM lottery_draws WHERE state = 'closed' ORDER BY id")]


def complete_draw(uow: UnitOfWork, draw_id: int, beacon_value: str) -> bool:
    """Draw with the beacon's value, reveal the seed, grant the prizes. Once: the row is locked and must be closed."""
    row = uow.execute("SELECT lottery, state, seed, record FROM lottery_draws WHERE id = :id FOR UPDATE",
                      {"id": draw_id}).first()
    if row is None or row.state != "closed":
        return False
    record = parse(row.record)
    assert record.entries is not None
    drawn = complete(record, record.entries, bytes(row.seed), beacon_value=beacon_value, value_encoding="hex")
    uow.execute("UPDATE lottery_draws SET state = 'drawn', record = CAST(:rec AS jsonb), drawn_at = :now,"
                " updated_at = :now WHERE id = :id", {"rec": json.dumps(drawn.to_dict()), "now": uow.now,
                                                      "id": draw_id})
    for rank, user_id in enumerate(drawn.winners or (), start=1):
        kind, amount = PRIZES[rank - 1]
        uow.execute("INSERT INTO lottery_prizes (draw_id, rank, user_id, kind, amount, state, created_at, updated_at)"
                    " VALUES (:d, :r, :u, :k, :a, 'owed', :now, :now) ON CONFLICT DO NOTHING",
                    {"d": draw_id, "r": rank, "u": user_id, "k": kind, "a": amount, "now": uow.now})
        prize = f"{amount} 成长积分" if kind == "points" else f"现金 {acc.yuan(amount)} 元"
        uow.notify(user_id, *texts.LOTTERY_WON.render(lottery=row.lottery, prize=prize),
                   data={"draw_id": draw_id, "rank": rank}, dedupe_key=f"lottery:{draw_id}:{rank}")
    pay_prizes(uow, draw_id)
    return True


def pay_prizes(uow: UnitOfWork, draw_id: int | None = None) -> int:
    """Prizes still owed (of one draw, or all): points at once, cash while the budget covers it."""
    paid = 0
    for p in uow.execute("SELECT draw_id, rank, user_id, kind, amount FROM lottery_prizes WHERE state = 'owed'"
                         + (" AND draw_id = :d" if draw_id is not None else "")
                         + " ORDER BY draw_id, rank FOR UPDATE", {"d": draw_id}).all():
        ref = f"lottery:{p.draw_id}:{p.rank}"
        if p.kind == "points":
            grant_points(uow, int(p.user_id), int(p.amount), source_class="lottery", kind="lottery_prize", ref=ref,
                         reason="月度抽奖奖品")
        else:
            if not budget_covers(uow, int(p.amount)):
                continue
            pay_from_budget(uow, "lottery_prize", ref, int(p.user_id), int(p.amount),
                            memo="monthly lottery prize from the platform budget")
        uow.execute("UPDATE lottery_prizes SET state = 'paid', updated_at = :now WHERE draw_id = :d AND rank = :r",
                    {"now": uow.now, "d": p.draw_id, "r": p.rank})
        paid += 1
    return paid


def advance() -> dict[str, int]:
    """The `lottery` timer: every stage that is due, each in its own unit of work; the beacon is fetched between
    them, never inside a transaction. Safe to run at any time, any number of times."""
    out = {"announced": run(announce_due), "closed": run(close_due), "drawn": 0, "waiting": 0}
    for draw_id, round_ in run(waiting_for_beacon):
        value = beacon.fetch(round_)
        if value is None:
            out["waiting"] += 1
            continue
        out["drawn"] += int(run(partial(complete_draw, draw_id=draw_id, beacon_value=value)))
    out["prizes_paid"] = run(pay_prizes)
    return out


# ------------------------------------------------------------------------------------------------ reads


def public_record(uow: UnitOfWork, draw_id: int) -> dict[str, Any]:
    row = uow.execute("SELECT record FROM lottery_draws WHERE id = :id", {"id": draw_id}).first()
    if row is None:
        raise DrawNotFound()
    return dict(row.record)


def list_draws(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [{"id": r.id, "lottery": r.lottery, "state": r.state, "close_time": r.close_time} for r in uow.execute(
        "SELECT id, lottery, state, close_time FROM lottery_draws ORDER BY close_time DESC LIMIT 36")]
