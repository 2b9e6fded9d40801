"""The injectable clock. Every rule that depends on time asks this module, never `datetime.now()`.

Weeks and months are Asia/Shanghai: a user's "today" (application caps, check-ins) starts at 00:00 Beijing time.
Tests and the local runtime swap the clock (`use_clock`) to travel in time; production uses the system clock.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class OffsetClock:
    """The system clock shifted by an offset: the local runtime's time travel (`POST /_dev/clock`)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._at += delta
            return self._at


_clock: Clock = SystemClock()


def now() -> datetime:
    return _clock.now()


def get_clock() -> Clock:
    return _clock


def use_clock(clock: Clock) -> Clock:
    """Install `clock` for the process; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def shanghai_date(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def start_of_shanghai_day(at: datetime) -> datetime:
    local = at.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def start_of_shanghai_week(at: datetime) -> datetime:
    """Monday 00:00 Beijing time of the week that contains `at`."""
    day = start_of_shanghai_day(at).astimezone(SHANGHAI)
    return (day - timedelta(days=day.weekday())).astimezone(timezone.utc)


def start_of_shanghai_month(at: datetime) -> datetime:
    local = at.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
