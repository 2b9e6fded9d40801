"""What the mentors area says to users (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

MENTOR_APPROVED = Notice("mentor_approved", "导师认证结果", "你的导师实名资料{result}。{reason}")
DELIVERABLE = Notice("mentor_deliverable", "学员提交了特训作品", "「{title}」有学员提交了作品，请尽快点评。")
REVIEWED = Notice("mentor_reviewed", "导师已点评你的特训作品",
                  "「{title}」得分 {score}，{verdict}。{bonus}")
BONUS_LINE = "特训奖金 {amount} 元已计入你的收入余额，可在「收入」中提现。"
PASSED, NOT_PASSED = "已通过", "未通过"
