"""What the growth area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py).
The reasons of a level decision (shared/growth/rules.py) are worded where they are decided and joined here."""

from __future__ import annotations

from shared.notifications.kinds import Notice

LEVEL_NAMES = {"C": "C 级", "B": "B 级", "A": "A 级", "S": "S 级"}
LEVEL_PROMOTED = Notice("level_changed", "等级提升为 {level}", "恭喜！{reasons}")
LEVEL_DEMOTED = Notice("level_changed", "等级调整为 {level}", "{reasons}")
REASON_SEPARATOR = "；"
