"""Growth points (成长积分): an append-only ledger of entries, each with its source class, what the source asked for
(`requested`), what was credited (`delta`, after the daily cap of its class), the reason the user sees and the
business key it is idempotent on — (user, kind, ref): a job or timer that runs twice, or a replay, grants once.

- Daily caps per source class (`Rules.growth_points_daily_caps`, SPEC: challenge 200 a day), per Asia/Shanghai day of
  the grant's cause (the event's time, not the delivery's). Grants of one user, day and class are serialised by the
  row lock of their `points_daily` row, and filled greedily, so the day's total is min(cap, Σ requested) whatever
  order they arrive in, and concurrent grants never pass the cap. Paid work, operator grants and reversals are never
  capped. A grant the cap cut to nothing is kept with delta 0, so the history says why.
- Corrections are compensating entries (`reverse`), never an UPDATE or DELETE.
- The subscriber of ApplicationUnanswered (the 48-hour compensation) lives here: its name,
  `points.no_response_compensation`, is the delivery marker's and the replays' since issue 1.
- The balance is `developer_profiles.points_balance`, the running sum (shown on the resume card since issue 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.clock import shanghai_date
from shared.events import PointsGranted
from shared.growth.errors import AlreadyReversed, NothingToReverse, PointsEntryNotFound
from shared.growth.rules import UNCAPPED, capped
from shared.rules_config import load_rules

if TYPE_CHECKING:
    from shared.events import ApplicationUnanswered, Stored
    from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Grant:
    entry_id: int
    delta: int
    requested: int


def grant_points(uow: UnitOfWork, user_id: int, requested: int, *, source_class: str, kind: str, ref: str,
                 reason: str, at: datetime | None = None, actor_id: int | None = None) -> Grant | None:
    """Credit (or, negative, debit) `requested` points under the cap of `source_class`; None when (kind, ref) was
    granted before. `at`: when the cause happened (its Beijing day is the capped day); default now."""
    day = shanghai_date(at or uow.now)
    cap = None if source_class in UNCAPPED else load_rules(uow).growth_points_daily_caps.get(source_class)
    credited_today = 0
    if cap is not None:
        uow.execute("INSERT INTO points_daily (user_id, day, source_class) VALUES (:u, :d, :c) ON CONFLICT DO NOTHING",
                    {"u": user_id, "d": day, "c": source_class})
        credited_today = uow.execute(
            "SELECT credited FROM points_daily WHERE user_id = :u AND day = :d AND source_class = :c FOR UPDATE",
            {"u": user_id, "d": day, "c": source_class}).scalar_one()
    # After the day's lock: a concurrent duplicate of this grant has committed by now, and is seen.
    if uow.execute("SELECT 1 FROM points_entries WHERE user_id = :u AND reason = :k AND ref = :ref",
                   {"u": user_id, "k": kind, "ref": ref}).first() is not None:
        return None
    delta = capped(requested, credited_today, cap)
    shown = reason  # the history says why a grant was cut
    if delta != requested:
        shown += f"（今日{_CLASS_NAMES.get(source_class, source_class)}积分已达上限 {cap}，实得 {delta}）"
    row = uow.execute(
        "INSERT INTO points_entries (user_id, delta, requested, source_class, reason, ref, note, actor_id, day,"
        " created_at) VALUES (:u, :d, :req, :c, :k, :ref, :note, :actor, :day, :now)"
        " ON CONFLICT (user_id, reason, ref) DO NOTHING RETURNING id",
        {"u": user_id, "d": delta, "req": requested, "c": source_class, "k": kind, "ref": ref, "note": shown,
         "actor": actor_id, "day": day, "now": uow.now}).first()
    if row is None:
        return None
    if cap is not None and delta:
        uow.execute("UPDATE points_daily SET credited = credited + :d WHERE user_id = :u AND day = :day"
                    " AND source_class = :c", {"d": delta, "u": user_id, "day": day, "c": source_class})
    _move_balance(uow, user_id, delta)
    uow.publish(PointsGranted(user_id=user_id, delta=delta, requested=requested, source_class=source_class,
                              ref=ref, reason=shown, actor_id=actor_id))
    return Grant(int(row.id), delta, requested)


_CLASS_NAMES = {"challenge": "挑战", "checkin": "签到", "compensation": "补偿", "invitation": "邀请",
                "community": "社区", "work": "工作", "admin": "运营", "reversal": "冲正", "lottery": "抽奖"}


def reverse(uow: UnitOfWork, entry_id: int, *, reason: str, actor_id: int | None = None) -> Grant:
    """The compensating entry of `entry_id` (its delta negated); an entry is reversed at most once."""
    entry = uow.execute("SELECT id, user_id, delta, source_class FROM points_entries WHERE id = :id FOR UPDATE",
                        {"id": entry_id}).first()
    if entry is None:
        raise PointsEntryNotFound()
    if entry.delta == 0 or entry.source_class == "reversal":
        raise NothingToReverse()
    row = uow.execute(
        "INSERT INTO points_entries (user_id, delta, requested, source_class, reason, ref, note, actor_id,"
        " reverses_id, day, created_at) VALUES (:u, :d, :d, 'reversal', 'reversal', :ref, :note, :actor, :id, :day,"
        " :now) ON CONFLICT DO NOTHING RETURNING id",
        {"u": entry.user_id, "d": -entry.delta, "ref": f"entry:{entry_id}", "note": reason, "actor": actor_id,
         "id": entry_id, "day": shanghai_date(uow.now), "now": uow.now}).first()
    if row is None:
        raise AlreadyReversed()
    _move_balance(uow, entry.user_id, -entry.delta)
    uow.publish(PointsGranted(user_id=entry.user_id, delta=-entry.delta, requested=-entry.delta,
                              source_class="reversal", ref=f"entry:{entry_id}", reason=reason, actor_id=actor_id))
    return Grant(int(row.id), -entry.delta, -entry.delta)


def _move_balance(uow: UnitOfWork, user_id: int, delta: int) -> None:
    if delta:
        uow.execute("UPDATE developer_profiles SET points_balance = points_balance + :d, updated_at = :now"
                    " WHERE user_id = :u", {"d": delta, "now": uow.now, "u": user_id})


def compensate_no_response(uow: UnitOfWork, stored: Stored[ApplicationUnanswered]) -> None:
    """SPEC: an application unanswered for 48 hours earns the developer compensation points (the amount promised in
    the event, as the notice the developer got said)."""
    e = stored.event
    if e.compensation_points:
        grant_points(uow, e.developer_id, e.compensation_points, source_class="compensation",
                     kind="no_response_compensation", ref=f"application:{e.application_id}",
                     reason="商家 48 小时未回复补偿", at=stored.occurred_at)
