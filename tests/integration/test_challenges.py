"""The challenge engine on the real database with real events: the onboarding flows through the API move progress,
complete a window once (ChallengeCompleted with the rewards filled), redeliveries and replays change nothing,
running windows keep their rules after an admin edit, the mentor cash bonus goes through the ledger from the
platform budget; and the daily check-in: once per day under concurrency, streaks across days, the repair."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from shared import clock
from shared.events import MentorReviewGiven, PostPublished
from shared.events.delivery import replay_events
from shared.uow import run
from tests.support.api import call
from tests.support.challenges import seed_challenges
from tests.support.db import execute, ledger_ok, rows, scalar, timer, wait_until, work_all


@pytest.fixture(autouse=True)
def challenges(db):
    seed_challenges()


def completions(user_id: int) -> list[dict]:
    return [r.data for r in rows("SELECT data FROM event_log WHERE name = 'ChallengeCompleted'"
                                 " AND user_ids @> ARRAY[CAST(:u AS bigint)] ORDER BY id", u=user_id)]


def mine(actor) -> dict[str, dict]:
    r = call("GET", "/challenges/mine", token=actor.token)
    assert r.status == 200, r.body
    return {c["key"]: c for c in r["items"]}


def test_the_welcome_challenge_completes_once_through_the_real_flow(world):
    dev = world.developer()  # registered + profile complete
    work_all()
    welcome = mine(dev)["welcome"]
    assert welcome["status"] == "running" and welcome["summary"] == "2/3 已完成"
    assert [c["met"] for c in welcome["conditions"]] == [True, True, False]
    assert completions(dev.user_id) == []
    assert call("GET", "/tasks", token=dev.token).status == 200  # browsed the hall
    work_all()
    welcome = mine(dev)["welcome"]
    assert welcome["status"] == "completed" and welcome["summary"] == "3/3 已完成"
    done = completions(dev.user_id)
    assert len(done) == 1
    assert done[0] | {} == {**done[0], "challenge_key": "welcome", "challenge_name": "入驻见面礼", "window": "reg:0-7",
                            "points": 100, "badge_key": "welcome", "backfill": False}
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'challenge_completed'",
                  u=dev.user_id) == 1
    # A replay of every counted event re-delivers them: nothing is counted twice, nothing completes again.
    t0, t1 = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    for name in ("UserRegistered", "ProfileCompleted", "HallBrowsed"):
        run(lambda uow, n=name: replay_events(uow, n, "challenges.progress", t0, t1))
    work_all()
    assert len(completions(dev.user_id)) == 1
    assert scalar("SELECT count(*) FROM challenge_progress") == 3


def test_the_apply_challenge_counts_only_inside_its_window(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    assert call("POST", "/applications", {"task_id": task["id"]}, dev.token).status == 201
    work_all()
    apply = mine(dev)["apply"]
    assert apply["status"] == "upcoming" and apply["summary"] == "0/1 已完成"  # week 1: not yet in its window
    assert [d["challenge_key"] for d in completions(dev.user_id)] == []
    # Day 7 in Beijing: the window opens; an application there completes it (title + a lottery entry).
    clock.get_clock().set(clock.start_of_shanghai_day(clock.now()) + timedelta(days=7))
    world.renew(dev, merchant)
    task2 = world.open_task(merchant)
    assert call("POST", "/applications", {"task_id": task2["id"]}, dev.token).status == 201
    work_all()
    [done] = [d for d in completions(dev.user_id) if d["challenge_key"] == "apply"]
    assert done["title_key"] == "job_seeker" and done["lottery_entries"] == 1 and done["window"] == "reg:7-21"


def test_a_running_window_keeps_its_snapshot_after_an_edit(world):
    dev, admin = world.developer(), world.admin()
    run(lambda uow: uow.publish(PostPublished(post_id=1, author_id=dev.user_id)))
    work_all()
    assert [d["challenge_key"] for d in completions(dev.user_id)] == ["weekly"]
    # Tighten the rule; next week's window takes it, this one (already complete) is untouched.
    weekly = call("GET", "/challenges/admin/weekly", token=admin.token).body
    rule = weekly["definition"]
    rule["rule"]["conditions"][1]["count"] = 2
    assert call("PUT", "/challenges/admin/weekly", {"name": weekly["name"], "definition": rule, "reason": "x"},
                admin.token).status == 200
    assert mine(dev)["weekly"]["status"] == "completed"
    clock.get_clock().advance(timedelta(days=7))
    world.renew(dev)
    run(lambda uow: uow.publish(PostPublished(post_id=2, author_id=dev.user_id)))
    work_all()
    now = mine(dev)["weekly"]
    assert now["status"] == "running" and now["conditions"][1]["count"] == 1 and now["conditions"][1]["need"] == 2
    snapshots = rows("SELECT window_key, challenge_version FROM challenge_windows WHERE challenge_key = 'weekly'"
                     " ORDER BY window_key")
    assert [r.challenge_version for r in snapshots] == [1, 2]


def test_an_invalid_definition_is_refused_naming_the_field(world):
    admin = world.admin()
    bad = {"window": {"kind": "weekly"}, "rule": {"combine": "all", "conditions": [
        {"key": "x", "label": "x", "event": "TaskOpened", "user_field": "task_id"}]}}
    r = call("PUT", "/challenges/admin/weekly", {"name": "x", "definition": bad}, admin.token)
    assert r.status == 422 and r["errors"][0]["field"] == "definition.rule.conditions[0].event", r.body
    assert call("GET", "/challenges/admin/nope", token=admin.token).status == 404
    r = call("PUT", "/challenges/admin/Bad-Key", {"name": "x", "definition": bad}, admin.token)
    assert r.status == 422 and r["errors"][0]["field"] == "challenge_key", r.body
    dev = world.developer()
    assert call("GET", "/challenges/admin", token=dev.token).status == 403


def test_the_mentor_bonus_needs_the_growth_pass_and_is_paid_once_from_the_budget(world):
    dev, admin = world.developer(), world.admin()
    review = MentorReviewGiven(enrolment_id=1, mentor_id=999, developer_id=dev.user_id, score=90, accepted=True)
    run(lambda uow: uow.publish(review))
    work_all()
    assert mine(dev)["mentor"]["status"] == "locked" and completions(dev.user_id) == []
    r = call("POST", "/billing/subscriptions", {"plan": "growth", "months": 1}, dev.token)  # the growth pass
    assert r.status == 201, r.body
    world.wechatpay.pay(r["out_trade_no"])
    wait_until(lambda: scalar("SELECT state FROM payment_orders WHERE out_trade_no = :n", n=r["out_trade_no"])
               == "paid", what="growth pass paid")
    assert call("POST", "/payments/admin/budget/topup", {"amount_fen": 10_000, "reference": "t1", "note": "预算"},
                admin.token).status in (200, 201)
    run(lambda uow: uow.publish(MentorReviewGiven(enrolment_id=2, mentor_id=999, developer_id=dev.user_id, score=95,
                                                  accepted=True)))
    work_all()
    [done] = completions(dev.user_id)
    assert done["cash_fen"] == 20_000
    assert scalar("SELECT state FROM challenge_cash") == "owed"  # ¥100 in the budget cannot pay ¥200
    assert call("POST", "/payments/admin/budget/topup", {"amount_fen": 20_000, "reference": "t2", "note": "预算"},
                admin.token).status in (200, 201)
    assert timer("challenges")["bonuses_paid"] == 1
    assert timer("challenges")["bonuses_paid"] == 0
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = :c", c=f"payable:user:{dev.user_id}") == 20_000
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:budget'") == 10_000
    ledger_ok()


# ------------------------------------------------------------------------------------------------ check-in


def test_concurrent_check_ins_from_two_devices_count_once(world):
    dev = world.developer()
    answers = []
    barrier = threading.Barrier(2)

    def tap():
        barrier.wait()
        answers.append(call("POST", "/checkin", token=dev.token))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status for a in answers) == [200, 200]
    assert sorted(a["new"] for a in answers) == [False, True]
    assert scalar("SELECT count(*) FROM checkins WHERE user_id = :u", u=dev.user_id) == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'CheckedIn'") == 1
    assert call("GET", "/checkin", token=dev.token).body | {} == {
        **call("GET", "/checkin", token=dev.token).body, "streak": 1, "total": 1, "checked_in_today": True}


def test_a_three_day_streak_a_freeze_and_the_outage_repair(world):
    dev, admin = world.developer(), world.admin()
    fixed = clock.get_clock()
    for _ in range(7):
        r = call("POST", "/checkin", token=dev.token)
        assert r.status == 200 and r["new"], r.body
        fixed.advance(timedelta(days=1))
        world.renew(dev, admin)
    assert r["streak"] == 7 and r["freeze_earned"] and r["freezes"] == 1
    fixed.advance(timedelta(days=1))  # one day missed: the freeze covers it
    world.renew(dev, admin)
    r = call("POST", "/checkin", token=dev.token)
    assert (r["streak"], r["freezes_used"], r["freezes"], r["total"]) == (8, 1, 0, 8), r.body
    fixed.advance(timedelta(days=3))  # two days missed, no freeze: broken
    world.renew(dev, admin)
    r = call("POST", "/checkin", token=dev.token)
    assert (r["streak"], r["total"], r["longest"]) == (1, 9, 8), r.body
    # The platform was down on those two days: the repair excuses them and the streak is whole again.
    today = clock.shanghai_date(clock.now())
    body = {"start": (today - timedelta(days=2)).isoformat(), "end": (today - timedelta(days=1)).isoformat(),
            "reason": "平台故障"}
    r = call("POST", "/checkin/admin/repair", body, admin.token)
    assert r.status == 200 and r["users_repaired"] == 1, r.body
    assert call("GET", "/checkin", token=dev.token)["streak"] == 9
    assert call("POST", "/checkin/admin/repair", body, admin.token)["users_repaired"] == 0  # safe to repeat
    bad = call("POST", "/checkin/admin/repair", {**body, "end": today.isoformat()}, admin.token)
    assert bad.status == 422 and bad["errors"][0]["field"] == "end"
    work_all()
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'CheckedIn'") == 9


def test_the_reminder_is_sent_once_in_the_evening_to_those_who_asked(world):
    dev, other = world.developer(), world.developer()
    for actor in (dev, other):
        assert call("POST", "/checkin", token=actor.token).status == 200
    assert call("PUT", "/checkin/reminder", {"remind": True}, dev.token)["remind"] is True
    fixed = clock.get_clock()
    fixed.set(clock.start_of_shanghai_day(clock.now()) + timedelta(days=1, hours=19))  # 19:00 next day
    assert timer("challenges")["reminders"] == 0
    fixed.advance(timedelta(hours=1, minutes=15))  # 20:15
    assert timer("challenges")["reminders"] == 1
    assert timer("challenges")["reminders"] == 0
    assert scalar("SELECT count(*) FROM notifications WHERE kind = 'checkin_reminder' AND user_id = :u",
                  u=dev.user_id) == 1


def test_any_delivery_order_with_duplicates_completes_once(world):
    """The real subscriber on the real database: the welcome challenge's three events (plus one that does not count)
    delivered in every order Hypothesis tries, some twice — one completion, the same progress rows every time."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from shared.challenges.service import record_event
    from shared.events import Stored, parse

    dev = world.developer()
    assert call("GET", "/tasks", token=dev.token).status == 200
    logged = rows("SELECT id, name, version, data, occurred_at FROM event_log WHERE user_ids @> ARRAY[CAST(:u AS"
                  " bigint)] AND name IN ('UserRegistered', 'ProfileCompleted', 'HallBrowsed',"
                  " 'DeveloperProfileSaved') ORDER BY id", u=dev.user_id)
    events = [Stored(r.id, r.occurred_at, parse(r.name, r.version, r.data)) for r in logged]
    assert len(events) == 4

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.permutations(events), st.lists(st.sampled_from(events), max_size=4), st.integers(0, 8))
    def deliver(order, again, at):
        execute("DELETE FROM challenge_progress")
        execute("DELETE FROM challenge_windows")
        sequence = list(order)
        for extra in again:
            sequence.insert(min(at, len(sequence)), extra)
        completed = []
        for stored in sequence:
            completed += run(lambda uow, s=stored: record_event(uow, s))
        assert completed.count("welcome/reg:0-7") == 1
        assert sorted(r.condition_key for r in rows("SELECT condition_key FROM challenge_progress")) == [
            "hall", "profile", "registered"]

    deliver()
