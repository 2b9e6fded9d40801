"""What the challenges area does when events happen (after commit; shared/subscriptions.py).

- `challenges.progress`: every event a condition can count (rules.EVENTS) moves the windows it concerns.
- `challenges.cash`: a completed window with a cash reward is paid from platform:budget into the developer's payable
  (ledger `challenge_bonus`, ref challenge:<window id>: once, whatever the redeliveries), withdrawable through the
  payouts area's ordinary path. A budget that cannot cover it leaves the bonus `owed` (the admin tops the budget up;
  `pay_owed` pays what is owed).
"""

from __future__ import annotations

from typing import Any

from shared.challenges import service, texts
from shared.events import ChallengeCompleted, Stored
from shared.ledger import accounts as acc
from shared.ledger.service import budget_covers, pay_from_budget
from shared.uow import UnitOfWork


def on_event(uow: UnitOfWork, stored: Stored[Any]) -> None:
    service.record_event(uow, stored)


def on_completed(uow: UnitOfWork, stored: Stored[ChallengeCompleted]) -> None:
    e = stored.event
    if e.cash_fen <= 0:
        return
    window_id = uow.execute("SELECT id FROM challenge_windows WHERE user_id = :u AND challenge_key = :k"
                            " AND window_key = :w", {"u": e.user_id, "k": e.challenge_key, "w": e.window}).scalar()
    if window_id is None:
        return
    uow.execute("INSERT INTO challenge_cash (window_id, user_id, amount_fen, state, created_at, updated_at)"
                " VALUES (:w, :u, :a, 'owed', :now, :now) ON CONFLICT (window_id) DO NOTHING",
                {"w": window_id, "u": e.user_id, "a": e.cash_fen, "now": uow.now})
    pay_cash(uow, int(window_id), notify=not stored.replay)


def pay_cash(uow: UnitOfWork, window_id: int, *, notify: bool = True) -> bool:
    """Pay one owed bonus if the budget covers it (budget row locked: concurrent payments see one balance)."""
    row = uow.execute("SELECT c.user_id, c.amount_fen, c.state, w.name FROM challenge_cash c JOIN challenge_windows w"
                      " ON w.id = c.window_id WHERE c.window_id = :w FOR UPDATE OF c", {"w": window_id}).first()
    if row is None or row.state == "paid":
        return False
    if not budget_covers(uow, int(row.amount_fen)):
        return False
    pay_from_budget(uow, "challenge_bonus", f"challenge:{window_id}", int(row.user_id), int(row.amount_fen),
                    memo="challenge cash bonus from the platform budget")
    uow.execute("UPDATE challenge_cash SET state = 'paid', updated_at = :now WHERE window_id = :w",
                {"now": uow.now, "w": window_id})
    if notify:
        uow.notify(int(row.user_id), *texts.CASH_PAID.render(name=row.name, yuan=acc.yuan(int(row.amount_fen))),
                   data={"window_id": window_id}, dedupe_key=f"challenge_cash:{window_id}")
    return True


def pay_owed(uow: UnitOfWork) -> int:
    """Every bonus still owed, oldest first, while the budget lasts (the `challenges` timer)."""
    ids = [int(r.window_id) for r in uow.execute(
        "SELECT window_id FROM challenge_cash WHERE state = 'owed' ORDER BY created_at, window_id LIMIT 500")]
    return sum(pay_cash(uow, w) for w in ids)
