"""What the payments area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py).

Amounts are passed as yuan (fen / 100) and printed with two decimals.
"""

from __future__ import annotations

from shared.notifications.kinds import Notice

ESCROW_REFUND_STARTED = Notice("escrow_refund_started", "托管赏金退款中",
                               "「{title}」{reason}，托管的 {yuan:.2f} 元将原路退回。")
REFUND_FAILED = Notice("refund_failed", "退款遇到问题", "一笔 {yuan:.2f} 元的退款未能完成，平台客服会尽快处理。")
PAYMENT_REFUNDED = Notice("payment_refunded", "付款将原路退回",
                          "任务#{task_id} 当前无需这笔托管（{status}），{yuan:.2f} 元将原路退回。")
REFUND_SUCCEEDED = Notice("refund_succeeded", "退款已到账", "{yuan:.2f} 元已原路退回（{account}）。")
DEFAULT_REFUND_ACCOUNT = "原支付账户"
