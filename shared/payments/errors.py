"""Errors of the payments area that other modules (the webhook, refunds, the payouts area's transfer notifications)
raise or catch."""

from __future__ import annotations


class Refused(Exception):
    """A payment report we must not act on (unknown order, wrong merchant, wrong amount). Nothing is posted; the
    webhook answers `status` so WeChat Pay keeps retrying, and records `outcome` for admins."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(f"{outcome}: {message}")
        self.status = status
        self.outcome = outcome
        self.message = message
