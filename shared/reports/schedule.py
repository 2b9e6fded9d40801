"""When reports are made: the monthly fan-out (the `reports_monthly` timer, 1st of the month, Asia/Shanghai) and the
job payloads. Imports nothing that renders (the timers function runs without the reports layer): the jobs worker
renders, job by job.

Fan-out: one `report_generate` job per developer active last month, dedupe key `report:<id>:<month>` (a timer that
fires twice, or a run resumed after a crash, enqueues nothing twice). Jobs are spread in batches of BATCH, one batch
per minute (run_at), so the worker — swept every minute, ≤ 120 s per invocation — absorbs one batch per sweep: at
~30–100 ms per report plus the upload a batch of 200 fits well within one invocation.
"""

from __future__ import annotations

from datetime import timedelta

from shared import clock
from shared.reports import sources
from shared.reports.model import previous_month
from shared.uow import UnitOfWork, run

BATCH = 200
PAGE = 1000
GENERATE = "report_generate"


def generate_payload(developer_id: int, month: str) -> dict[str, object]:
    return {"developer_id": developer_id, "month": month}


def enqueue_generation(uow: UnitOfWork, developer_id: int, month: str, *, batch: int = 0) -> None:
    uow.enqueue(GENERATE, generate_payload(developer_id, month), dedupe_key=f"report:{developer_id}:{month}",
                delay=timedelta(minutes=batch), max_attempts=5)


def fan_out(month: str | None = None, *, batch_size: int = BATCH, page: int = PAGE) -> dict[str, int]:
    """Enqueue last month's reports (or `month`'s): pages of active developers, each page one short transaction."""
    month = month or previous_month(sources.current_month())
    after, count = 0, 0
    while True:
        ids = run(lambda uow, a=after: sources.active_developers(uow, month, a, page))  # type: ignore[misc]
        if not ids:
            break

        def enqueue(uow: UnitOfWork, chunk: list[int] = ids, first: int = count) -> None:
            for i, developer_id in enumerate(chunk):
                enqueue_generation(uow, developer_id, month, batch=(first + i) // batch_size)

        run(enqueue)
        count += len(ids)
        after = ids[-1]
    return {"developers": count, "batches": (count + batch_size - 1) // batch_size}


def monthly() -> dict[str, int]:
    """The timer: on the 1st (Asia/Shanghai) fan out last month; any other day nothing (the cron names the 1st,
    this guard keeps a mis-set trigger harmless)."""
    if clock.shanghai_date(clock.now()).day != 1:
        return {"developers": 0, "batches": 0}
    return fan_out()
