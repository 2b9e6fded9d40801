"""The orders timer (`orders_poll`): orders whose notification never came are asked about and settled through the
same path as the webhook (shared/payments/settle.py); orders past their expiry, closed at WeChat, or whose task no
longer needs them (shared/payments/rules.py: close_reason) are closed at WeChat and here. Then refunds WeChat has not
reported on are queried. Idempotent and bounded: a crash anywhere leaves work the next run finds again."""

from __future__ import annotations

import logging
from functools import partial

from shared import clock
from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.faults import crash_point
from shared.payments import rules
from shared.payments.errors import Refused
from shared.payments.models import mark_closed, unpaid_orders
from shared.payments.refunds import poll_open_refunds
from shared.payments.settle import settle_from_query, settle_paid_order
from shared.uow import run

log = logging.getLogger("codelink.payments")

POLL_BATCH = 50


def poll_unpaid_orders(batch: int = POLL_BATCH) -> dict[str, int]:
    """Timer (orders_poll): orders unpaid for over 3 minutes are queried — a lost notification is settled through the
    same path as the webhook — and orders past their expiry (or whose task no longer needs them) are closed at WeChat
    and here. Then refunds WeChat has not reported on are queried. Idempotent, bounded."""
    counts = {"checked": 0, "settled": 0, "closed": 0, "refused": 0, "errors": 0}
    now = clock.now()
    rows = run(lambda uow: unpaid_orders(uow, now - rules.POLL_AFTER, batch))
    gateway = clients.wechatpay()
    for row in rows:
        counts["checked"] += 1
        try:
            paid: wxp.Order | None = gateway.query_order(row.out_trade_no)
        except wxp.NotFound:
            paid = None  # WeChat never got it (our create failed or never ran)
        except wxp.WeChatPayError as exc:
            log.warning("orders_poll: query %s failed: %s", row.out_trade_no, exc)
            counts["errors"] += 1
            continue
        if paid is not None and paid.state in rules.WECHAT_PAID:
            crash_point("payin.poll_found_paid")  # nothing written yet: the next run asks again
            try:
                run(partial(settle_paid_order, paid=paid, via="poll"))
                counts["settled"] += 1
            except Refused as exc:
                log.error("orders_poll: %s refused: %s", row.out_trade_no, exc)
                counts["refused"] += 1
            continue
        reason = rules.close_reason(row, paid, now)
        if reason is None:
            continue
        if paid is not None and paid.state != "CLOSED":
            try:
                gateway.close_order(row.out_trade_no)
            except wxp.NotFound:
                pass
            except wxp.WeChatPayError as exc:
                if exc.code == "ORDERPAID":  # paid between our query and the close
                    try:
                        settle_from_query(row.out_trade_no)
                        counts["settled"] += 1
                    except (wxp.WeChatPayError, Refused) as again:
                        log.warning("orders_poll: settling %s failed: %s", row.out_trade_no, again)
                        counts["errors"] += 1
                else:
                    log.warning("orders_poll: close %s failed: %s", row.out_trade_no, exc)
                    counts["errors"] += 1
                continue
        if run(partial(mark_closed, out_trade_no=row.out_trade_no, reason=reason)):
            counts["closed"] += 1
    counts.update(poll_open_refunds())
    return counts
