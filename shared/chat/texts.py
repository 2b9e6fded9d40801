"""What the chat area says to users (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

NEW_MESSAGE = Notice("chat_message", "你有新的任务消息", "「{title}」：{excerpt}")
