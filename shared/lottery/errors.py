"""The lottery's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import NotFound


class DrawNotFound(NotFound):
    code, message = "LOTTERY_DRAW_NOT_FOUND", "抽奖期次不存在"
