"""The payments area's order API: how any area collects money through WeChat Pay (escrow here; subscriptions and
promotions in shared/billing). `create_order` inside your use case's unit of work, then `request_payment` after the
commit for the signed wx.requestPayment arguments. The payments webhook and its poller settle every order, whatever
its purpose, and publish PaymentOrderPaid; subscribe to it for what the payment buys.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from shared import clock
from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.auth.models import User
from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.events import PaymentOrderCreated
from shared.faults import crash_point
from shared.payments.models import Order, insert_order, order_by_number, store_prepay_id
from shared.payments.rules import OPEN, ORDER_STATE_NAMES, ORDER_TTL
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments")


def wall_now() -> datetime:
    """WeChat Pay's clock, not the business clock: order expiry we send it and signature freshness are judged by real
    time at WeChat, even when the local runtime or a test has moved `shared.clock`."""
    return datetime.now(timezone.utc)


def new_out_trade_no(now: datetime) -> str:
    # Unique forever per merchant (WeChat refuses a reused number with other parameters) and not guessable: never
    # the row id, which also restarts whenever a test or dev database is emptied while WeChat remembers.
    return f"CL{now.astimezone(clock.SHANGHAI):%y%m%d}{secrets.token_hex(10)}"


# --------------------------------------------------------------------------------------------------- orders (generic)


def create_order(uow: UnitOfWork, *, purpose: str, payer_id: int, amount_fen: int, description: str,
                 task_id: int | None = None, milestone_id: int | None = None, reward_fen: int = 0,
                 promotion_fee_fen: int = 0, promotion_days: int | None = None,
                 breakdown: dict[str, Any] | None = None) -> Order:
    """Insert an unpaid order and return it. Also for other areas' purposes (promotion, subscription): create the
    order in your use case, then call `request_payment(out_trade_no)` after the commit."""
    payer = uow.session.get(User, payer_id)
    if payer is None or not payer.openid:
        raise Conflict("OPENID_REQUIRED", "请在微信小程序中登录后再支付")
    order = insert_order(
        uow, out_trade_no=new_out_trade_no(uow.now), purpose=purpose, payer_id=payer_id, payer_openid=payer.openid,
        task_id=task_id, milestone_id=milestone_id, description=description[:127], amount_fen=amount_fen,
        reward_fen=reward_fen, promotion_fee_fen=promotion_fee_fen, promotion_days=promotion_days,
        breakdown=breakdown or {}, expires_at=uow.now + ORDER_TTL,
        wechat_time_expire=(wall_now() + ORDER_TTL).replace(microsecond=0))
    uow.publish(PaymentOrderCreated(order_id=order.id, out_trade_no=order.out_trade_no, purpose=purpose,
                                    payer_id=payer_id, amount_fen=amount_fen, task_id=task_id,
                                    details=breakdown or {}))
    return order


def request_payment(out_trade_no: str, *, on_already_paid: Callable[[str], None] | None = None) -> dict[str, str]:
    """Create the order at WeChat Pay (once; a retry sends the identical parameters, which WeChat answers with the
    same prepay_id) and return the signed arguments of wx.requestPayment. Call outside any transaction.

    WeChat may answer that the order is paid already (the payer paid through an earlier prompt): `on_already_paid`
    (the payments area passes its settle-now) brings the payment in at once; without it the notification or the
    orders_poll timer does, within minutes."""
    order = run(lambda uow: order_by_number(uow, out_trade_no))
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", "订单不存在")
    if order.state not in OPEN:
        raise Conflict("ORDER_NOT_PAYABLE", f"订单{ORDER_STATE_NAMES[order.state]}，不能支付")
    gateway = clients.wechatpay()
    prepay_id = order.prepay_id
    if prepay_id is None:
        try:
            prepay_id = gateway.create_jsapi_order(order.out_trade_no, order.description, order.amount_fen,
                                                   order.payer_openid, time_expire=order.wechat_time_expire)
        except wxp.WeChatPayError as exc:
            if exc.code == "ORDERPAID":
                if on_already_paid is not None:
                    on_already_paid(order.out_trade_no)
                raise Conflict("ORDER_ALREADY_PAID", "该订单已支付，请刷新查看") from None
            log.warning("create_jsapi_order %s failed: %s", order.out_trade_no, exc)
            raise ServiceUnavailable("PAYMENT_UNAVAILABLE", "微信支付暂时不可用，请稍后再试") from None
        # A crash here leaves the order known at WeChat without its prepay_id: the next tap sends the identical
        # parameters (WeChat answers with the same prepay_id), or the timer closes it once it expires.
        crash_point("payin.after_create")
        stored = prepay_id
        run(lambda uow: store_prepay_id(uow, order.id, stored))
    try:
        return gateway.mini_program_payment_params(prepay_id)
    except wxp.WeChatPayError as exc:
        log.error("signing payment params for %s failed: %s", order.out_trade_no, exc)
        raise ServiceUnavailable("PAYMENT_UNAVAILABLE", "微信支付暂时不可用，请稍后再试") from None
