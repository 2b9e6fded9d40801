"""Job handlers of the reports area, registered by the jobs worker (functions/jobs_worker, which mounts the reports
layer) with `install()` — not in shared/jobs.py's table, which every function reaches: that would pull fpdf2 and boto3
into every function's imports."""

from __future__ import annotations

from typing import Any

from shared.jobs import PermanentJobError, register_handler
from shared.reports.model import MONTH_RE


def generate_job(payload: dict[str, Any]) -> None:
    from shared.reports.service import generate

    developer_id, month = payload.get("developer_id"), str(payload.get("month", ""))
    if not isinstance(developer_id, int) or not MONTH_RE.match(month):
        raise PermanentJobError(f"bad report job payload {payload!r}")
    generate(developer_id, month)


def export_job(payload: dict[str, Any]) -> None:
    from shared.reports.exports import step

    export_id = payload.get("export_id")
    if not isinstance(export_id, int):
        raise PermanentJobError(f"bad export job payload {payload!r}")
    step(export_id)


def export_given_up(payload: dict[str, Any], error: str) -> None:
    from shared.reports.exports import give_up

    export_id = payload.get("export_id")
    if isinstance(export_id, int):
        give_up(export_id, error)


def install() -> None:
    register_handler("report_generate", generate_job)
    register_handler("report_export", export_job, on_give_up=export_given_up)
