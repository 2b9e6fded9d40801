"""What the work area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

DELIVERED = Notice("work_delivered", "开发者已提交交付",
                   "「{title}」已提交第 {round} 次交付，请验收。7 天内未处理将自动验收。")
REVISION_REQUESTED = Notice("revision_requested", "商家要求修改",
                            "「{title}」需要修改（第 {count}/{limit} 次）：{note}")
ACCEPTED = Notice("work_accepted", "交付已验收", "「{title}」已验收通过，记得给商家评价哦。")
ACCEPTED_BY_TIMER = Notice("work_accepted", "交付已验收",
                           "「{title}」已验收通过（超过 7 天未验收，系统已自动验收），记得给商家评价哦。")
AUTO_ACCEPTED = Notice("work_auto_accepted", "交付已自动验收", "「{title}」的交付超过 7 天未处理，已自动验收。")
RATED = Notice("rated", "你收到了新的评价", "「{title}」：{stars} 星。")
