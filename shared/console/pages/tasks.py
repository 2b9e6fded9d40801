"""Tasks: the review queue (approve / reject with a reason, through the tasks area's use cases) and any task's
history — the task with its applications, deliveries and escrow, and every event about it, its applications, its
dispute, refunds, payouts and payment orders, from the event log."""

from __future__ import annotations

from typing import Any

from shared.console import web
from shared.errors import NotFound
from shared.events import log
from shared.ledger.escrow import escrow_held
from shared.tasks import schemas as task_schemas
from shared.tasks import service as tasks
from shared.uow import UnitOfWork, run

web.nav("tasks", "任务审核", "/tasks", order=30)


def _queue(uow: UnitOfWork) -> list[dict[str, Any]]:
    queue = tasks.review_queue(uow, limit=100)
    names = _merchant_names(uow, [t.merchant_id for t in queue])
    return [{"task": t, "merchant": names.get(t.merchant_id, "")} for t in queue]


def _merchant_names(uow: UnitOfWork, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = uow.execute("SELECT u.id, coalesce(nullif(m.name, ''), u.nickname) AS name FROM users u"
                       " LEFT JOIN merchant_profiles m ON m.user_id = u.id WHERE u.id = ANY(:ids)",
                       {"ids": list(set(ids))}).all()
    return {r.id: r.name for r in rows}


def _search(uow: UnitOfWork, q: str) -> list[Any]:
    q = q.strip()[:50]
    if not q:
        return []
    params: dict[str, Any]
    if q.isdigit():
        where, params = "id = :id", {"id": int(q)}
    else:
        where, params = "title ILIKE :q", {"q": "%" + q.replace("%", r"\%").replace("_", r"\_") + "%"}
    return uow.execute(f"SELECT id, title, status, reward_fen, merchant_id, created_at FROM tasks WHERE {where}"
                       " ORDER BY id DESC LIMIT 50", params).all()


@web.get("/tasks", nav="tasks")
def queue(page: web.Page) -> web.Answer:
    """任务审核队列与任务查询"""
    q = page.query.get("q", "")
    items, found = run(lambda uow: (_queue(uow), _search(uow, q)))
    return web.html(page, "tasks.html", items=items, q=q, found=found)


def _row(page: web.Page, task_id: int, done: str) -> web.Answer:
    task = run(lambda uow: tasks.get_task(uow, task_id, page.admin_id))
    return web.partial(page, "partials/review_row.html", back=f"{web.BASE}/tasks", item={"task": task, "merchant": ""},
                       done=done)


@web.post("/tasks/{task_id:int}/approve")
def approve(page: web.Page) -> web.Answer:
    """审核通过"""
    body = web.validated(task_schemas.ReviewDecision, {"reason": page.form.get("reason", "")})
    task_id = page.params["task_id"]
    task = run(lambda uow: tasks.approve_task(uow, page.admin_id, task_id, body.reason))
    return _row(page, task_id, f"已通过审核，任务状态：{task.status_name}")


@web.post("/tasks/{task_id:int}/reject")
def reject(page: web.Page) -> web.Answer:
    """审核驳回"""
    body = web.validated(task_schemas.RejectTask, {"reason": page.form.get("reason", "")})
    task_id = page.params["task_id"]
    run(lambda uow: tasks.reject_task(uow, page.admin_id, task_id, body.reason))
    return _row(page, task_id, f"已驳回：{body.reason}")


def _history(uow: UnitOfWork, task_id: int, admin_id: int) -> dict[str, Any]:
    task = tasks.get_task(uow, task_id, admin_id)
    ids = {name: [r[0] for r in uow.execute(sql, {"t": task_id}).all()] for name, sql in (
        ("application", "SELECT id FROM applications WHERE task_id = :t"),
        ("dispute", "SELECT id FROM disputes WHERE task_id = :t"),
        ("refund", "SELECT id FROM refunds WHERE task_id = :t"),
        ("payout", "SELECT id FROM payouts WHERE ref = 'task:' || :t"),
        ("payment_order", "SELECT id FROM payment_orders WHERE task_id = :t"),
    )}
    applications = uow.execute(
        "SELECT a.id, a.developer_id, a.status, a.created_at, a.responded_at, a.reject_reason,"
        " coalesce(nullif(d.display_name, ''), u.nickname) AS name FROM applications a"
        " JOIN users u ON u.id = a.developer_id LEFT JOIN developer_profiles d ON d.user_id = a.developer_id"
        " WHERE a.task_id = :t ORDER BY a.id", {"t": task_id}).all()
    deliveries = uow.execute("SELECT round, content, links, decision, decision_note, created_at FROM deliveries"
                             " WHERE task_id = :t ORDER BY round", {"t": task_id}).all()
    events = log.for_entities(uow, [("task", [task_id]), *ids.items()], limit=300)
    return {"task": task, "merchant": _merchant_names(uow, [task.merchant_id]).get(task.merchant_id, ""),
            "applications": applications, "deliveries": deliveries, "events": events,
            "escrow_fen": escrow_held(uow, task_id), "disputes": ids["dispute"]}


@web.get("/tasks/{task_id:int}", nav="tasks")
def task(page: web.Page) -> web.Answer:
    """任务详情与历史"""
    task_id = page.params["task_id"]
    try:
        info = run(lambda uow: _history(uow, task_id, page.admin_id))
    except NotFound:
        raise NotFound("TASK_NOT_FOUND", f"任务 #{task_id} 不存在") from None
    return web.html(page, "task.html", **info)
