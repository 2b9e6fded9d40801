"""The dashboard's aggregates on the real database: the real flows (registration, a task from review to payout, a
membership) counted by the after-commit subscriber; replays and redeliveries change nothing; and, for any order of
delivery with duplicates, the counters equal what a plain recount of the events gives (Hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import clock, events
from shared.clock import shanghai_date
from shared.events import Stored
from shared.events.delivery import replay_events
from shared.metrics import queries
from shared.metrics.rules import SUBSCRIBED, month_of, week_of
from shared.metrics.subscribers import record
from shared.uow import run
from tests.support.api import call
from tests.support.db import scalar, work_all


def counters() -> dict[tuple[str, date], int]:
    rows = run(lambda uow: uow.execute("SELECT metric, period, value FROM metrics_counters").all())
    return {(r.metric, r.period): int(r.value) for r in rows if r.value}


def retention() -> dict[tuple[date, date], int]:
    rows = run(lambda uow: uow.execute("SELECT cohort_week, week, users FROM metrics_retention").all())
    return {(r.cohort_week, r.week): int(r.users) for r in rows if r.users}


def test_a_task_from_publication_to_payout_is_counted_once(world):
    merchant, developer = world.merchant(), world.developer()
    task = world.assigned_task(merchant, developer)  # first task: reviewed by the admin, funded, accepted
    delivery = {"content": "登录页已完成，含测试。", "links": []}
    r = call("POST", f"/work/{task['id']}/deliveries", delivery, developer.token)
    assert r.status == 201, r.body
    r = call("POST", f"/work/{task['id']}/accept", {"note": "好"}, merchant.token)
    assert r.status == 200, r.body
    work_all()
    today = shanghai_date(clock.now())
    c = counters()
    assert c[("registrations", today)] == 2  # the merchant and the developer; not the operator (make admin)
    assert c[("tasks_published", today)] == 1 and c[("tasks_funded", today)] == 1
    assert c[("tasks_delivered", today)] == 1 and c[("tasks_completed", today)] == 1
    assert c[("gmv", today)] == task["reward_fen"] == 50_000
    assert c[("revenue:commission", today)] == 7_500  # 15 % of ¥500
    assert c[("responses_due", today)] == 1 and c[("responses_on_time", today)] == 1
    assert c[("dau", today)] == 2  # the merchant and the developer acted; the operator's approval does not count
    week = week_of(today)
    assert retention() == {(week, week): 2}

    d = run(lambda uow: queries.dashboard(uow, today))
    assert d.users_total == 2 and d.dau_today == 2 and d.wau_this_week == 2
    assert d.revenue_this_month_fen == 7_500 and d.gmv_this_month_fen == 50_000
    assert d.response_rate[-1] == 1.0 and d.dispute_rate[-1] == 0.0
    assert d.cohorts[-1].size == 2 and d.cohorts[-1].shares[0] == 1.0

    # A backfill of everything (the replay path) and a second worker pass count nothing again.
    since, until = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    queued = sum(run(lambda uow, n=name: replay_events(uow, n, "metrics.record", since, until))["queued"]
                 for name in SUBSCRIBED)
    assert queued > 10
    work_all()
    assert counters() == c and retention() == {(week, week): 2}


def test_subscription_revenue_by_plan(world, platform):
    from tests.support.billing import pay

    developer = world.developer()
    order = call("POST", "/billing/subscriptions", {"plan": "premium", "months": 2}, developer.token)
    assert order.status == 201, order.body
    pay(platform, order["out_trade_no"])
    work_all()
    today = shanghai_date(clock.now())
    assert counters()[("revenue:subscription:premium", today)] == 2 * 1_990
    d = run(lambda uow: queries.dashboard(uow, today))
    assert d.monthly["revenue:subscription:premium"][-1] == 3_980 and d.revenue_this_month_fen == 3_980


# --- any delivery order, with duplicates: the counters are a recount of the events ----------------------------------

T0 = datetime(2026, 11, 2, 4, 0, tzinfo=timezone.utc)  # a Monday, noon in Beijing
USERS = range(1, 6)


@st.composite
def histories(draw: st.DrawFn) -> list[Stored]:
    stored: list[Stored] = []
    next_id = iter(range(1, 10_000))
    for user in USERS:
        if draw(st.booleans()):
            day = draw(st.integers(0, 20))
            stored.append(Stored(next(next_id), T0 + timedelta(days=day),
                                 events.UserRegistered(user_id=user, via="wechat")))
    for _ in range(draw(st.integers(0, 25))):
        user, day = draw(st.sampled_from(USERS)), draw(st.integers(0, 40))
        hours = draw(st.integers(0, 23))
        stored.append(Stored(next(next_id), T0 + timedelta(days=day, hours=hours),
                             events.HallBrowsed(user_id=user)))
    for task in range(1, draw(st.integers(1, 4)) + 1):
        day = draw(st.integers(0, 30))
        stored.append(Stored(next(next_id), T0 + timedelta(days=day), events.TaskPublished(
            task_id=task, merchant_id=draw(st.sampled_from(USERS)), status="pending_review", skill_tags=("python",),
            difficulty=2, reward_fen=10_000)))
        if draw(st.booleans()):
            stored.append(Stored(next(next_id), T0 + timedelta(days=day + 1), events.EscrowReleased(
                task_id=task, developer_id=1, gross_fen=10_000, commission_fen=1_500, share_fen=8_500,
                enterprise=False, payout_id=None)))
    return stored


def recount(stored: list[Stored]) -> tuple[dict[tuple[str, date], int], dict[tuple[date, date], int]]:
    """What the dashboard must show, computed the obvious way from the whole history at once."""
    c: dict[tuple[str, date], int] = defaultdict(int)
    cohort: dict[int, date] = {}
    active: dict[str, set[tuple[int, date]]] = defaultdict(set)
    for s in stored:
        day = shanghai_date(s.occurred_at)
        e = s.event
        if e.name == "UserRegistered":
            cohort[e.user_id] = week_of(day)
            c[("registrations", day)] += 1
        if e.name == "TaskPublished":
            c[("tasks_published", day)] += 1
        if e.name == "EscrowReleased":
            c[("revenue:commission", day)] += e.commission_fen
        who = e.actor()
        if who is not None:
            active["dau"].add((who, day))
            active["wau"].add((who, week_of(day)))
            active["mau"].add((who, month_of(day)))
    for metric, pairs in active.items():
        for _, period in pairs:
            c[(metric, period)] += 1
    kept: dict[tuple[date, date], int] = defaultdict(int)
    for user, week in active["wau"]:
        if user in cohort and week >= cohort[user]:
            kept[(cohort[user], week)] += 1
    return dict(c), dict(kept)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), data=st.data())
def test_any_order_with_duplicates_counts_like_a_recount(db, history, data):
    from infra.local.platform import truncate_all

    truncate_all(db)
    deliveries = history + data.draw(st.lists(st.sampled_from(history), max_size=6)) if history else []
    for s in data.draw(st.permutations(deliveries)):
        run(lambda uow, s=s: record(uow, Stored(s.id, s.occurred_at, s.event, replay=True)))
    expected_counters, expected_retention = recount(history)
    assert counters() == expected_counters
    assert retention() == expected_retention
    if history:  # the dashboard reads the same numbers
        assert scalar("SELECT count(*) FROM metrics_users") == len({s.event.user_id for s in history
                                                                      if s.event.name == "UserRegistered"})
