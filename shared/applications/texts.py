"""What the applications area says to users: its notifications (inbox templates; kinds in
shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

RECEIVED = Notice("application_received", "收到新的投递", "「{title}」收到一份新投递，请在 48 小时内回复。")

# The merchant's answer, by action.
ANSWERED = {
    "shortlist": Notice("application_shortlisted", "投递已入围", "你投递的「{title}」已进入候选名单。"),
    "accept": Notice("application_accepted", "恭喜，你已被录用", "你已被录用承接「{title}」，请按时交付。"),
    "reject": Notice("application_rejected", "投递未被录用", "你投递的「{title}」未被录用。理由：{reason}"),
}

# Still-open applications closed with their task, by why.
CLOSED = {
    "position_filled": Notice("application_position_filled", "任务已选定开发者",
                              "感谢你投递「{title}」。商家已选定其他开发者，期待下次合作！"),
    "task_cancelled": Notice("application_task_cancelled", "任务已取消",
                             "你投递的「{title}」已被商家取消，投递已自动关闭。"),
    "task_expired": Notice("application_task_expired", "任务已过期",
                           "你投递的「{title}」已到截止时间，投递已自动关闭。"),
    "task_rejected": Notice("application_task_rejected", "任务未通过审核",
                            "你投递的「{title}」未通过平台审核，投递已自动关闭。"),
}

FEEDBACK_REMINDER = Notice("feedback_reminder", "有投递等待你的回复",
                           "「{title}」有一份投递已等待 {hour} 小时，请在 {left} 小时内回复，"
                           "否则将自动关闭并影响你的响应率。")

NO_RESPONSE = Notice("application_no_response", "商家未在 48 小时内回复",
                     "很抱歉，「{title}」的商家未在 48 小时内回复，投递已关闭，已补偿你 {points} 成长积分。")
