"""The cold-start free period (SPEC: developers use the core features free for the first 3 months after launch):
from 00:00 Beijing time on the launch date to 00:00 Beijing time three calendar months later, every developer gets
the premium daily application cap. The boundaries are Beijing-time midnights, tested to the second."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support.api import call

UTC = timezone.utc
LAUNCH = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 Beijing: the default launch_date
FREE_UNTIL = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 2026-04-01 00:00 Beijing: the first second not free


def cap(dev) -> int:
    r = call("GET", "/applications/quota", token=dev.token)
    assert r.status == 200, r.body
    return r["daily_cap"]


def perks(dev) -> dict:
    r = call("GET", "/billing/subscriptions", token=dev.token)
    assert r.status == 200, r.body
    return r.body


def test_free_period_ends_at_beijing_midnight(world, clock):
    clock.set(FREE_UNTIL - timedelta(minutes=30))
    dev = world.developer()
    clock.set(FREE_UNTIL - timedelta(seconds=1))  # 23:59:59 on 31 March in Beijing (15:59:59 UTC)
    assert cap(dev) == 30
    body = perks(dev)
    assert body["free_period"]["active"] and body["perks"]["premium_cap_reason"] == "free_period"
    assert body["perks"]["daily_application_cap"] == 30 and not body["perks"]["premium"]
    assert datetime.fromisoformat(body["free_period"]["ends_at"].replace("Z", "+00:00")) == FREE_UNTIL
    assert "2026-01-01 至 2026-03-31" in body["free_period"]["description"]
    assert not body["perks"]["growth_pass"]  # the free period is the core features only

    clock.set(FREE_UNTIL)
    assert cap(dev) == 5
    body = perks(dev)
    assert not body["free_period"]["active"] and body["perks"]["premium_cap_reason"] is None


def test_free_period_starts_at_launch_in_beijing_time(world, clock):
    clock.set(LAUNCH - timedelta(hours=1))
    dev = world.developer()
    clock.set(LAUNCH - timedelta(seconds=1))
    assert cap(dev) == 5
    clock.set(LAUNCH)
    assert cap(dev) == 30


def test_during_the_free_period_a_developer_applies_beyond_the_free_cap(world, clock):
    clock.set(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    merchant = world.merchant()
    tasks = [world.open_task(merchant, title=f"冷启动任务 {i}")["id"] for i in range(6)]
    dev = world.developer()
    for task_id in tasks:
        r = call("POST", "/applications", {"task_id": task_id}, dev.token)
        assert r.status == 201, r.body
    assert call("GET", "/applications/quota", token=dev.token)["used_today"] == 6


def test_operators_move_the_launch_date(world, clock):
    dev = world.developer()
    admin = world.admin()
    assert cap(dev) == 5  # the test clock is in November 2026: long after the default free period
    r = call("PUT", "/admin/rules/launch_date", {"value": "2026-11-01"}, admin.token)
    assert r.status == 200, r.body
    assert cap(dev) == 30
    r = call("PUT", "/admin/rules/free_period_months", {"value": 0}, admin.token)
    assert r.status == 200, r.body
    assert cap(dev) == 5
