"""The challenges area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import NotFound


class ChallengeNotFound(NotFound):
    code, message = "CHALLENGE_NOT_FOUND", "挑战不存在"

