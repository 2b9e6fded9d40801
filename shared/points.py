"""Growth points (成长积分): an append-only ledger of grants with reasons; the balance is kept beside it.

Each grant is idempotent on (user, reason, ref), so a timer or job that runs twice grants once.
"""

from __future__ import annotations

from shared.uow import UnitOfWork


def grant_points(uow: UnitOfWork, user_id: int, delta: int, *, reason: str, ref: str, note: str = "") -> bool:
    """Returns False when this (reason, ref) was already granted."""
    inserted = uow.execute(
        "INSERT INTO points_entries (user_id, delta, reason, ref, note, created_at)"
        " VALUES (:u, :d, :r, :ref, :note, :now) ON CONFLICT (user_id, reason, ref) DO NOTHING RETURNING id",
        {"u": user_id, "d": delta, "r": reason, "ref": ref, "note": note, "now": uow.now},
    ).first()
    if inserted is None:
        return False
    uow.execute("UPDATE developer_profiles SET points_balance = points_balance + :d, updated_at = :now"
                " WHERE user_id = :u", {"d": delta, "now": uow.now, "u": user_id})
    return True
