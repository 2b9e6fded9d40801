"""Named crash points for failure testing ("a crash between any two steps leaves a state the next run completes").

Production code calls `crash_point("payout.after_ledger")` between two steps of a multi-step operation. Nothing is
armed in production, so it is a dictionary lookup. A test arms a point (`arm("payout.after_ledger")`); the next time
execution reaches it, `InjectedCrash` is raised — as if the process died there — and the point disarms itself.
This is explicit fault injection, not monkeypatching: the code under test is the production code path.
"""

from __future__ import annotations

import threading


class InjectedCrash(BaseException):
    """BaseException so no `except Exception` in the code under test can swallow the simulated crash."""


_armed: dict[str, int] = {}
_lock = threading.Lock()


def arm(point: str, times: int = 1) -> None:
    with _lock:
        _armed[point] = times


def disarm_all() -> None:
    with _lock:
        _armed.clear()


def crash_point(point: str) -> None:
    if not _armed:
        return
    with _lock:
        left = _armed.get(point, 0)
        if left <= 0:
            return
        if left == 1:
            del _armed[point]
        else:
            _armed[point] = left - 1
    raise InjectedCrash(point)
