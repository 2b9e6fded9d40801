"""What the billing area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

MEMBERSHIP_STARTED = Notice("membership_activated", "{name}已开通", "{name}有效期至 {until}。")
MEMBERSHIP_RENEWED = Notice("membership_activated", "{name}已续费", "{name}有效期至 {until}。")
MEMBERSHIP_EXPIRED = Notice("membership_expired", "{name}已到期", "你的{name}已于 {ended} 到期，续费即可继续享受权益。")
MEMBERSHIP_EXPIRING = Notice("membership_expiring", "{name}即将到期",
                             "你的{name}将于 {ends} 到期，现在续费，新周期从到期时开始计算。")

PROMOTION_STARTED = Notice("promotion_started", "置顶推荐已生效", "「{title}」将在任务大厅置顶展示至 {until}。")
PROMOTION_ENDED = Notice("promotion_ended", "置顶推荐已结束", "你的任务置顶推荐已到期，可再次购买。")
# Paid for a task that stopped recruiting in the meantime: the fee goes back. `yuan` is a float of yuan.
PROMOTION_REFUNDED = Notice("payment_refunded", "置顶推荐费用将原路退回",
                            "「{title}」已停止招募，置顶推荐费用 {yuan:.2f} 元将原路退回。")
