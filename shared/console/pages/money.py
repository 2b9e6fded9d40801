"""Money that needs a hand: refunds that ended failed (ABNORMAL / CLOSED: WeChat Pay could not return the money),
payouts whose transfer failed or was never confirmed, transfers waiting for the developer's confirmation, jobs in the
dead-letter queue (retry), reconciliation days with differences (re-run a day), and the ledger check.

Acting on refunds and payouts runs the money areas' use cases, each in two steps — the operator states a reason and
sees what will happen, then confirms: retry a failed refund (a new attempt under a new number,
shared/payments/refunds.py), settle a refund completed at WeChat by hand (a query), re-send a failed or cancelled
payout (a new transfer attempt, shared/payouts/resend.py). Each is idempotent and audited by the use case."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared import clock, jobs
from shared.billing import reconciliation
from shared.console import web
from shared.errors import ValidationFailed
from shared.events import AdminAudited
from shared.payments import refunds
from shared.payouts import rules as payout_rules
from shared.payouts.resend import resend_payout
from shared.uow import UnitOfWork, run

web.nav("money", "资金异常", "/money", order=50)


def _refunds(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        "SELECT r.id, r.out_refund_no, r.task_id, r.amount_fen, r.reason, r.failure, r.failed_at, r.created_at,"
        " o.payer_id, o.out_trade_no FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
        f" WHERE r.state = 'failed' AND {refunds.NOT_SUPERSEDED}"
        " ORDER BY r.failed_at DESC NULLS LAST, r.id DESC LIMIT 100").all()


def _payouts(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        "SELECT id, developer_id, task_id, amount_fen, state, attempts, fail_reason, next_retry_at, updated_at"
        " FROM payouts WHERE state = ANY(:s) ORDER BY updated_at DESC, id DESC LIMIT 100",
        {"s": sorted(payout_rules.RESENDABLE)}).all()


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


# --------------------------------------------------------------------------------------------------- acting

REFUND_ACTIONS = {
    "retry": ("重试退款", "以新的退款单号重新向微信支付发起退款，原退款单保留为历史；"
                          "资金仍从“退款中”账户退出，不重复扣款。"),
    "completed-at-wechat": ("已在微信手工处理", "向微信支付查询该退款单：显示成功才按已退款入账；"
                                                "仍异常则不做任何改动。"),
}


def _reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    if len(reason) < 2:
        raise ValidationFailed.field("reason", "请填写处理原因（至少 2 个字）")
    if len(reason) > 200:
        raise ValidationFailed.field("reason", "处理原因不能超过 200 个字")
    return reason


def _confirmed(form: dict[str, str]) -> None:
    if form.get("confirmed") != "1":
        raise ValidationFailed.field("confirmed", "请先确认操作")


def _failed_refund(uow: UnitOfWork, refund_id: int) -> Any:
    from shared.errors import NotFound

    row = uow.execute(
        "SELECT r.id, r.out_refund_no, r.task_id, r.amount_fen, r.failure, o.payer_id FROM refunds r"
        " JOIN payment_orders o ON o.id = r.order_id WHERE r.id = :id", {"id": refund_id}).first()
    if row is None:
        raise NotFound("REFUND_NOT_FOUND", "退款单不存在")
    return row


@web.post("/money/refunds/{refund_id:int}/confirm")
def refund_confirm(page: web.Page) -> web.Answer:
    """退款处理：确认"""
    refund_id = page.params["refund_id"]
    action = page.form.get("action", "")
    if action not in REFUND_ACTIONS:
        raise ValidationFailed.field("action", "请选择处理方式")
    reason = _reason(page.form)
    refund = run(lambda uow: _failed_refund(uow, refund_id))
    title, effect = REFUND_ACTIONS[action]
    return web.partial(page, "partials/money_confirm.html", back=f"{web.BASE}/money", kind="refund",
                       target=f"refund-{refund_id}", action=f"{web.BASE}/money/refunds/{refund_id}/{action}",
                       title=title, effect=effect, reason=reason, amount_fen=refund.amount_fen,
                       subject=f"退款单 {refund.out_refund_no}", attempt=None)


@web.post("/money/refunds/{refund_id:int}/retry")
def refund_retry(page: web.Page) -> web.Answer:
    """重试退款"""
    _confirmed(page.form)
    reason = _reason(page.form)
    refund_id = page.params["refund_id"]
    new = run(lambda uow: refunds.retry_refund(uow, refund_id, admin_id=page.admin_id, reason=reason))
    return web.partial(page, "partials/money_done.html", back=f"{web.BASE}/money", target=f"refund-{refund_id}",
                       message=f"已重新发起退款：新退款单 {new.out_refund_no}（{new.state_name}），"
                               f"{new.amount_fen / 100:,.2f} 元")


@web.post("/money/refunds/{refund_id:int}/completed-at-wechat")
def refund_completed(page: web.Page) -> web.Answer:
    """已在微信手工处理的退款"""
    _confirmed(page.form)
    reason = _reason(page.form)
    refund_id = page.params["refund_id"]
    done = refunds.check_refund_at_wechat(refund_id, admin_id=page.admin_id, reason=reason)  # queries WeChat
    return web.partial(page, "partials/money_done.html", back=f"{web.BASE}/money", target=f"refund-{refund_id}",
                       message=f"微信支付显示已退款：退款单 {done.out_refund_no} 已按{done.state_name}入账")


def _attempt(form: dict[str, str]) -> int:
    try:
        attempt = int(form.get("attempt", ""))
    except ValueError:
        raise ValidationFailed.field("attempt", "缺少转账尝试编号，请刷新页面") from None
    if attempt < 1:
        raise ValidationFailed.field("attempt", "转账尝试编号有误，请刷新页面")
    return attempt


@web.post("/money/payouts/{payout_id:int}/confirm")
def payout_confirm(page: web.Page) -> web.Answer:
    """重发打款：确认"""
    from shared.errors import NotFound

    payout_id = page.params["payout_id"]
    reason, attempt = _reason(page.form), _attempt(page.form)
    row = run(lambda uow: uow.execute("SELECT id, developer_id, amount_fen FROM payouts WHERE id = :id",
                                      {"id": payout_id}).first())
    if row is None:
        raise NotFound("PAYOUT_NOT_FOUND", "转账记录不存在")
    return web.partial(page, "partials/money_confirm.html", back=f"{web.BASE}/money", kind="payout",
                       target=f"payout-{payout_id}", action=f"{web.BASE}/money/payouts/{payout_id}/resend",
                       title="重发打款", reason=reason, amount_fen=row.amount_fen, attempt=attempt,
                       subject=f"打款 #{payout_id}（开发者 #{row.developer_id}）第 {attempt} 次转账之后",
                       effect=f"以新的转账单号发起第 {attempt + 1} 次转账：资金从开发者的待提现余额转出，"
                              "开发者需在微信中确认收款。")


@web.post("/money/payouts/{payout_id:int}/resend")
def payout_resend(page: web.Page) -> web.Answer:
    """重发打款"""
    _confirmed(page.form)
    reason, attempt = _reason(page.form), _attempt(page.form)
    payout_id = page.params["payout_id"]
    out = resend_payout(payout_id, attempt, admin_id=page.admin_id, reason=reason)  # calls WeChat outside any tx
    said = "已重发" if out.resent else "此前已重发"
    return web.partial(page, "partials/money_done.html", back=f"{web.BASE}/money", target=f"payout-{payout_id}",
                       message=f"{said}：第 {out.attempts} 次转账 {out.out_bill_no or ''}（{out.state_name}）")
