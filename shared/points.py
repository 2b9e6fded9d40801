"""Growth points (成长积分): an append-only ledger of grants with reasons; the balance is kept beside it.

Each grant is idempotent on (user, reason, ref), so a timer or job that runs twice — or a replay — grants once.
A library any area may call, and the owner of the points subscribers (after-commit: growth may lag a moment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import ApplicationUnanswered, Stored
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


def compensate_no_response(uow: UnitOfWork, stored: Stored[ApplicationUnanswered]) -> None:
    """SPEC: an application unanswered for 48 hours earns the developer compensation points (the amount promised in
    the event, as the notice the developer got said)."""
    e = stored.event
    if e.compensation_points:
        grant_points(uow, e.developer_id, e.compensation_points, reason="no_response_compensation",
                     ref=f"application:{e.application_id}", note="商家 48 小时未回复补偿")
