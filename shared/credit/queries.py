"""What other areas read of credit profiles: the tasks area (a merchant's reputation on every task card and task
page), the applications area (an applicant's reliability for the merchant), the disputes area (both parties'
profiles in the risk assessment). Read-only, from `credit_profiles`; a user without a row yet reads as the neutral
profile of a new account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from shared.credit.rules import BASE
from shared.credit.schemas import Reputation
from shared.uow import UnitOfWork

NEUTRAL = Reputation(score=BASE, level="良好")


@dataclass(frozen=True)
class CreditProfile:
    user_id: int
    score: int
    level: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def reputations_of(db: Any, user_ids: list[int]) -> dict[int, Reputation]:
    """One primary-key query for a page of task cards: {user id: reputation}, neutral for users without a profile
    yet. `db` is a unit of work or the hall's plain read-only connection."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    sql = "SELECT user_id, reputation FROM credit_profiles WHERE user_id = ANY(:u)"
    rows: list[Any] = (db.execute(sql, {"u": wanted}) if isinstance(db, UnitOfWork)
                       else db.execute(text(sql), {"u": wanted})).all()
    found = {int(r.user_id): Reputation(**r.reputation) for r in rows}
    return {u: found.get(u, NEUTRAL) for u in wanted}


def reputation_of(uow: UnitOfWork, user_id: int) -> Reputation:
    return reputations_of(uow, [user_id])[user_id]


def profile_of(uow: UnitOfWork, user_id: int) -> CreditProfile:
    row = uow.execute("SELECT * FROM credit_profiles WHERE user_id = :u", {"u": user_id}).first()
    if row is None:
        return CreditProfile(user_id, BASE, "良好")
    return CreditProfile(user_id, row.score, row.level, list(row.reasons), dict(row.facts))
