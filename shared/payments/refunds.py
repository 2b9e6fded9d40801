"""Refunds through WeChat Pay's v3 refund API and its REFUND.* notifications.

A refund is decided inside the use case that causes it (a task cancelled before work starts, expired unassigned,
rejected in review, a payment that arrived for a task that no longer needs it, a dispute ruling) in one transaction
that also moves the money out of escrow into `refunds:in_flight` (`refund_start`) and enqueues the `refund_start` job.
The job calls the API — idempotent on out_refund_no, so running it twice is harmless — and REFUND.SUCCESS (or the
timer's query) posts `refund_done`: the money has left our WeChat Pay balance. ABNORMAL / CLOSED mark the refund
failed for an admin to resolve; the money stays in `refunds:in_flight`, never silently back in escrow.

An operator resolves a failed refund in one of two ways (the console's 资金异常 page, /admin/refunds/…):
- retry (`retry_refund`): a NEW attempt — a new out_refund_no, request_key `retry:<old number>` — through the same
  path (row + `refund_start` job). Nothing is posted: the money the old attempt moved into `refunds:in_flight` is the
  money the new attempt refunds (its `refund_done` takes it out). The old row stays `failed` for history and counts as
  superseded (no longer open, no longer owed). Unique request_key: a double click makes one attempt.
- completed at WeChat by hand (`check_refund_at_wechat`): the operator handled the ABNORMAL refund in the merchant
  platform (异常退款); a query of the same number now says SUCCESS and `apply_refund_status` settles it
  (`failed → succeeded`, `refund_done`).

    requested ──API accepted──▶ processing ──REFUND.SUCCESS──▶ succeeded
        │                          └──REFUND.ABNORMAL / CLOSED──▶ failed (admin)
        └── (a SUCCESS can overtake the API answer: requested ──▶ succeeded directly)

Crash points `refund.after_ledger` and `refund.after_api` sit between the steps; wherever the process dies, the
job runs again (lease expiry) and completes from the state it finds.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared import clock
from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import AdminAudited, EscrowReturnedToBudget, RefundFailed, RefundRequested, RefundSettled
from shared.faults import crash_point
from shared.ledger import accounts as acc
from shared.ledger.service import balance, post
from shared.payments import milestones as ms
from shared.payments import schemas as s
from shared.payments import texts
from shared.payments.errors import (
    RefundNotCompletedAtWeChat,
    RefundNotFailed,
    RefundNotFound,
    RefundQueryUnavailable,
    Refused,
)
from shared.payments.models import Order, Refund, order_by_id, refund_from_row
from shared.payments.rules import (
    ESCROW_PURPOSES,
    MILESTONE_TRANSITIONS,
    PAID,
    REFUND_CHECKABLE,
    REFUND_FAILED,
    REFUND_INITIAL,
    REFUND_PROCESSING,
    REFUND_RETRYABLE,
    REFUND_SUCCEEDED,
    REFUND_TRANSITIONS,
    RETRY_KEY_PREFIX,
    retry_key,
)
from shared.tasks.models import Task
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments.refunds")

STATE_NAMES = {"requested": "退款中", "processing": "退款中", "succeeded": "已退款", "failed": "退款异常"}
# WeChat reports within seconds; a refund still processing after this is asked about (a notification can be lost).
REFUND_POLL_AFTER = timedelta(minutes=5)
REFUND_POLL_BATCH = 50
# A failed attempt an operator retried: the new attempt (request_key `retry:<its number>`) carries its money.
NOT_SUPERSEDED = ("NOT EXISTS (SELECT 1 FROM refunds n WHERE n.request_key = '" + RETRY_KEY_PREFIX
                  + "' || r.out_refund_no)")
_REFUND_COLUMNS = (
    "r.id, r.out_refund_no, r.request_key, r.order_id, r.task_id, r.milestone_id, r.escrow_account, r.amount_fen,"
    " r.reason, r.state, r.refund_id, r.failure, r.created_at, r.succeeded_at, r.updated_at,"
    " o.out_trade_no, o.amount_fen AS order_amount_fen, o.payer_id"
)


def new_out_refund_no(now: datetime) -> str:
    # Unique forever per merchant, like out_trade_no (WeChat remembers it; our ids restart in test databases).
    return f"RF{now.astimezone(clock.SHANGHAI):%y%m%d}{secrets.token_hex(10)}"


def _refund_row(uow: UnitOfWork, where: str, params: dict[str, Any], *, lock: bool = False) -> Refund | None:
    row = uow.execute(f"SELECT {_REFUND_COLUMNS} FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
                      f" WHERE {where}" + (" FOR UPDATE OF r" if lock else ""), params).first()
    return None if row is None else refund_from_row(row)


def _refund_by_id(uow: UnitOfWork, refund_id: int) -> Refund:
    refund = _refund_row(uow, "r.id = :id", {"id": refund_id})
    assert refund is not None
    return refund


def refund_out(row: Refund) -> s.RefundOut:
    return s.RefundOut(out_refund_no=row.out_refund_no, task_id=row.task_id, milestone_id=row.milestone_id,
                       amount_fen=row.amount_fen, reason=row.reason, state=row.state,
                       state_name=STATE_NAMES[row.state], failure=row.failure, created_at=row.created_at,
                       succeeded_at=row.succeeded_at)


def _refunds(uow: UnitOfWork, where: str, params: dict[str, Any]) -> list[s.RefundOut]:
    rows = uow.execute(f"SELECT {_REFUND_COLUMNS} FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
                       f" WHERE {where} ORDER BY r.id", params).all()
    return [refund_out(refund_from_row(r)) for r in rows]


def refunds_of_order(uow: UnitOfWork, order_id: int) -> list[s.RefundOut]:
    return _refunds(uow, "r.order_id = :o", {"o": order_id})


def refunds_of_task(uow: UnitOfWork, task_id: int) -> list[s.RefundOut]:
    return _refunds(uow, "r.task_id = :t", {"t": task_id})


# --------------------------------------------------------------------------------------------------- deciding


def refund_order(uow: UnitOfWork, order: Order, escrow_account: str, amount_fen: int, reason: str, *, key: str,
                 actor_id: int | None = None) -> Refund:
    """Refund `amount_fen` of the paid `order` out of `escrow_account`: the refund row, `refund_start` in the ledger
    and the job, all in the caller's transaction. Idempotent on `key` (the decision it executes). The caller holds
    the lock that serialises decisions about this money (the task row)."""
    existing = uow.execute("SELECT id FROM refunds WHERE request_key = :k", {"k": key}).first()
    if existing is not None:
        return _refund_by_id(uow, existing.id)
    no = new_out_refund_no(uow.now)
    row = uow.execute(
        "INSERT INTO refunds (out_refund_no, request_key, order_id, task_id, milestone_id, escrow_account,"
        " amount_fen, reason, requested_by, created_at, updated_at) VALUES (:no, :k, :o, :t, :m, :acc, :amt, :reason,"
        " :by, :now, :now) RETURNING id",
        {"no": no, "k": key, "o": order.id, "t": order.task_id, "m": order.milestone_id, "acc": escrow_account,
         "amt": amount_fen, "reason": reason, "by": actor_id, "now": uow.now}).one()
    # The database refuses this posting if the escrow does not hold the amount (no account goes negative).
    post(uow, "refund_start", f"refund:{no}", [(escrow_account, amount_fen), (acc.REFUNDS_IN_FLIGHT, -amount_fen)],
         memo=reason)
    uow.enqueue("refund_start", {"refund_id": row.id}, dedupe_key=no)
    uow.publish(RefundRequested(refund_id=row.id, out_refund_no=no, out_trade_no=order.out_trade_no,
                                payer_id=order.payer_id,
                                task_id=order.task_id, amount_fen=amount_fen, escrow=escrow_account, reason=reason,
                                key=key, actor_id=actor_id))
    return _refund_by_id(uow, row.id)


def _escrow_sources(uow: UnitOfWork, task: Task, milestone_id: int | None) -> list[tuple[str, int | None, int]]:
    """(escrow account, milestone id, balance) the task's money sits in, milestones in order."""
    assert task.id is not None
    milestones = ms.milestones_of(uow, task.id, lock=True)
    if milestone_id is not None:
        milestones = [m for m in milestones if m.id == milestone_id]
        if not milestones:
            raise NotFound("MILESTONE_NOT_FOUND", "里程碑不存在")
    if milestones:
        return [(acc.milestone_escrow(m.id), m.id, balance(uow, acc.milestone_escrow(m.id))) for m in milestones]
    return [(acc.task_escrow(task.id), None, balance(uow, acc.task_escrow(task.id)))]


def request_refund(uow: UnitOfWork, task_id: int, amount_fen: int, reason: str, *, key: str | None = None,
                   milestone_id: int | None = None, actor_id: int | None = None) -> list[s.RefundOut]:
    """Refund `amount_fen` of what the task's escrow holds to whoever paid it (for the disputes area: a ruling of a
    full or partial refund). Pass `key` naming the decision (e.g. f"dispute:{id}") and deciding it again refunds
    nothing more. Several refunds when the money sits in several milestone escrows / orders."""
    task = uow.session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    return _refund(uow, task, amount_fen, reason, key=key, milestone_id=milestone_id, actor_id=actor_id)


def _refund(uow: UnitOfWork, task: Task, amount_fen: int, reason: str, *, key: str | None,
            milestone_id: int | None, actor_id: int | None) -> list[s.RefundOut]:
    assert task.id is not None
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed.field("amount_fen", "退款金额须为正整数（分）")
    key = key or f"task:{task.id}:{uuid.uuid4().hex}"
    done = uow.execute("SELECT id FROM refunds WHERE split_part(request_key, '#', 1) = :k ORDER BY id",
                       {"k": key}).all()
    if done or uow.execute("SELECT 1 FROM ledger_transactions WHERE kind = 'budget_return' AND ref = :k",
                           {"k": key}).first():
        return [refund_out(_refund_by_id(uow, r.id)) for r in done]  # decided before
    sources = _escrow_sources(uow, task, milestone_id)
    held = sum(b for _, _, b in sources)
    if amount_fen > held:
        raise Conflict("REFUND_EXCEEDS_ESCROW", f"退款金额 {amount_fen / 100:.2f} 元超过托管余额 {held / 100:.2f} 元")
    if task.is_platform:
        # Platform tasks were paid from the operators' budget: the money goes back there, no WeChat refund.
        entries, left = [], amount_fen
        for account, _, held_here in sources:
            take = min(left, held_here)
            if take:
                entries.append((account, take))
                left -= take
        post(uow, "budget_return", key, [*entries, (acc.BUDGET, -amount_fen)], memo=reason)
        uow.publish(EscrowReturnedToBudget(task_id=task.id, amount_fen=amount_fen, reason=reason, actor_id=actor_id))
        _mark_milestones_refunded(uow, task.id)
        return []
    out: list[s.RefundOut] = []
    left = amount_fen
    for account, mid, held_here in sources:
        take = min(left, held_here)
        if take <= 0:
            continue
        left -= take
        paid = uow.execute(
            "SELECT o.id,"
            " o.amount_fen - coalesce((SELECT sum(r.amount_fen) FROM refunds r WHERE r.order_id = o.id"
            f" AND {NOT_SUPERSEDED}), 0) AS left"
            " FROM payment_orders o WHERE o.state = :paid AND o.task_id = :t AND coalesce(o.milestone_id, 0) = :m"
            " AND o.purpose = ANY(:purposes) ORDER BY o.id FOR UPDATE",
            {"paid": PAID, "t": task.id, "m": mid or 0, "purposes": list(ESCROW_PURPOSES)}).all()
        for unrefunded in paid:
            part = min(take, int(unrefunded.left))
            if part <= 0:
                continue
            take -= part
            order = order_by_id(uow, unrefunded.id)
            assert order is not None
            row = refund_order(uow, order, account, part, reason, key=f"{key}#{order.id}", actor_id=actor_id)
            out.append(refund_out(row))
            if take == 0:
                break
        if take:
            # Escrow holds money no paid order explains: a bug or a manual posting. Refuse rather than guess.
            raise Conflict("REFUND_SOURCE_UNKNOWN", "托管资金来源不明，请联系平台处理")
    _mark_milestones_refunded(uow, task.id)
    return out


def _mark_milestones_refunded(uow: UnitOfWork, task_id: int) -> None:
    for m in ms.milestones_of(uow, task_id):
        if m.state in MILESTONE_TRANSITIONS["refund"] and balance(uow, acc.milestone_escrow(m.id)) == 0:
            ms.move(uow, "refund", milestone_id=m.id)


def refund_on_close(uow: UnitOfWork, task: Task, *, action: str, reason: str, actor_id: int | None = None
                    ) -> list[s.RefundOut]:
    """Hook for cancel / expire / reject (the task row is locked by the caller): whatever the task's escrow still
    holds goes back to whoever paid it, by itself. Nothing held (never funded): nothing to do."""
    assert task.id is not None
    ms.cancel_unfunded(uow, task.id)
    held = sum(b for _, _, b in _escrow_sources(uow, task, None))
    if held == 0:
        return []
    refunds = _refund(uow, task, held, reason, key=f"{action}:task:{task.id}", milestone_id=None, actor_id=actor_id)
    uow.notify(task.merchant_id, *texts.ESCROW_REFUND_STARTED.render(title=task.title, reason=reason, yuan=held / 100),
               data={"task_id": task.id}, dedupe_key=f"escrow_refund_started:{action}:{task.id}")
    return refunds


# --------------------------------------------------------------------------------------------------- executing


def start_refund(payload: dict[str, Any]) -> None:
    """Job `refund_start`: ask WeChat Pay to refund. Safe to run any number of times."""
    from shared.jobs import PermanentJobError

    refund_id = int(payload["refund_id"])
    row = run(lambda uow: _refund_row(uow, "r.id = :id", {"id": refund_id}))
    if row is None:
        raise PermanentJobError(f"no refund {refund_id}")
    if row.state != REFUND_INITIAL:
        return  # WeChat already has it (or it ended): nothing left for this job
    crash_point("refund.after_ledger")
    try:
        result = clients.wechatpay().refund(row.out_refund_no, row.out_trade_no, row.amount_fen,
                                            row.order_amount_fen, row.reason[:80])
    except wxp.WeChatPayError as exc:
        if exc.retryable or exc.code == "NOT_ENOUGH":  # NOT_ENOUGH: merchant balance short, fine after top-up
            raise
        # Refused for good (the order cannot be refunded like this): an admin must look at it.
        failure = f"{exc.code}: {exc.message}"
        run(lambda uow: _fail(uow, refund_id, failure))
        return
    crash_point("refund.after_api")
    run(lambda uow: apply_refund_status(uow, result))


def _fail(uow: UnitOfWork, refund_id: int, failure: str) -> None:
    row = _refund_row(uow, "r.id = :id", {"id": refund_id}, lock=True)
    if row is None or row.state not in REFUND_TRANSITIONS["fail"]:
        return
    _mark_failed(uow, row, failure)


def _mark_failed(uow: UnitOfWork, row: Refund, failure: str) -> None:
    uow.execute("UPDATE refunds SET state = :s, failure = :f, failed_at = :now, updated_at = :now"
                " WHERE id = :id", {"s": REFUND_FAILED, "f": failure, "now": uow.now, "id": row.id})
    uow.publish(RefundFailed(refund_id=row.id, payer_id=row.payer_id, task_id=row.task_id, failure=failure))
    uow.notify(row.payer_id, *texts.REFUND_FAILED.render(yuan=row.amount_fen / 100),
               data={"task_id": row.task_id, "out_refund_no": row.out_refund_no},
               dedupe_key=f"refund_failed:{row.out_refund_no}")


def apply_refund_status(uow: UnitOfWork, refund: wxp.Refund) -> str:
    """What WeChat Pay says about a refund (API answer, notification or query), applied once. Returns the outcome."""
    row = _refund_row(uow, "r.out_refund_no = :no", {"no": refund.out_refund_no}, lock=True)
    if row is None:
        raise Refused(404, "unknown_refund", f"未知退款单 {refund.out_refund_no}")
    if refund.refund_fen != row.amount_fen or (refund.out_trade_no and refund.out_trade_no != row.out_trade_no):
        raise Refused(400, "amount_mismatch", f"退款单不符：{refund.out_trade_no}/{refund.refund_fen} 分，"
                                              f"应为 {row.out_trade_no}/{row.amount_fen} 分")
    if row.state not in REFUND_TRANSITIONS["succeed"]:
        return "already_refunded"
    if refund.status == "SUCCESS":
        # Also from `failed`: an ABNORMAL refund an operator completed at WeChat still leaves refunds:in_flight.
        post(uow, "refund_done", f"refund:{row.out_refund_no}",
             [(acc.REFUNDS_IN_FLIGHT, row.amount_fen), (acc.CLEARING, -row.amount_fen)])
        uow.execute("UPDATE refunds SET state = :s, refund_id = coalesce(:rid, refund_id),"
                    " succeeded_at = :now, updated_at = :now WHERE id = :id",
                    {"s": REFUND_SUCCEEDED, "rid": refund.refund_id or None, "now": uow.now, "id": row.id})
        uow.publish(RefundSettled(refund_id=row.id, out_refund_no=row.out_refund_no, payer_id=row.payer_id,
                                  task_id=row.task_id, amount_fen=row.amount_fen,
                                  wechat_refund_id=refund.refund_id or ""))
        account = refund.user_received_account or texts.DEFAULT_REFUND_ACCOUNT
        uow.notify(row.payer_id, *texts.REFUND_SUCCEEDED.render(yuan=row.amount_fen / 100, account=account),
                   data={"task_id": row.task_id, "out_refund_no": row.out_refund_no},
                   dedupe_key=f"refund_succeeded:{row.out_refund_no}")
        return "refund_succeeded"
    if refund.status in ("ABNORMAL", "CLOSED"):
        if row.state not in REFUND_TRANSITIONS["fail"]:
            return "already_failed"
        _mark_failed(uow, row, refund.status)
        return "refund_failed"
    if row.state in REFUND_TRANSITIONS["accept"]:
        uow.execute("UPDATE refunds SET state = :s, refund_id = :rid, processing_at = :now,"
                    " updated_at = :now WHERE id = :id",
                    {"s": REFUND_PROCESSING, "rid": refund.refund_id or None, "now": uow.now, "id": row.id})
    return "refund_processing"


def poll_open_refunds(batch: int = REFUND_POLL_BATCH) -> dict[str, int]:
    """Part of the orders_poll timer: refunds WeChat accepted but has not reported on for a while are queried."""
    counts = {"refunds_checked": 0, "refunds_settled": 0}
    rows = run(lambda uow: uow.execute(
        "SELECT out_refund_no FROM refunds WHERE state = :s AND updated_at <= :cutoff"
        " ORDER BY updated_at LIMIT :n",
        {"s": REFUND_PROCESSING, "cutoff": clock.now() - REFUND_POLL_AFTER, "n": batch}).all())
    gateway = clients.wechatpay()
    for row in rows:
        counts["refunds_checked"] += 1
        try:
            result = gateway.query_refund(row.out_refund_no)
        except wxp.WeChatPayError as exc:
            log.warning("orders_poll: query refund %s failed: %s", row.out_refund_no, exc)
            continue
        outcome = run(partial(apply_refund_status, refund=result))
        if outcome in ("refund_succeeded", "refund_failed"):
            counts["refunds_settled"] += 1
    return counts


# --------------------------------------------------------------------------------------------------- admin


def admin_refunds(uow: UnitOfWork, state: str | None, limit: int) -> list[s.AdminRefundOut]:
    where, params = ("r.state = :s", {"s": state}) if state else ("true", {})
    rows = uow.execute(f"SELECT {_REFUND_COLUMNS} FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
                       f" WHERE {where} ORDER BY r.id DESC LIMIT :n", {**params, "n": limit}).all()
    found = [refund_from_row(r) for r in rows]
    retries = {r.request_key: r.out_refund_no for r in uow.execute(
        "SELECT request_key, out_refund_no FROM refunds WHERE request_key = ANY(:k)",
        {"k": [retry_key(r.out_refund_no) for r in found]}).all()}
    return [admin_refund_out(r, retried_by=retries.get(retry_key(r.out_refund_no))) for r in found]


def admin_refund_out(r: Refund, retried_by: str | None = None) -> s.AdminRefundOut:
    return s.AdminRefundOut(**refund_out(r).model_dump(), id=r.id, out_trade_no=r.out_trade_no,
                            refund_id=r.refund_id, request_key=r.request_key, retried_by=retried_by)


def _audit(uow: UnitOfWork, admin_id: int, action: str, old: Refund, after: Refund, reason: str) -> None:
    uow.publish(AdminAudited(
        admin_id=admin_id, action=action, entity_name="refund", entity_id=old.id, subject_user_id=old.payer_id,
        before={"out_refund_no": old.out_refund_no, "state": old.state, "failure": old.failure},
        after={"id": after.id, "out_refund_no": after.out_refund_no, "state": after.state,
               "amount_fen": after.amount_fen}, reason=reason))


def retry_refund(uow: UnitOfWork, refund_id: int, *, admin_id: int, reason: str) -> s.AdminRefundOut:
    """An operator retries a failed refund: a new attempt (new out_refund_no) for the same money through the same
    path (row + `refund_start` job). Nothing is posted — the old attempt's money is already in `refunds:in_flight`.
    Idempotent: the retry of an attempt is keyed by its number, so asking again returns the same new attempt."""
    old = _refund_row(uow, "r.id = :id", {"id": refund_id}, lock=True)
    if old is None:
        raise RefundNotFound()
    done = uow.execute("SELECT id FROM refunds WHERE request_key = :k", {"k": retry_key(old.out_refund_no)}).first()
    if done is not None:
        return admin_refund_out(_refund_by_id(uow, done.id))  # a double click, a retried request: one attempt
    if old.state not in REFUND_RETRYABLE:
        raise RefundNotFailed()
    no = new_out_refund_no(uow.now)
    row = uow.execute(
        "INSERT INTO refunds (out_refund_no, request_key, order_id, task_id, milestone_id, escrow_account,"
        " amount_fen, reason, requested_by, created_at, updated_at) VALUES (:no, :k, :o, :t, :m, :acc, :amt, :reason,"
        " :by, :now, :now) RETURNING id",
        {"no": no, "k": retry_key(old.out_refund_no), "o": old.order_id, "t": old.task_id, "m": old.milestone_id,
         "acc": old.escrow_account, "amt": old.amount_fen, "reason": old.reason, "by": admin_id,
         "now": uow.now}).one()
    uow.enqueue("refund_start", {"refund_id": row.id}, dedupe_key=no)
    new = _refund_by_id(uow, row.id)
    _audit(uow, admin_id, "refund.retry", old, new, reason)
    return admin_refund_out(new)


def check_refund_at_wechat(refund_id: int, *, admin_id: int, reason: str) -> s.AdminRefundOut:
    """The operator completed a failed refund at WeChat by hand (商户平台的异常退款处理): ask WeChat about the same
    number and settle it if it now says SUCCESS. The query runs outside any transaction; applying is idempotent."""
    row = run(lambda uow: _refund_row(uow, "r.id = :id", {"id": refund_id}))
    if row is None:
        raise RefundNotFound()
    superseded = run(lambda uow: uow.execute("SELECT 1 FROM refunds WHERE request_key = :k",
                                             {"k": retry_key(row.out_refund_no)}).first())
    if row.state not in REFUND_CHECKABLE or superseded is not None:
        raise RefundNotFailed()
    try:
        result = clients.wechatpay().query_refund(row.out_refund_no)
    except wxp.WeChatPayError as exc:
        log.warning("check refund %s at WeChat failed: %s", row.out_refund_no, exc)
        raise RefundQueryUnavailable() from None
    if result.status != "SUCCESS":
        raise RefundNotCompletedAtWeChat(message=f"微信支付显示该退款仍为 {result.status}，请先在商户平台处理")

    def settle(uow: UnitOfWork) -> s.AdminRefundOut:
        apply_refund_status(uow, result)
        after = _refund_by_id(uow, refund_id)
        _audit(uow, admin_id, "refund.completed_at_wechat", row, after, reason)
        return admin_refund_out(after)

    return run(settle)
