"""The lottery's beacon: drand quicknet's round arithmetic, and the fake drand on loopback answering a round only
once the installed clock has reached it (the same value every time), which the adapter reads as "not out yet"."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.fakes.beacon import FakeBeacon
from shared import clock
from shared.adapters import beacon
from shared.adapters.beacon import QUICKNET_GENESIS, first_round_after, round_at, round_time


def test_round_arithmetic():
    genesis = datetime.fromtimestamp(QUICKNET_GENESIS, tz=timezone.utc)
    assert round_at(genesis) == 1 and round_time(1) == genesis
    assert round_at(genesis + timedelta(seconds=2)) == 1 and round_at(genesis + timedelta(seconds=3)) == 2
    for r in (1, 2, 1000, 34_256_212):
        assert round_at(round_time(r)) == r and round_at(round_time(r) - timedelta(seconds=1)) == r - 1
    close = datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=8)))
    r = first_round_after(close)
    assert close + timedelta(minutes=10) <= round_time(r) < close + timedelta(minutes=10, seconds=3)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(timezone.utc)))
def test_the_chosen_round_is_the_first_at_least_ten_minutes_after(at):
    r = first_round_after(at)
    assert round_time(r - 1) < at + timedelta(minutes=10) <= round_time(r)


@pytest.fixture
def fake(monkeypatch):
    fixed = clock.FixedClock(datetime(2026, 12, 1, tzinfo=timezone.utc))
    previous = clock.use_clock(fixed)
    server = FakeBeacon(secret=b"k" * 32)
    server.start()
    from shared.config import reset_settings

    monkeypatch.setenv("LOTTERY_BEACON_URL", server.base_url)  # configuration, not our domain
    reset_settings()
    yield server, fixed
    server.stop()
    clock.use_clock(previous)
    reset_settings()


def test_the_fake_answers_a_round_only_once_its_time_has_come(fake):
    server, fixed = fake
    r = round_at(fixed.now()) + 5
    assert beacon.fetch(r) is None  # 425: not yet
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{server.base_url}/public/{r}", timeout=5)
    assert err.value.code == 425
    fixed.advance(timedelta(seconds=15))
    value = beacon.fetch(r)
    assert value is not None and len(value) == 64 and value == beacon.fetch(r)
    assert value != beacon.fetch(r - 1)
    with urllib.request.urlopen(f"{server.base_url}/info", timeout=5) as answer:
        assert json.loads(answer.read())["period"] == 3
