"""What the growth area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

LEVEL_PROMOTED = Notice("level_changed", "等级提升为 {level}", "恭喜！{reasons}")
LEVEL_DEMOTED = Notice("level_changed", "等级调整为 {level}", "{reasons}")
