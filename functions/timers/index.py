"""Cloud function `timers`: the scheduled sweeps of the core loop. Each TriggerName in serverless.yml maps to one
entry of TIMERS; every sweep is idempotent, so a timer that fires twice or late is harmless."""

from __future__ import annotations

from shared.runtime import bootstrap, timer_handler
from shared.uow import run


def feedback_guarantee() -> dict[str, int]:
    from shared.applications.service import run_feedback_guarantee

    return run(run_feedback_guarantee)


def auto_accept() -> int:
    from shared.work.service import auto_accept_overdue

    return run(auto_accept_overdue)


def task_expiry() -> int:
    from shared.tasks.service import expire_overdue

    return run(expire_overdue)


TIMERS = {
    "feedback_guarantee": feedback_guarantee,
    "auto_accept": auto_accept,
    "task_expiry": task_expiry,
}

bootstrap()
main_handler = timer_handler(TIMERS)
