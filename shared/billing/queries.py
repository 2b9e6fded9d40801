"""Reads of memberships other areas may use (payouts: the enterprise commission tier; challenges: the growth pass).
Read-only: what a membership grants is decided in shared/billing/memberships.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.billing.plans import PLANS, in_free_period

if TYPE_CHECKING:
    from shared.rules_config import Rules
    from shared.uow import UnitOfWork


def is_member(uow: UnitOfWork, user_id: int, plan: str, at: datetime) -> bool:
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}")
    return uow.execute(
        "SELECT 1 FROM memberships WHERE user_id = :u AND plan = :p AND period_start <= :at AND period_end > :at"
        " LIMIT 1", {"u": user_id, "p": plan, "at": at}).first() is not None


def is_enterprise(uow: UnitOfWork, user_id: int, at: datetime) -> bool:
    """Enterprise member at `at`: the merchant's commission is charged at the enterprise tier."""
    return is_member(uow, user_id, "enterprise", at)


def has_growth_pass(uow: UnitOfWork, user_id: int, at: datetime) -> bool:
    """Growth pass at `at`: advanced and mentor challenges are unlocked."""
    return is_member(uow, user_id, "growth", at)


def is_premium(uow: UnitOfWork, user_id: int, at: datetime) -> bool:
    """A paid premium member at `at` (not counting the free period; see `premium_cap_applies`)."""
    return is_member(uow, user_id, "premium", at)


def premium_cap_applies(rules: Rules, premium_until: datetime | None, at: datetime) -> bool:
    """Does the premium daily application cap apply: a premium member, or anyone during the cold-start period."""
    return (premium_until is not None and premium_until > at) or in_free_period(rules, at)


def member_until(uow: UnitOfWork, user_id: int, plan: str, at: datetime) -> datetime | None:
    """When the membership running at `at` ends (its latest stacked period), or None when not a member."""
    row = uow.execute(
        "SELECT max(period_end) AS until, bool_or(period_start <= :at) AS covered FROM memberships"
        " WHERE user_id = :u AND plan = :p AND period_end > :at", {"u": user_id, "p": plan, "at": at}).one()
    return row.until if row.covered else None
