"""Pure rules of pay-in: the payment order's state machine (every order state list is derived from it), what the
orders timer closes, and the timings. No I/O, no clock: callers pass what the rules need.

    created ──pay──▶ paid
       │               ▲
       └──close──▶ closed ──pay (the payer was already in the payment sheet: the money arrived anyway)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.tasks import rules as task_rules

if TYPE_CHECKING:
    from shared.adapters.wechatpay import Order as WeChatOrder
    from shared.payments.models import UnpaidOrder

# action -> {from state: to state}
ORDER_TRANSITIONS: dict[str, dict[str, str]] = {
    "pay": {"created": "paid", "closed": "paid"},
    "close": {"created": "closed"},
}
ORDER_STATES = frozenset(s for moves in ORDER_TRANSITIONS.values() for pair in moves.items() for s in pair)
ORDER_STATE_NAMES = {"created": "待支付", "paid": "已支付", "closed": "已关闭"}

# Unpaid and still payable: what a double tap may reuse, what the timer asks about, what a close acts on.
OPEN = frozenset(ORDER_TRANSITIONS["close"])
[PAID] = set(ORDER_TRANSITIONS["pay"].values())
[CLOSED] = set(ORDER_TRANSITIONS["close"].values())
INITIAL = "created"

# A refund (table `refunds`): WeChat accepts it, then reports success, or ABNORMAL / CLOSED (failed, for an admin).
# A SUCCESS can overtake the API's answer, and an operator can complete a failed one at WeChat.
REFUND_TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {"requested": "processing"},
    "succeed": {"requested": "succeeded", "processing": "succeeded", "failed": "succeeded"},
    "fail": {"requested": "failed", "processing": "failed"},
}
REFUND_STATES = frozenset(s for moves in REFUND_TRANSITIONS.values() for pair in moves.items() for s in pair)
REFUND_INITIAL = "requested"  # decided and posted; WeChat not (known to be) asked yet
[REFUND_PROCESSING] = set(REFUND_TRANSITIONS["accept"].values())
[REFUND_SUCCEEDED] = set(REFUND_TRANSITIONS["succeed"].values())
[REFUND_FAILED] = set(REFUND_TRANSITIONS["fail"].values())
# An operator retries a failed attempt with a NEW attempt (a new out_refund_no, request_key `retry:<old number>`); the
# old row keeps its state for history and counts as superseded. Only a failed attempt may be retried.
REFUND_RETRYABLE = frozenset(REFUND_TRANSITIONS["fail"].values())
# "Completed at WeChat by hand" (商户平台 / 异常退款): a failed attempt WeChat now reports SUCCESS for, by a query.
REFUND_CHECKABLE = frozenset(REFUND_TRANSITIONS["succeed"]) - frozenset(REFUND_TRANSITIONS["accept"]) \
    - frozenset(REFUND_TRANSITIONS["accept"].values())
RETRY_KEY_PREFIX = "retry:"


def retry_key(out_refund_no: str) -> str:
    """The request_key of the attempt that retries attempt `out_refund_no` (unique: one retry per failed attempt)."""
    return f"{RETRY_KEY_PREFIX}{out_refund_no}"

# A milestone (table `task_milestones`): funded by its own order (or the platform budget), then released to the
# developer (the payouts area) or refunded; one never funded is cancelled with its task.
MILESTONE_TRANSITIONS: dict[str, dict[str, str]] = {
    "fund": {"awaiting_funding": "funded"},
    "release": {"funded": "released"},
    "refund": {"funded": "refunded"},
    "cancel": {"awaiting_funding": "cancelled"},
}
MILESTONE_STATES = frozenset(s for moves in MILESTONE_TRANSITIONS.values() for pair in moves.items() for s in pair)
[MILESTONE_UNFUNDED] = set(MILESTONE_TRANSITIONS["fund"])
[MILESTONE_FUNDED] = set(MILESTONE_TRANSITIONS["fund"].values())


def milestone_to(action: str) -> str:
    [target] = set(MILESTONE_TRANSITIONS[action].values())
    return target


ESCROW_PURPOSES = ("task_escrow", "milestone_escrow")
ORDER_TTL = timedelta(minutes=30)
# A reused order must leave the payer time to pay; closer to its expiry than this, a fresh one is made instead.
REUSE_MARGIN = timedelta(minutes=5)
# Notifications usually arrive within seconds; an order unpaid for longer is asked about (they can be lost).
POLL_AFTER = timedelta(minutes=3)
# WeChat Pay's trade states in which the money has arrived.
WECHAT_PAID = ("SUCCESS", "REFUND")


def close_reason(row: UnpaidOrder, paid: WeChatOrder | None, now: datetime) -> str | None:
    """Why the timer closes an unpaid order now, or None to leave it payable."""
    if paid is not None and paid.state == "CLOSED":
        return "closed_at_wechat"
    if row.expires_at <= now:
        return "expired"
    # The task no longer waits for this money (cancelled, expired, funded otherwise): stop it being paid at all.
    if row.purpose == "task_escrow" and (row.task_funded_at is not None or row.task_status in task_rules.TERMINAL):
        return "not_needed"
    if row.purpose == "milestone_escrow" and row.milestone_state != "awaiting_funding":
        return "not_needed"
    return None
