"""Errors of the payouts area: the settlement port's outcomes (raised by a strategy, handled by the use cases)."""

from __future__ import annotations


class SettlementUnavailable(Exception):
    """The provider could not be reached or answered an error worth retrying: the outcome is unknown, so retry the
    same call with the same out_bill_no (idempotent at the provider)."""


class SettlementRejected(Exception):
    """The provider refused the request for good: for `start`, nothing was created under this out_bill_no."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SettlementNotFound(SettlementRejected):
    """No settlement exists under this out_bill_no."""
