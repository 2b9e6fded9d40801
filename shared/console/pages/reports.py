"""Growth reports (issue 11): issue the monthly report of one developer, or of a cohort (level, skill, active in the
month) as a ZIP of the PDFs plus summary.csv; the run's progress (htmx polls it every 2 s until it ends), the ZIP link
and each developer's PDF and verification code when done. A run is the reports area's use case (`exports.create`: the
cohort is fixed at the start, the jobs worker renders, AdminAudited "report.export"); this page renders nothing itself.
The links are short-lived presigned COS URLs (the admin function mounts the reports layer for them)."""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.console import web
from shared.reports import exports, service
from shared.reports import schemas as report_schemas
from shared.reports.model import previous_month
from shared.reports.signing import display_code
from shared.reports.sources import current_month
from shared.uow import UnitOfWork, run

web.nav("reports", "成长报告", "/reports", order=59)

LEVELS = ("C", "B", "A", "S")
STATUS = {"running": "进行中", "done": "已完成", "failed": "失败"}
POLL_SECONDS = 2
LISTED = 50  # the reports listed under a finished run (the ZIP has them all)


def _months() -> tuple[str, str]:
    """(last month, this month) in Beijing time: last month's final report is the usual one to issue."""
    this = current_month(clock.now())
    return previous_month(this), this


def _filters_text(filters: dict[str, Any]) -> str:
    if filters.get("user_id"):
        return f"开发者 #{filters['user_id']}"
    parts = []
    if filters.get("level"):
        parts.append(f"等级 {filters['level']}")
    if filters.get("skill"):
        parts.append(f"技能 {filters['skill']}")
    if filters.get("active_only"):
        parts.append("仅当月活跃")
    return "、".join(parts) or "全部开发者"


def _download(key: str, filename: str) -> str:
    from shared.adapters.cos import cos

    return cos().presigned_get(key, filename=filename)


def _panel(export_id: int) -> dict[str, Any]:
    def read(uow: UnitOfWork) -> tuple[exports.ExportView, list[exports.ExportedReport]]:
        v = exports.view(uow, export_id)
        return v, (exports.reports_of(uow, export_id, LISTED) if v.status == "done" else [])

    v, listed = run(read)  # the links are signed after the transaction: nothing external inside one
    percent = 100 if v.status == "done" else ((v.done + v.failed) * 100 // v.total if v.total else 0)
    reports = [{"developer_id": r.developer_id, "name": r.name, "version": r.version, "code": display_code(r.code),
                "kb": (r.pdf_bytes + 1023) // 1024,
                "url": _download(r.cos_key, f"codelink-report-{v.month}-{r.developer_id}.pdf")} for r in listed]
    return {"export": v, "percent": percent, "status_text": STATUS.get(v.status, v.status),
            "filters_text": _filters_text(v.filters), "poll": POLL_SECONDS, "reports": reports,
            "more": max(v.done - len(reports), 0),
            "zip_url": _download(v.zip_key, f"codelink-reports-{v.month}.zip") if v.zip_key else None}


@web.get("/reports", nav="reports")
def reports_home(page: web.Page) -> web.Answer:
    """成长报告：生成与导出"""
    last, this = _months()
    runs = run(lambda uow: exports.recent(uow))
    rows = [{"run": r, "status_text": STATUS.get(r.status, r.status), "filters_text": _filters_text(r.filters),
             "percent": 100 if r.status == "done" else ((r.done + r.failed) * 100 // r.total if r.total else 0)}
            for r in runs]
    return web.html(page, "reports.html", last_month=last, this_month=this, levels=LEVELS, runs=rows)


@web.post("/reports/exports")
def start(page: web.Page) -> web.Answer:
    """生成一位开发者的报告，或按条件批量导出"""
    f = page.form
    one = f.get("scope") == "one"
    data: dict[str, Any] = {"month": f.get("month", "").strip()}
    if one:
        data["user_id"] = f.get("user_id", "").strip().lstrip("#") or None
        if data["user_id"] is None:
            from shared.errors import ValidationFailed

            raise ValidationFailed.field("user_id", "请输入开发者的用户 ID")
    else:
        data.update(level=f.get("level") or None, skill=f.get("skill", "").strip() or None,
                    active_only=f.get("active_only") == "on")
    body = web.validated(report_schemas.ExportIn, data)
    month = service.check_month(body.month)
    if one:
        def known(uow: UnitOfWork) -> bool:
            return uow.execute("SELECT 1 FROM users WHERE id = :u AND 'developer' = ANY(roles)",
                               {"u": body.user_id}).first() is not None

        if not run(known):
            from shared.errors import NotFound

            raise NotFound("USER_NOT_FOUND", f"开发者 #{body.user_id} 不存在")
    export_id = run(lambda uow: exports.create(uow, page.admin_id, month, user_id=body.user_id, level=body.level,
                                               skill=body.skill, active_only=body.active_only))
    return web.partial(page, "partials/report_export.html", back=f"{web.BASE}/reports/exports/{export_id}",
                       **_panel(export_id))


@web.get("/reports/exports/{export_id:int}", nav="reports")
def export_page(page: web.Page) -> web.Answer:
    """报告导出进度"""
    return web.html(page, "report_export.html", **_panel(page.params["export_id"]))


@web.get("/reports/exports/{export_id:int}/progress")
def progress(page: web.Page) -> web.Answer:
    """报告导出进度（htmx 轮询）"""
    export_id = page.params["export_id"]
    return web.partial(page, "partials/report_export.html", back=f"{web.BASE}/reports/exports/{export_id}",
                       **_panel(export_id))
