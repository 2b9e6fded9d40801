"""Use cases of the challenge engine: an event moves the progress of the windows it concerns and completes them once;
admins edit challenges (new windows take the new definition, running windows keep their snapshot).

Progress is written by the after-commit subscriber `challenges.progress` (subscribers.py), one delivery job per event,
so it lags a moment behind the request and never fails it. Deliveries for one user are serialised by an advisory
lock; each (window, condition, event id) is one row, so retries and replays add nothing (rules.py explains why the
order of events cannot matter). Completion publishes ChallengeCompleted once per window (a conditional UPDATE of
`completed_at`, and the event's dedupe key); its rewards go to the areas that own them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.billing.queries import has_growth_pass
from shared.challenges import rules, texts
from shared.challenges import schemas as s
from shared.challenges.errors import ChallengeNotFound
from shared.clock import start_of_shanghai_day
from shared.errors import ValidationFailed
from shared.events import AdminAudited, ChallengeCompleted, Stored
from shared.uow import UnitOfWork

LOCK_SPACE = 0x43484C47  # "CHLG": pg_advisory_xact_lock(space, user id) serialises one user's progress


@dataclass(frozen=True)
class Challenge:
    key: str
    name: str
    description: str
    definition: rules.Definition
    active: bool
    position: int
    version: int


def _challenge(row: Any) -> Challenge:
    return Challenge(row.key, row.name, row.description, rules.parse_definition(row.definition), row.active,
                     row.position, row.version)


def load_challenges(uow: UnitOfWork, *, active_only: bool = True) -> list[Challenge]:
    memo = f"challenges:{active_only}"
    if memo not in uow.memo:
        rows = uow.execute("SELECT key, name, description, definition, active, position, version FROM challenges"
                           + (" WHERE active" if active_only else "") + " ORDER BY position, key").all()
        uow.memo[memo] = [_challenge(r) for r in rows]
    return list(uow.memo[memo])


def registered_at(uow: UnitOfWork, user_id: int) -> datetime | None:
    return uow.execute("SELECT created_at FROM users WHERE id = :u", {"u": user_id}).scalar()


@dataclass(frozen=True)
class OpenWindow:
    id: int
    name: str
    key: str
    definition: rules.Definition
    completed_at: datetime | None


def _window(uow: UnitOfWork, user_id: int, ch: Challenge, span: rules.Span, at: datetime) -> OpenWindow | None:
    """The user's window of `ch` at `span`, opened now with a snapshot of the current definition if it is new.
    None when the challenge needs the growth pass and the user has none at `at`."""
    row = uow.execute("SELECT id, name, definition, completed_at FROM challenge_windows WHERE user_id = :u"
                      " AND challenge_key = :k AND window_key = :w", {"u": user_id, "k": ch.key, "w": span.key}).first()
    if row is None:
        if ch.definition.requires_growth_pass and not has_growth_pass(uow, user_id, at):
            return None
        row = uow.execute(
            "INSERT INTO challenge_windows (user_id, challenge_key, window_key, starts_at, ends_at, name, definition,"
            " challenge_version, created_at) VALUES (:u, :k, :w, :s, :e, :n, CAST(:d AS jsonb), :v, :now)"
            " ON CONFLICT (user_id, challenge_key, window_key) DO UPDATE SET name = challenge_windows.name"
            " RETURNING id, name, definition, completed_at",
            {"u": user_id, "k": ch.key, "w": span.key, "s": span.starts_at, "e": span.ends_at, "n": ch.name,
             "d": json.dumps(ch.definition.to_json(), ensure_ascii=False), "v": ch.version, "now": uow.now}).one()
    return OpenWindow(int(row.id), row.name, ch.key, rules.parse_definition(row.definition), row.completed_at)


def _counted(uow: UnitOfWork, window_id: int) -> list[tuple[str, int]]:
    return [(r.condition_key, int(r.event_id)) for r in uow.execute(
        "SELECT condition_key, event_id FROM challenge_progress WHERE window_id = :w", {"w": window_id})]


def record_event(uow: UnitOfWork, stored: Stored[Any]) -> list[str]:
    """Count one event toward every window it concerns; complete those it completes. Returns the completed windows'
    "challenge_key/window_key" (for tests and logs). Idempotent: a redelivery or a replay counts nothing twice."""
    event = stored.event
    data = event.data()
    challenges = [c for c in load_challenges(uow) if c.definition.users_of(event.name, data)]
    users = sorted(set().union(*(c.definition.users_of(event.name, data) for c in challenges))) if challenges else []
    completed: list[str] = []
    for user_id in users:
        uow.execute("SELECT pg_advisory_xact_lock(:space, CAST(:u AS integer))",
                    {"space": LOCK_SPACE, "u": user_id % 2**31})
        since = registered_at(uow, user_id)
        if since is None:
            continue
        for ch in challenges:
            if user_id not in ch.definition.users_of(event.name, data):
                continue
            span = rules.window_at(ch.definition.window, since, stored.occurred_at)
            if span is None:
                continue
            window = _window(uow, user_id, ch, span, stored.occurred_at)
            if window is None:
                continue
            pairs = rules.count_event(window.definition.rule, stored.id, event.name, data, user_id)
            for condition_key, event_id in pairs:
                uow.execute("INSERT INTO challenge_progress (window_id, condition_key, event_id, occurred_at)"
                            " VALUES (:w, :c, :e, :at) ON CONFLICT DO NOTHING",
                            {"w": window.id, "c": condition_key, "e": event_id, "at": stored.occurred_at})
            if not pairs or window.completed_at is not None:
                continue
            if rules.progress(window.definition.rule, _counted(uow, window.id)).complete and _complete(
                    uow, user_id, window, span.key, backfill=stored.replay):
                completed.append(f"{ch.key}/{span.key}")
    return completed


def _complete(uow: UnitOfWork, user_id: int, window: OpenWindow, window_key: str, *, backfill: bool) -> bool:
    done = uow.execute("UPDATE challenge_windows SET completed_at = :now WHERE id = :w AND completed_at IS NULL"
                       " RETURNING id", {"now": uow.now, "w": window.id}).first()
    if done is None:
        return False
    r = window.definition.rewards
    uow.publish(ChallengeCompleted(
        user_id=user_id, challenge_key=window.key, challenge_name=window.name, window=window_key, points=r.points,
        xp=r.xp, badge_key=r.badge_key, title_key=r.title_key, lottery_entries=r.lottery_entries, unlocks=r.unlocks,
        cash_fen=r.cash_fen, backfill=backfill), dedupe_key=f"challenge_completed:{window.id}")
    if not backfill:
        uow.notify(user_id, *texts.COMPLETED.render(name=window.name, rewards=describe_rewards(r)),
                   data={"challenge_key": window.key, "window": window_key}, dedupe_key=f"challenge:{window.id}")
    return True


def describe_rewards(r: rules.Rewards) -> str:
    parts = []
    if r.points:
        parts.append(f"{r.points} 成长积分")
    if r.xp:
        parts.append(f"{r.xp} 经验")
    if r.badge_key:
        parts.append("徽章")
    if r.title_key:
        parts.append("称号")
    if r.lottery_entries:
        parts.append(f"{r.lottery_entries} 次月度抽奖机会")
    if "skill_graph" in r.unlocks:
        parts.append("解锁技能图谱")
    if "resume" in r.unlocks:
        parts.append("生成履历")
    if r.cash_fen:
        parts.append(f"奖金 {r.cash_fen // 100}.{r.cash_fen % 100:02d} 元")
    return "、".join(parts) or "荣誉"


# ------------------------------------------------------------------------------------------------ the user's view


def my_challenges(uow: UnitOfWork, user_id: int) -> s.MyChallenges:
    """Every active challenge as the user sees it now: the current window with its progress ("2/3 已完成"), or the
    last window of a registration challenge that has ended, or when it starts."""
    now = uow.now
    since = registered_at(uow, user_id) or now
    items: list[s.ChallengeProgress] = []
    for ch in load_challenges(uow):
        d = ch.definition
        span = rules.window_at(d.window, since, now)
        row = None
        if span is not None:
            row = uow.execute("SELECT id, window_key, starts_at, ends_at, definition, completed_at FROM"
                              " challenge_windows WHERE user_id = :u AND challenge_key = :k AND window_key = :w",
                              {"u": user_id, "k": ch.key, "w": span.key}).first()
        elif d.window.kind == "registration":
            row = uow.execute("SELECT id, window_key, starts_at, ends_at, definition, completed_at FROM"
                              " challenge_windows WHERE user_id = :u AND challenge_key = :k"
                              " ORDER BY ends_at DESC LIMIT 1", {"u": user_id, "k": ch.key}).first()
        if row is not None:
            definition = rules.parse_definition(row.definition)
            prog = rules.progress(definition.rule, _counted(uow, int(row.id)))
            key, starts, ends, completed_at = row.window_key, row.starts_at, row.ends_at, row.completed_at
        else:
            definition = d
            prog = rules.progress(d.rule, ())
            completed_at = None
            if span is None:  # a registration window not running now: before it, or after it with nothing done
                key = f"reg:{d.window.start_day}-{d.window.end_day}"
                starts, ends = _registration_bounds(d.window, since)
            else:
                key, starts, ends = span.key, span.starts_at, span.ends_at
        if completed_at is not None:
            status = "completed"
        elif d.requires_growth_pass and not has_growth_pass(uow, user_id, now):
            status = "locked"
        elif now < starts:
            status = "upcoming"
        elif now >= ends:
            status = "expired"
        else:
            status = "running"
        items.append(s.ChallengeProgress(
            key=ch.key, name=ch.name, description=ch.description, window_kind=d.window.kind, window=key,
            starts_at=starts, ends_at=ends, status=status, done=prog.done, total=prog.total,
            summary=prog.summary(), completed_at=completed_at,
            conditions=[s.ConditionOut(key=c.key, label=c.label, count=c.count, need=c.need, met=c.met)
                        for c in prog.conditions],
            rewards=s.RewardsOut(**definition.to_json()["rewards"]),
            requires_growth_pass=d.requires_growth_pass))
    return s.MyChallenges(items=items)


def _registration_bounds(window: rules.Window, since: datetime) -> tuple[datetime, datetime]:
    day0 = start_of_shanghai_day(since)
    # Beijing has no DST: a day is 24 hours.
    return day0 + timedelta(days=window.start_day), day0 + timedelta(days=window.end_day)


# ------------------------------------------------------------------------------------------------ admin


def _out(ch: Challenge) -> s.ChallengeAdminOut:
    return s.ChallengeAdminOut(key=ch.key, name=ch.name, description=ch.description,
                               definition=ch.definition.to_json(), active=ch.active, position=ch.position,
                               version=ch.version)


def list_all(uow: UnitOfWork) -> s.ChallengeAdminList:
    return s.ChallengeAdminList(items=[_out(c) for c in load_challenges(uow, active_only=False)])


def save_challenge(uow: UnitOfWork, admin_id: int, key: str, body: s.ChallengeIn) -> s.ChallengeAdminOut:
    """Create or edit a challenge. Windows already opened keep the definition they were opened with; windows opened
    from now on take this one. Audited (before/after)."""
    if not rules.KEY.fullmatch(key):
        raise ValidationFailed.field("challenge_key", "挑战标识须为小写字母开头的 1–40 位小写字母、数字或下划线")
    try:
        definition = rules.parse_definition(body.definition)
    except rules.RuleError as exc:
        raise ValidationFailed.field(f"definition.{exc.field}", str(exc).split(": ", 1)[-1]) from None
    before = uow.execute("SELECT key, name, description, definition, active, position, version FROM challenges"
                         " WHERE key = :k FOR UPDATE", {"k": key}).first()
    row = uow.execute(
        "INSERT INTO challenges (key, name, description, definition, active, position, version, created_at,"
        " updated_at) VALUES (:k, :n, :d, CAST(:def AS jsonb), :a, :p, 1, :now, :now)"
        " ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,"
        " definition = EXCLUDED.definition, active = EXCLUDED.active, position = EXCLUDED.position,"
        " version = challenges.version + 1, updated_at = EXCLUDED.updated_at"
        " RETURNING key, name, description, definition, active, position, version",
        {"k": key, "n": body.name, "d": body.description,
         "def": json.dumps(definition.to_json(), ensure_ascii=False), "a": body.active, "p": body.position,
         "now": uow.now}).one()
    uow.memo.pop("challenges:True", None)
    uow.memo.pop("challenges:False", None)
    saved = _challenge(row)
    # A challenge is named by its text key (in before/after); the audit's integer entity id is not meaningful here.
    uow.publish(AdminAudited(admin_id=admin_id, action="challenge.save", entity_name="challenge", entity_id=0,
                             reason=body.reason,
                             before=None if before is None else _out(_challenge(before)).model_dump(),
                             after=_out(saved).model_dump()))
    return _out(saved)


def get_challenge(uow: UnitOfWork, key: str) -> s.ChallengeAdminOut:
    for ch in load_challenges(uow, active_only=False):
        if ch.key == key:
            return _out(ch)
    raise ChallengeNotFound()
