"""Cloud function `jobs_worker`: works off the durable job outbox. Kicked by an async invoke right after a commit
that enqueued jobs (event `{"kind": "kick"}`), and swept every minute by its timer in case a kick was lost."""

from __future__ import annotations

from typing import Any

from shared.reports.jobs import install as install_report_jobs
from shared.runtime import bootstrap, is_timer_event, job_run


def jobs_sweep() -> dict[str, int]:
    from shared.jobs import work

    return work().as_dict()


TIMERS = {"jobs_sweep": jobs_sweep}

bootstrap()
install_report_jobs()


def main_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if is_timer_event(event):
        return job_run("timer.jobs_sweep", jobs_sweep, context)
    if isinstance(event, dict) and event.get("kind") == "kick":
        return job_run("jobs_worker.kick", jobs_sweep, context)
    return {"ok": False, "error": "unsupported event"}
