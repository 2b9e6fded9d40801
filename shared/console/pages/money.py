"""Money that needs a hand: refunds that ended failed (ABNORMAL / CLOSED: WeChat Pay could not return the money),
payouts whose transfer failed or was never confirmed, transfers waiting for the developer's confirmation, jobs in the
dead-letter queue (retry), reconciliation days with differences (re-run a day), and the ledger check.

Refunds and transfers are shown read-only: acting on them (retrying an ABNORMAL refund, re-sending a transfer) is the
money area's use cases to come (issue 7b); its buttons go into the panels marked below when they exist."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared import clock, jobs
from shared.billing import reconciliation
from shared.console import web
from shared.errors import ValidationFailed
from shared.events import AdminAudited
from shared.uow import UnitOfWork, run

web.nav("money", "资金异常", "/money", order=50)


def _refunds(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        "SELECT r.id, r.out_refund_no, r.task_id, r.amount_fen, r.reason, r.failure, r.failed_at, r.created_at,"
        " o.payer_id, o.out_trade_no FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
        " WHERE r.state = 'failed' ORDER BY r.failed_at DESC NULLS LAST, r.id DESC LIMIT 100").all()


def _payouts(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        "SELECT id, developer_id, task_id, amount_fen, state, attempts, fail_reason, next_retry_at, updated_at"
        " FROM payouts WHERE state IN ('failed', 'cancelled') ORDER BY updated_at DESC, id DESC LIMIT 100").all()


def _unconfirmed(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        "SELECT t.out_bill_no, t.payout_id, t.amount_fen, t.confirm_by, t.created_at, p.developer_id,"
        " t.confirm_by < :now AS overdue FROM payout_transfers t JOIN payouts p ON p.id = t.payout_id"
        " WHERE t.state IN ('wait_user_confirm', 'cancelling') ORDER BY t.confirm_by NULLS LAST, t.id LIMIT 100",
        {"now": uow.now}).all()


def _reconciliation(uow: UnitOfWork) -> list[dict[str, Any]]:
    items, _ = reconciliation.list_runs(uow, None, 14)
    return items


@web.get("/money", nav="money")
def money(page: web.Page) -> web.Answer:
    """资金异常"""
    data: dict[str, Any] = run(lambda uow: {
        "refunds": _refunds(uow), "payouts": _payouts(uow), "unconfirmed": _unconfirmed(uow),
        "failed_jobs": jobs.failed_jobs(uow), "runs": _reconciliation(uow)})
    yesterday = clock.shanghai_date(clock.now()) - timedelta(days=1)
    return web.html(page, "money.html", yesterday=yesterday, **data)


@web.post("/money/jobs/{job_id:int}/retry")
def retry_job(page: web.Page) -> web.Answer:
    """重试失败的后台任务"""
    job_id = page.params["job_id"]
    retried = run(lambda uow: jobs.retry_failed(uow, job_id, admin_id=page.admin_id))
    if not retried:
        from shared.errors import Conflict

        raise Conflict("JOB_NOT_FAILED", "该任务已不在失败队列中")
    return web.partial(page, "partials/job_retried.html", back=f"{web.BASE}/money", job_id=job_id)


@web.post("/money/ledger-check")
def ledger_check(page: web.Page) -> web.Answer:
    """账本核对"""
    from shared.db import get_engine
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    run(lambda uow: uow.publish(AdminAudited(admin_id=page.admin_id, action="ledger.check", entity_name="ledger",
                                             entity_id=0, after={"ok": report.ok,
                                                                 "problems": len(report.problems)})))
    return web.partial(page, "partials/ledger_check.html", back=f"{web.BASE}/money", report=report)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field("bill_date", "日期格式应为 YYYY-MM-DD") from None
    if day >= clock.shanghai_date(clock.now()):
        raise ValidationFailed.field("bill_date", "只能对账今天（北京时间）之前的日期")
    return day


@web.get("/money/reconciliation/{bill_date:str}", nav="money")
def reconciliation_day(page: web.Page) -> web.Answer:
    """某日对账差异"""
    day = _day(page.params["bill_date"])
    detail = run(lambda uow: reconciliation.run_detail(uow, day))
    return web.html(page, "reconciliation.html", **detail)


@web.post("/money/reconciliation")
def reconcile(page: web.Page) -> web.Answer:
    """重新对账某日"""
    day = _day(page.form.get("bill_date", ""))
    result = reconciliation.reconcile_date(day, actor_id=page.admin_id)  # downloads the bills outside any transaction
    run(lambda uow: uow.publish(AdminAudited(admin_id=page.admin_id, action="reconciliation.run",
                                             entity_name="reconciliation", entity_id=int(day.strftime("%Y%m%d")),
                                             after={k: v for k, v in result.items() if k != "earlier"})))
    rows = run(_reconciliation)
    return web.partial(page, "partials/reconciliation_runs.html", back=f"{web.BASE}/money", runs=rows,
                       done=f"{day.isoformat()} 已重新对账：{result['status']}")
