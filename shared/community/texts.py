"""What the community area says to users (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

COMMENTED = Notice("post_commented", "你的帖子有新评论", "{name}评论了你的帖子：{excerpt}")
HIDDEN = Notice("post_hidden", "你的帖子已被隐藏", "你的帖子「{excerpt}」因违反社区规范已被隐藏。原因：{reason}")
RESTORED = Notice("post_restored", "你的帖子已恢复显示", "你的帖子「{excerpt}」经复核已恢复显示。")
