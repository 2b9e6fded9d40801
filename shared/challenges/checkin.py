"""Use cases of the daily check-in (function `checkin`): check in, read the status, opt into the reminder, the
reminder timer, and the operators' streak repair after a platform outage. The rules are rules.check_in.

One check-in per Asia/Shanghai day: the user's `checkin_stats` row is created if missing and locked FOR UPDATE, so two
devices checking in at once serialise and the second finds the day done (and `checkins`' primary key would refuse a
second row anyway). CheckedIn is published once per (user, day) — its dedupe key.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.challenges import rules, texts
from shared.challenges import schemas as s
from shared.clock import SHANGHAI, shanghai_date
from shared.errors import ValidationFailed
from shared.events import AdminAudited, CheckedIn
from shared.uow import UnitOfWork

MAX_REPAIR_DAYS = 31
REMIND_FROM_HOUR = 20  # Beijing time: the reminder timer sends from 20:00 on


def _state(row: Any) -> rules.Streak:
    return rules.Streak(row.last_day, int(row.streak), int(row.total), int(row.freezes), int(row.longest))


def _excused(uow: UnitOfWork, after: date | None, before: date) -> list[date]:
    if after is None:
        return []
    return [r.day for r in uow.execute("SELECT day FROM checkin_excused_days WHERE day > :a AND day < :b",
                                       {"a": after, "b": before})]


def _lock(uow: UnitOfWork, user_id: int) -> Any:
    uow.execute("INSERT INTO checkin_stats (user_id, updated_at) VALUES (:u, :now) ON CONFLICT (user_id) DO NOTHING",
                {"u": user_id, "now": uow.now})
    return uow.execute("SELECT last_day, streak, total, freezes, longest, remind FROM checkin_stats"
                       " WHERE user_id = :u FOR UPDATE", {"u": user_id}).one()


def _status(uow: UnitOfWork, row: Any, today: date) -> s.CheckinStatus:
    state = _state(row)
    alive = rules.streak_alive(state, today, _excused(uow, state.last_day, today))
    return s.CheckinStatus(today=today, checked_in_today=state.last_day == today, streak=state.streak if alive else 0,
                           total=state.total, longest=state.longest, freezes=state.freezes, last_day=state.last_day,
                           remind=bool(row.remind))


def check_in(uow: UnitOfWork, user_id: int) -> s.CheckinOut:
    today = shanghai_date(uow.now)
    row = _lock(uow, user_id)
    state = _state(row)
    result = rules.check_in(state, today, _excused(uow, state.last_day, today))
    if result.new:
        n = result.state
        uow.execute("INSERT INTO checkins (user_id, day, streak, freezes_used, created_at)"
                    " VALUES (:u, :d, :s, :f, :now)",
                    {"u": user_id, "d": today, "s": n.streak, "f": result.freezes_used, "now": uow.now})
        uow.execute("UPDATE checkin_stats SET last_day = :d, streak = :s, total = :t, freezes = :f, longest = :l,"
                    " updated_at = :now WHERE user_id = :u",
                    {"d": n.last_day, "s": n.streak, "t": n.total, "f": n.freezes, "l": n.longest, "now": uow.now,
                     "u": user_id})
        uow.publish(CheckedIn(user_id=user_id, day=today.isoformat(), streak=n.streak, total=n.total,
                              freezes_used=result.freezes_used), dedupe_key=f"checkin:{user_id}:{today.isoformat()}")
        row = _lock(uow, user_id)
    status = _status(uow, row, today)
    return s.CheckinOut(**status.model_dump(), new=result.new, freezes_used=result.freezes_used,
                        freeze_earned=result.freeze_earned)


def status(uow: UnitOfWork, user_id: int) -> s.CheckinStatus:
    today = shanghai_date(uow.now)
    row = uow.execute("SELECT last_day, streak, total, freezes, longest, remind FROM checkin_stats WHERE user_id = :u",
                      {"u": user_id}).first()
    if row is None:
        return s.CheckinStatus(today=today, checked_in_today=False, streak=0, total=0, longest=0, freezes=0,
                               last_day=None, remind=False)
    return _status(uow, row, today)


def set_reminder(uow: UnitOfWork, user_id: int, remind: bool) -> s.CheckinStatus:
    _lock(uow, user_id)
    uow.execute("UPDATE checkin_stats SET remind = :r, updated_at = :now WHERE user_id = :u",
                {"r": remind, "now": uow.now, "u": user_id})
    return status(uow, user_id)


def send_reminders(uow: UnitOfWork, limit: int = 5000) -> int:
    """From 20:00 Beijing time: users who asked for the reminder, have a streak that today's check-in would keep, and
    have not checked in today get one notice (pushed as a subscribe message only while they have consent left for
    its template; otherwise it stays in the inbox). Once per user per day, however often the timer runs."""
    if uow.now.astimezone(SHANGHAI).hour < REMIND_FROM_HOUR:
        return 0
    today = shanghai_date(uow.now)
    rows = uow.execute(
        "SELECT user_id, last_day, streak, total, freezes, longest FROM checkin_stats WHERE remind"
        " AND last_day < :today AND streak > 0 AND (reminded_on IS NULL OR reminded_on < :today)"
        " ORDER BY user_id LIMIT :n FOR UPDATE SKIP LOCKED", {"today": today, "n": limit}).all()
    sent = 0
    for r in rows:
        state = _state(r)
        if not rules.streak_alive(state, today, _excused(uow, state.last_day, today)):
            continue
        uow.notify(int(r.user_id), *texts.CHECKIN_REMINDER.render(streak=state.streak),
                   data={"day": today.isoformat()}, dedupe_key=f"checkin_reminder:{r.user_id}:{today.isoformat()}")
        uow.execute("UPDATE checkin_stats SET reminded_on = :d WHERE user_id = :u", {"d": today, "u": r.user_id})
        sent += 1
    return sent


def repair_streaks(uow: UnitOfWork, admin_id: int, body: s.RepairIn) -> s.RepairOut:
    """A platform outage from `start` to `end` (Beijing days, inclusive) kept users from checking in: those days are
    excused for everyone, and every user who checked in around them gets the streak, longest streak and freezes
    recomputed from the check-in history (rules.replay_checkins). The total is not touched (it counts check-ins).
    Safe to repeat. Audited."""
    today = shanghai_date(uow.now)
    if body.end < body.start:
        raise ValidationFailed.field("end", "结束日期不能早于开始日期")
    if body.end >= today:
        raise ValidationFailed.field("end", "只能修复今天（北京时间）之前的日期")
    days = [body.start + timedelta(days=i) for i in range((body.end - body.start).days + 1)]
    if len(days) > MAX_REPAIR_DAYS:
        raise ValidationFailed.field("start", f"一次最多修复 {MAX_REPAIR_DAYS} 天")
    for d in days:
        uow.execute("INSERT INTO checkin_excused_days (day, reason, admin_id, created_at)"
                    " VALUES (:d, :r, :a, :now) ON CONFLICT (day) DO NOTHING",
                    {"d": d, "r": body.reason, "a": admin_id, "now": uow.now})
    excused = [r.day for r in uow.execute("SELECT day FROM checkin_excused_days ORDER BY day")]
    # Users whose history spans the outage: a check-in before it and their latest after it (or still alive).
    users = [int(r.user_id) for r in uow.execute(
        "SELECT user_id FROM checkin_stats WHERE last_day >= :start"
        " AND EXISTS (SELECT 1 FROM checkins c WHERE c.user_id = checkin_stats.user_id AND c.day < :start)"
        " ORDER BY user_id", {"start": body.start})]
    repaired = 0
    for user_id in users:
        row = _lock(uow, user_id)
        history = [r.day for r in uow.execute("SELECT day FROM checkins WHERE user_id = :u", {"u": user_id})]
        fixed = rules.replay_checkins(history, excused)
        old = _state(row)
        if (fixed.streak, fixed.freezes, fixed.longest) == (old.streak, old.freezes, old.longest):
            continue
        uow.execute("UPDATE checkin_stats SET streak = :s, freezes = :f, longest = :l, updated_at = :now"
                    " WHERE user_id = :u", {"s": fixed.streak, "f": fixed.freezes,
                                             "l": max(fixed.longest, old.longest), "now": uow.now, "u": user_id})
        repaired += 1
    uow.publish(AdminAudited(admin_id=admin_id, action="checkin.repair", entity_name="checkin_repair",
                             entity_id=int(body.start.strftime("%Y%m%d")), reason=body.reason,
                             after={"start": body.start.isoformat(), "end": body.end.isoformat(),
                                    "users_repaired": repaired}))
    return s.RepairOut(excused_days=days, users_repaired=repaired)
