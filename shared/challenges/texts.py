"""What the challenges area says to users: its notifications (inbox templates; kinds in notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

COMPLETED = Notice("challenge_completed", "挑战完成：{name}", "恭喜完成「{name}」，奖励：{rewards}。")
CASH_PAID = Notice("challenge_cash_paid", "挑战奖金已到账", "「{name}」奖金 {yuan} 元已计入可提现余额。")
CHECKIN_REMINDER = Notice("checkin_reminder", "别忘了今天签到",
                          "你已连续签到 {streak} 天，今天签到即可保持连续记录。")
