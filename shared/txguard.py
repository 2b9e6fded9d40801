"""No external call inside a database transaction: the one guard.

A slow or failing WeChat, SMS or WeChat Pay call must never hold row locks, and a transaction that rolls back must
never leave an external effect behind. Every unit of work registers itself here for its thread; the adapters call
`assert_outside_transaction()` at their entry points (the one place each sends a request), which raises when a unit
of work of this thread has a transaction open. Tiny and import-free on purpose: the adapters load it on cold start.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_local = threading.local()


class ExternalCallInTransaction(RuntimeError):
    """A programming error: move the call before the unit of work opens, or after it commits (or into a job)."""


def _open() -> weakref.WeakSet[Any]:
    units = getattr(_local, "units", None)
    if units is None:
        units = _local.units = weakref.WeakSet()
    return units


def opened(unit: Any) -> None:
    """A unit of work was created in this thread (it may begin a transaction from now on)."""
    _open().add(unit)


def closed(unit: Any) -> None:
    _open().discard(unit)


def assert_outside_transaction(what: str) -> None:
    for unit in list(_open()):
        if unit.in_transaction():
            raise ExternalCallInTransaction(f"{what} called with a database transaction open")
