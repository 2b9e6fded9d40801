"""What the badges area says to users: its notifications (inbox templates; the kind `badge` is in
shared/notifications/kinds.py). Several grants at once are told in one notice."""

from __future__ import annotations

from shared.notifications.kinds import Notice

BADGE_GRANTED = Notice("badge", "获得新徽章：{name}", "{names}。可在成长页查看{wear}")
BADGES_GRANTED = Notice("badge", "获得 {count} 枚新徽章", "{names}。可在成长页查看{wear}")
WEAR_HINT = "，并佩戴为头衔"
BADGE_REVOKED = Notice("badge", "徽章已收回", "{names}：{reason}")
NAME_SEPARATOR = "、"
