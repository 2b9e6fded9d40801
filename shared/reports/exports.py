"""Operators' report runs: generate the reports of one developer or a cohort (level, skill, activity, month) and
export them as a ZIP in COS (the PDFs plus summary.csv). Runs as a chain of `report_export` jobs, STEP developers
each (a worker invocation stays short), the progress in `report_exports` (the status route reads it); the last step
builds the ZIP. Every step is idempotent: generation is, and the counters move only with the offset they started at.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import clock
from shared.events import AdminAudited
from shared.growth import queries as growth
from shared.reports import errors, sources
from shared.reports.model import from_canonical
from shared.uow import UnitOfWork, run

STEP = 25
EXPORT = "report_export"


@dataclass(frozen=True)
class ExportView:
    id: int
    month: str
    filters: dict[str, Any]
    status: str
    total: int
    done: int
    failed: int
    zip_key: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def create(uow: UnitOfWork, admin_id: int, month: str, *, user_id: int | None = None, level: str | None = None,
           skill: str | None = None, active_only: bool = False) -> int:
    """Choose the cohort now (it does not move while the run goes) and start the first step."""
    if user_id is not None:
        ids = [user_id] if uow.execute("SELECT 1 FROM users WHERE id = :u AND 'developer' = ANY(roles)",
                                       {"u": user_id}).first() else []
    else:
        ids = growth.cohort(uow, level=level, skill=skill, active=sources.month_bounds(month) if active_only else None)
    filters = {"user_id": user_id, "level": level, "skill": skill, "active_only": active_only}
    export_id = int(uow.execute(
        "INSERT INTO report_exports (admin_id, month, filters, status, total, developer_ids, created_at)"
        " VALUES (:a, :m, CAST(:f AS jsonb), 'running', :t, :ids, :now) RETURNING id",
        {"a": admin_id, "m": month, "f": json.dumps(filters), "t": len(ids), "ids": ids,
         "now": clock.now()}).scalar_one())
    uow.enqueue(EXPORT, {"export_id": export_id}, dedupe_key=f"export:{export_id}:0")
    uow.publish(AdminAudited(admin_id=admin_id, action="report.export", entity_name="report_export",
                             entity_id=export_id, subject_user_id=user_id,
                             after={"month": month, **filters, "total": len(ids)}))
    return export_id


def view(uow: UnitOfWork, export_id: int) -> ExportView:
    row = uow.execute("SELECT * FROM report_exports WHERE id = :i", {"i": export_id}).first()
    if row is None:
        raise errors.ExportNotFound()
    return ExportView(row.id, row.month, dict(row.filters), row.status, row.total, row.done, row.failed, row.zip_key,
                      row.error, row.created_at, row.finished_at)


def step(export_id: int) -> None:
    """One step: the next STEP developers' reports, then either the next step's job or the ZIP."""
    from shared.reports.service import generate

    row = run(lambda uow: uow.execute("SELECT month, status, done, failed, developer_ids FROM report_exports"
                                      " WHERE id = :i", {"i": export_id}).first())
    if row is None or row.status != "running":
        return
    offset = row.done + row.failed
    chunk = list(row.developer_ids)[offset:offset + STEP]
    done = failed = 0
    for developer_id in chunk:
        try:
            generate(int(developer_id), row.month)
            done += 1
        except Exception:  # one developer's failure must not stop the cohort; counted and shown
            failed += 1

    def advance(uow: UnitOfWork) -> bool:
        moved = uow.execute("UPDATE report_exports SET done = done + :d, failed = failed + :f WHERE id = :i"
                            " AND done + failed = :offset AND status = 'running'",
                            {"d": done, "f": failed, "i": export_id, "offset": offset}).rowcount
        more = offset + len(chunk) < len(row.developer_ids)
        if moved and more:
            uow.enqueue(EXPORT, {"export_id": export_id}, dedupe_key=f"export:{export_id}:{offset + len(chunk)}")
        return bool(moved) and not more

    if run(advance):
        try:
            _finish(export_id, row.month, [int(d) for d in row.developer_ids])
        except Exception as exc:
            # Shown while the job retries; if the last attempt fails too, `give_up` ends the run as failed.
            note = _error_text(f"ZIP 打包失败，稍后重试：{exc!r}")
            run(lambda uow: uow.execute("UPDATE report_exports SET error = :e WHERE id = :i AND status = 'running'",
                                        {"e": note, "i": export_id}))
            raise


def _error_text(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"


def give_up(export_id: int, error: str) -> None:
    """The export's job was parked as failed (its retries are spent): the run ends `failed` with the error, rather
    than showing `running` for ever. A run already done stays done."""
    run(lambda uow: uow.execute(
        "UPDATE report_exports SET status = 'failed', error = :e, finished_at = :now WHERE id = :i"
        " AND status = 'running'", {"e": _error_text(f"导出失败（已多次重试）：{error}"), "i": export_id,
                                    "now": clock.now()}))


def _finish(export_id: int, month: str, developer_ids: list[int]) -> None:
    from shared.adapters.cos import cos

    def current(uow: UnitOfWork) -> list[Any]:
        return uow.execute("SELECT developer_id, code, version, pdf_sha256, cos_key, data FROM growth_reports"
                           " WHERE developer_id = ANY(:ids) AND month = :m AND superseded_at IS NULL"
                           " ORDER BY developer_id", {"ids": developer_ids, "m": month}).all()

    rows = run(current)
    buffer = io.BytesIO()
    summary = io.StringIO()
    writer = csv.writer(summary)
    writer.writerow(["developer_id", "name", "month", "version", "code", "level", "tasks", "net_fen",
                     "average_rating", "skill_points_month", "pdf_sha256", "file"])
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for r in rows:
            data = from_canonical(bytes(r.data))
            name = f"{r.developer_id}-{month}-{r.code}.pdf"
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), cos().get(r.cos_key))
            writer.writerow([r.developer_id, data.developer.display_name, month, r.version, r.code,
                             data.level.current, len(data.tasks), data.earnings.net_fen,
                             f"{data.ratings.average_x100 / 100:.2f}" if data.ratings.average_x100 else "",
                             sum(s.points_month for s in data.skills), r.pdf_sha256, name])
        archive.writestr(zipfile.ZipInfo("summary.csv", date_time=(2000, 1, 1, 0, 0, 0)),
                         "\ufeff" + summary.getvalue())  # BOM: Excel opens the Chinese names right
    key = f"exports/{export_id}/reports-{month}.zip"
    cos().put(key, buffer.getvalue(), "application/zip")
    run(lambda uow: uow.execute("UPDATE report_exports SET status = 'done', zip_key = :k, error = NULL,"
                                " finished_at = :now"
                                " WHERE id = :i", {"k": key, "i": export_id, "now": clock.now()}))


# --- reads for the operators' console (shared/console/pages/reports.py) ---


@dataclass(frozen=True)
class ExportedReport:
    developer_id: int
    name: str
    version: int
    code: str
    pdf_bytes: int
    cos_key: str


def recent(uow: UnitOfWork, limit: int = 20) -> list[ExportView]:
    """The newest runs first."""
    rows = uow.execute("SELECT * FROM report_exports ORDER BY id DESC LIMIT :n", {"n": limit}).all()
    return [ExportView(r.id, r.month, dict(r.filters), r.status, r.total, r.done, r.failed, r.zip_key, r.error,
                       r.created_at, r.finished_at) for r in rows]


def reports_of(uow: UnitOfWork, export_id: int, limit: int = 50) -> list[ExportedReport]:
    """The current report of each developer of a run (at most `limit`, by developer id), with the name it shows."""
    rows = uow.execute(
        "SELECT g.developer_id, g.version, g.code, g.pdf_bytes, g.cos_key,"
        " COALESCE(d.display_name, u.nickname, '') AS name"
        " FROM report_exports e JOIN growth_reports g ON g.developer_id = ANY(e.developer_ids) AND g.month = e.month"
        " AND g.superseded_at IS NULL JOIN users u ON u.id = g.developer_id"
        " LEFT JOIN developer_profiles d ON d.user_id = g.developer_id"
        " WHERE e.id = :i ORDER BY g.developer_id LIMIT :n", {"i": export_id, "n": limit}).all()
    return [ExportedReport(r.developer_id, r.name, r.version, r.code, r.pdf_bytes, r.cos_key) for r in rows]
