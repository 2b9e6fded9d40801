"""The local gateway's development controls (infra/local/devtools.py): the moved clock goes forward only and comes
back exactly; timers fire on demand; everything is refused outside ENVIRONMENT local/test."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from infra.local import devtools
from infra.local.gateway import LocalGateway
from shared import clock
from shared.clock import FixedClock, OffsetClock, SystemClock
from shared.config import reset_settings

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def fixed():
    fixed = FixedClock(T0)
    previous = clock.use_clock(fixed)
    yield fixed
    devtools.restore()
    clock.use_clock(previous)


def post(body: object) -> tuple[int, dict]:
    return devtools.handle("POST", ["clock"], json.dumps(body).encode(), runner=None, manifest=None)


def test_the_clock_moves_forward_only_and_restores_exactly(fixed):
    status, got = post({"advance_seconds": 86_400})
    assert status == 200 and got["offset_seconds"] == 86_400 and clock.now() == T0 + timedelta(days=1)
    assert post({"advance_seconds": 3_600})[1]["offset_seconds"] == 90_000
    for bad in ({"advance_seconds": -60}, {"advance_seconds": 0}, {"advance_seconds": True}, {"advance_seconds": "1"},
                {"advance_seconds": 401 * 86_400}, {}, [1]):
        status, got = post(bad)
        assert status == 422 and got["code"] == "VALIDATION_FAILED", bad
    assert clock.now() == T0 + timedelta(days=1, hours=1)
    status, got = post({"restore": True})
    assert status == 200 and got["offset_seconds"] == 0 and clock.now() == T0 and clock.get_clock() is fixed


def test_a_system_clock_is_wrapped_in_an_offset_clock_and_put_back():
    system = SystemClock()
    previous = clock.use_clock(system)
    try:
        post({"advance_seconds": 3 * 86_400})
        moved = clock.get_clock()
        assert isinstance(moved, OffsetClock) and moved.offset == timedelta(days=3)
        post({"advance_seconds": 60})
        assert clock.get_clock() is moved and moved.offset == timedelta(days=3, seconds=60)
        assert abs(clock.now() - datetime.now(timezone.utc) - timedelta(days=3, seconds=60)) < timedelta(seconds=5)
        post({"restore": True})
        assert clock.get_clock() is system
    finally:
        clock.use_clock(previous)


def test_timers_fire_on_demand_and_unknown_ones_are_404(fixed):
    fired = []
    trigger = SimpleNamespace(function="timers", name="lottery", argument="")
    runner = SimpleNamespace(invoke=lambda fn, event: fired.append((fn, event)) or {"drawn": 1})
    manifest = SimpleNamespace(timers=[trigger])
    status, got = devtools.handle("POST", ["timers", "timers", "lottery"], b"", runner, manifest)
    assert status == 200 and got["result"] == {"drawn": 1}
    assert fired == [("timers", {"Type": "Timer", "TriggerName": "lottery", "Time": "2026-12-04T08:00:00Z",
                                 "Message": ""})]
    assert devtools.handle("POST", ["timers", "timers", "nope"], b"", runner, manifest)[0] == 404


def test_refused_outside_local_and_test(fixed, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    reset_settings()
    try:
        assert devtools.allowed() is False
        assert post({"advance_seconds": 60})[0] == 404 and clock.now() == T0
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_gateway_routes_dev_paths_without_reaching_a_function(fixed):
    gateway = LocalGateway(port=0, http_functions=[], runner=SimpleNamespace())
    status, _, body = gateway.handle("GET", "/_dev/clock", [], b"", "127.0.0.1")
    assert status == 200 and json.loads(body)["now"] == T0.isoformat()


def test_the_timer_thread_fires_nothing_while_the_clock_is_moved(fixed):
    from infra.local.gateway import Timers
    from infra.local.manifest import load_manifest

    fired = []
    timers = Timers([t for t in load_manifest().timers if t.name == "jobs_sweep"],
                    lambda fn, event: fired.append(fn), run_inline=True)
    timers.tick(T0)  # schedules
    post({"advance_seconds": 3_600})
    assert timers.tick(T0 + timedelta(minutes=5)) == [] and fired == []
    post({"restore": True})
    assert [f.trigger for f in timers.tick(T0 + timedelta(minutes=10))] == ["jobs_sweep"] and fired
