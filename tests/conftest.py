"""Test harness: one real PostgreSQL database (DATABASE_URL's server, or the embedded pgserver) migrated once per
session, the loopback fakes started once, a fixed clock per test, and every table emptied between tests."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

os.environ.setdefault("ENVIRONMENT", "test")
os.environ["TOKEN_SECRET"] = "test-token-secret"
os.environ["JOBS_KICK"] = "off"

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing, a Wednesday


@pytest.fixture(scope="session")
def platform():
    from infra.local.platform import LocalPlatform

    # One database per test process, so parallel runs (two developers' shells, CI next to `make dev`) never meet.
    # The gateway serves the functions over HTTP so WeChat Pay's fake can deliver webhooks to /payments/notify;
    # notification retries and refunds are fast so tests do not wait on WeChat's real schedule.
    p = LocalPlatform(database_name=f"codelink_test_{os.getpid()}", fresh_database=True, jobs_kick="off",
                      gateway_port=0, notification_retry_schedule=(0.2, 0.5, 1.0, 2.0), refund_delay=0.2).start()
    yield p
    p.stop()
    p.drop_database()


@pytest.fixture
def clock():
    from shared.clock import FixedClock, use_clock

    fixed = FixedClock(T0)
    previous = use_clock(fixed)
    yield fixed
    use_clock(previous)


@pytest.fixture
def db(platform, clock):
    """A clean database for one test."""
    from infra.local.platform import truncate_all
    from shared.db import get_engine
    from shared.tasks import hall
    from shared.tasks import service as tasks_service

    truncate_all(get_engine())
    # The container's memo of hall visits already published: ids restart after the truncation, so a later test's
    # user 1 would otherwise be taken for an earlier test's user 1 and publish no HallBrowsed.
    tasks_service._browsed.clear()
    # The hall's scored bands are keyed by the shapes' max id: it restarts after the truncation, so another
    # test's shapes would be taken for this one's.
    hall._scored_bands.clear()
    return get_engine()
