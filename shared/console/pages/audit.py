"""The audit trail: every operator action (AdminAudited in the event log) — who, what, to what, why, before and
after — searchable by operator, action, entity, the user it was about, time and words of the reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.clock import SHANGHAI
from shared.console import labels, web
from shared.errors import ValidationFailed
from shared.events import log
from shared.uow import run

web.nav("audit", "审计日志", "/audit", order=70)


def _int(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed.field(field, "请输入数字 ID")
    return int(value)


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise ValidationFailed.field(field, "日期格式应为 YYYY-MM-DD") from None
    return day + timedelta(days=1) if end else day


def query_from(params: dict[str, str]) -> log.AuditQuery:
    return log.AuditQuery(
        admin_id=_int(params.get("admin", ""), "admin"), action=params.get("action", "").strip()[:60],
        entity=params.get("entity", "").strip()[:40], entity_id=_int(params.get("entity_id", ""), "entity_id"),
        subject_user_id=_int(params.get("user", ""), "user"), since=_day(params.get("since", ""), "since"),
        until=_day(params.get("until", ""), "until", end=True), text=params.get("q", "").strip()[:100])


@web.get("/audit", nav="audit")
def audit(page: web.Page) -> web.Answer:
    """审计日志"""
    q = query_from(page.query)
    cursor = log.Cursor.decode(page.query.get("cursor"))
    rows, more = run(lambda uow: log.audit(uow, q, cursor=cursor))
    admins = {r.id: r.nickname for r in run(lambda uow: uow.execute(
        "SELECT id, nickname FROM users WHERE id = ANY(:ids)",
        {"ids": list({r.actor_id for r in rows if r.actor_id})}).all())} if rows else {}
    template = "partials/audit_rows.html" if page.htmx and cursor else "audit.html"
    filters = {k: page.query.get(k, "") for k in ("admin", "action", "entity", "entity_id", "user", "since", "until",
                                                    "q")}
    return web.html(page, template, rows=rows, more=more, admins=admins, filters=filters, actions=labels.ACTIONS)
