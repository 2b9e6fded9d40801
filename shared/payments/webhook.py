"""POST /payments/notify: WeChat Pay's notifications (payments, refunds, merchant transfers).

Order of checks, each with its answer (WeChat retries anything but a 2xx for about 24 hours):
1. Signature over the raw body, serial, timestamp within 5 minutes, decryption with the APIv3 key
   (WeChatPayGateway.parse_notification). Forged / tampered / stale → 401 or 400 FAIL; nothing is stored.
2. The notification id, upserted in payment_notifications under its row lock: a duplicate of one already handled is
   answered SUCCESS at once; concurrent replays of one notification queue on that lock.
3. The business event, in the same transaction: the order (or refund) row is locked, checked against the resource,
   and settled through the same code as the timer's query; the ledger's (kind, ref) makes the posting once-only.
   A refused one (unknown order, wrong merchant, amount mismatch) rolls back, is recorded as not done (visible to
   admins) and answered 4xx so WeChat tries again.
Nothing here calls WeChat or any other service: the answer must come within 5 seconds. What needs an external call
(a refund) is a job, enqueued in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.events import MerchantTransferReported
from shared.http.router import Response
from shared.payments.checkout import wall_now
from shared.payments.errors import Refused
from shared.payments.refunds import apply_refund_status
from shared.payments.settle import settle_paid_order
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments.webhook")

SUCCESS = {"code": "SUCCESS"}
# What the payouts area reads of a transfer notification (the event log keeps no openid).
_TRANSFER_FIELDS = ("out_bill_no", "transfer_bill_no", "state", "transfer_amount", "fail_reason")


def _fail(status: int, message: str) -> Response:
    return Response(status, {"code": "FAIL", "message": message})


def handle(headers: dict[str, str], body: bytes) -> Response:
    try:
        # Freshness is judged against the real clock: WeChat signs with its real time, whatever shared.clock says.
        notification = clients.wechatpay().parse_notification(headers, body, wall_now())
    except (wxp.InvalidSignature, wxp.StaleNotification) as exc:
        log.warning("notification refused: %s", exc)
        return _fail(401, "签名验证失败" if isinstance(exc, wxp.InvalidSignature) else "通知已过期")
    except (wxp.DecryptError, wxp.MalformedNotification) as exc:
        log.warning("notification refused: %s", exc)
        return _fail(400, "通知内容无法解密或格式错误")
    except wxp.WeChatPayError as exc:  # our own configuration: WeChat should try again once it is fixed
        log.error("cannot verify notifications: %s", exc)
        return _fail(500, "系统繁忙")
    try:
        run(lambda uow: process(uow, notification))
    except Refused as exc:
        log.error("notification %s (%s) refused: %s", notification.id, notification.event_type, exc)
        refused = exc
        run(lambda uow: _remember(uow, notification, done=False, outcome=refused.outcome, detail=refused.message))
        return _fail(refused.status, refused.message)
    except Exception:
        log.exception("notification %s (%s) failed", notification.id, notification.event_type)
        return _fail(500, "系统繁忙")
    return Response(200, SUCCESS)


def _ref(notification: wxp.Notification) -> str | None:
    r = notification.resource
    return r.get("out_refund_no") or r.get("out_trade_no") or r.get("out_bill_no")


@dataclass(frozen=True)
class _Seen:
    """A `payment_notifications` row after the upsert: handled already (done), and how."""

    done: bool
    outcome: str


def _remember(uow: UnitOfWork, notification: wxp.Notification, *, done: bool, outcome: str, detail: str = ""
              ) -> _Seen:
    """Upsert the notification's row (taking its lock) and return what was there before, if anything."""
    row = uow.execute(
        "INSERT INTO payment_notifications (id, event_type, ref, done, outcome, detail, first_seen_at, last_seen_at)"
        " VALUES (:id, :type, :ref, :done, :outcome, :detail, :now, :now)"
        " ON CONFLICT (id) DO UPDATE SET attempts = payment_notifications.attempts + 1, last_seen_at = :now,"
        " done = payment_notifications.done OR EXCLUDED.done,"
        " outcome = CASE WHEN payment_notifications.done THEN payment_notifications.outcome ELSE EXCLUDED.outcome END,"
        " detail = CASE WHEN payment_notifications.done THEN payment_notifications.detail ELSE EXCLUDED.detail END"
        " RETURNING done, outcome",
        {"id": notification.id, "type": notification.event_type, "ref": _ref(notification), "done": done,
         "outcome": outcome, "detail": detail[:500], "now": uow.now},
    ).one()
    return _Seen(bool(row.done), str(row.outcome))


def process(uow: UnitOfWork, notification: wxp.Notification) -> str:
    row = _remember(uow, notification, done=False, outcome="received")
    if row.done:
        return "duplicate"
    outcome = dispatch(uow, notification)
    uow.execute("UPDATE payment_notifications SET done = true, outcome = :o WHERE id = :id",
                {"o": outcome, "id": notification.id})
    return outcome


def dispatch(uow: UnitOfWork, notification: wxp.Notification) -> str:
    event = notification.event_type
    try:
        if event == "TRANSACTION.SUCCESS":
            return settle_paid_order(uow, wxp.Order.from_resource(notification.resource), via="notify")
        if event.startswith("REFUND."):
            return apply_refund_status(uow, wxp.Refund.from_resource(notification.resource))
        if event == "MCHTRANSFER.BILL.FINISHED":
            wxp.Transfer.from_resource(notification.resource)  # the same strict reading (whole fen) before payouts
    except (KeyError, TypeError, ValueError) as exc:
        raise Refused(400, "malformed_resource", f"通知内容缺少字段或格式有误：{exc}") from None
    if event == "MCHTRANSFER.BILL.FINISHED":
        # The payouts area owns transfers: its subscriber settles this one in this transaction (or refuses it).
        number = str(notification.resource.get("out_bill_no") or "")
        payout = uow.execute("SELECT payout_id FROM payout_transfers WHERE out_bill_no = :n", {"n": number}).scalar()
        kept = {k: notification.resource[k] for k in _TRANSFER_FIELDS if k in notification.resource}
        uow.publish(MerchantTransferReported(payout_id=int(payout or 0), out_bill_no=number, resource=kept))
        return "transfer_handled"
    log.info("notification %s of type %s ignored", notification.id, event)
    return "ignored"
