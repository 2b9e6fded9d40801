"""What the tasks area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

APPROVED = Notice("task_approved", "任务已通过审核", "「{title}」已通过审核。")
REJECTED = Notice("task_rejected", "任务未通过审核", "「{title}」未通过审核：{reason}")
EXPIRED = Notice("task_expired", "任务已过期", "「{title}」已到截止时间，未选定开发者，任务已关闭。")

# The bounty is in escrow: the task goes live now, a milestone is funded, or the task still waits for review.
ESCROW_FUNDED_LIVE = Notice("escrow_funded", "赏金已托管", "「{title}」的赏金 {reward} 元已托管，任务已在大厅上线。")
ESCROW_FUNDED_MILESTONE = Notice("escrow_funded", "赏金已托管", "「{title}」里程碑{position}的赏金 {reward} 元已托管。")
ESCROW_FUNDED_IN_REVIEW = Notice("escrow_funded", "赏金已托管",
                                 "「{title}」的赏金 {reward} 元已托管，审核通过后即上线。")
