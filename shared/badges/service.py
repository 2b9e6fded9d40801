"""Badges and titles: granting and revoking from the event log, the nightly re-check, backfills, operators' edits.

Everything a user holds follows from `rules.evaluate` over the events that concern them, reconciled against what they
hold now (`reconcile`): a grant is a row keyed on (user, badge, ref), so the same event delivered twice, a replay and
a re-check all end in the same rows; a revocation (revocable badges only) is a compensating `badge_revocations`
record with its reason. Each reconciliation of a user runs under that user's advisory lock and publishes BadgeGranted
/ BadgeRevoked. Users hear of new badges from the digest (`digest`, a timer every minute): one notification for all of
a user's grants of the last moments; a backfill is never told.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from shared.badges import texts
from shared.badges.rules import Fact, Rule, RuleError, candidates_window, evaluate, subject_field, subjects, validate
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import AdminAudited, BadgeGranted, BadgeRevoked, Event
from shared.notifications.kinds import InboxItem
from shared.uow import UnitOfWork

SUBSCRIBER = "badges.evaluate"  # the after-commit subscriber replays re-deliver to (shared/subscriptions.py)
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)  # before the first event: a backfill replays from here
BATCH = 200  # users per unit of work in the nightly re-check
DIGEST_SETTLE = timedelta(seconds=30)  # grants this close together are told in one notification


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    description: str
    rule_kind: str
    params: dict[str, Any]
    triggers: tuple[str, ...]
    repeatable: bool
    revocable: bool
    wearable: bool
    enabled: bool
    version: int
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @cached_property  # read for every user of a batch
    def rule(self) -> Rule:
        return Rule(self.rule_kind, self.params, self.triggers, self.repeatable, self.key)


@dataclass
class Outcome:
    granted: list[tuple[Badge, str]] = field(default_factory=list)  # (badge, ref)
    revoked: list[tuple[Badge, str]] = field(default_factory=list)  # (badge, reason)


_BADGE_COLUMNS = ("key, name, description, rule_kind, params, triggers, repeatable, revocable, wearable, enabled,"
                  " version, created_at, updated_at")


def _badge(r: Any) -> Badge:
    return Badge(r.key, r.name, r.description, r.rule_kind, dict(r.params), tuple(r.triggers), r.repeatable,
                 r.revocable, r.wearable, r.enabled, r.version, r.created_at, r.updated_at)


def list_badges(uow: UnitOfWork, *, enabled_only: bool = False, triggered_by: str | None = None) -> list[Badge]:
    where, params = [], {}
    if enabled_only:
        where.append("enabled")
    if triggered_by:
        where.append(":t = ANY(triggers)")
        params["t"] = triggered_by
    sql = f"SELECT {_BADGE_COLUMNS} FROM badges" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY key"
    return [_badge(r) for r in uow.execute(sql, params).all()]


def get_badge(uow: UnitOfWork, key: str, *, lock: bool = False) -> Badge:
    row = uow.execute(f"SELECT {_BADGE_COLUMNS} FROM badges WHERE key = :k" + (" FOR UPDATE" if lock else ""),
                      {"k": key}).first()
    if row is None:
        raise NotFound("BADGE_NOT_FOUND", "徽章不存在")
    return _badge(row)


# --------------------------------------------------------------------------------------------------- facts


def _fact(r: Any) -> Fact:
    return Fact(r.name, r.occurred_at, r.data)


def facts_of_users(uow: UnitOfWork, user_ids: Sequence[int], rules: Sequence[Rule]) -> dict[int, list[Fact]]:
    """Each user's events that `rules` can count for them (`rules.subjects`: of those types, naming the user in the
    rule's subject field), in log order."""
    out: dict[int, list[Fact]] = defaultdict(list)
    pairs = sorted({pair for rule in rules for pair in subjects(rule)})
    if not user_ids or not pairs:
        return out
    # One index lookup per user (user_ids @> {u}): a single GIN search with all of them (user_ids && {…}) checks every
    # entry it finds against every key, twice as slow for a batch of 200. The subject test is a text comparison, so
    # it keeps every event the rules' own (exact) test would.
    rows = uow.execute("SELECT s.u, e.name, e.occurred_at, e.data FROM unnest(CAST(:us AS bigint[])) AS s(u)"
                       " CROSS JOIN LATERAL (SELECT id, name, occurred_at, data FROM event_log"
                       " WHERE user_ids @> ARRAY[s.u] AND name = ANY(:n)) AS e"
                       " WHERE EXISTS (SELECT 1 FROM unnest(CAST(:n AS text[]), CAST(:f AS text[])) AS k(n, f)"
                       " WHERE k.n = e.name AND e.data ->> k.f = CAST(s.u AS text)) ORDER BY e.id",
                       {"us": list(user_ids), "n": [n for n, _ in pairs], "f": [f for _, f in pairs]}).all()
    for r in rows:
        out[int(r.u)].append(_fact(r))
    return out


def candidates(uow: UnitOfWork, triggers: Sequence[str], *, since: datetime | None = None,
               until: datetime | None = None, undelivered: bool = False) -> list[int]:
    """Users an event of `triggers` concerns (in [since, until), or ever): the only users a rule of those triggers
    can hold for. `undelivered`: only events the live subscriber has not taken effect for (no event_deliveries
    row)."""
    params: dict[str, Any] = {"n": sorted(set(triggers)), "sub": SUBSCRIBER}
    sql = "SELECT DISTINCT u FROM event_log e, unnest(e.user_ids) AS u WHERE e.name = ANY(:n)"
    if undelivered:
        sql += (" AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id"
                " AND d.subscriber = :sub)")
    if since is not None:
        sql += " AND e.occurred_at >= :since"
        params["since"] = since
    if until is not None:
        sql += " AND e.occurred_at < :until"
        params["until"] = until
    return [int(r.u) for r in uow.execute(sql + " ORDER BY u", params).all()]


# --------------------------------------------------------------------------------------------------- reconcile


def _lock_users(uow: UnitOfWork, user_ids: Sequence[int]) -> None:
    """Each user's advisory lock (held to COMMIT), a whole batch in one statement. Always taken in ascending id
    order — two batches, or a batch and a live event, then never wait on each other in a circle."""
    uow.execute("SELECT count(pg_advisory_xact_lock(hashtext('badges:user:' || CAST(s.u AS text))))"
                " FROM (SELECT u FROM unnest(CAST(:us AS bigint[])) AS u ORDER BY u) AS s",
                {"us": sorted(set(user_ids))})


def _held(uow: UnitOfWork, user_ids: Sequence[int], keys: Sequence[str]) -> dict[int, dict[str, dict[str, int]]]:
    """user -> badge key -> {ref: grant id} of the grants each user holds (not revoked); and the number of refs ever
    granted under the key `"*all"`. One query for a batch of users."""
    rows = uow.execute("SELECT g.id, g.user_id, g.badge_key, g.ref, r.grant_id IS NOT NULL AS revoked"
                       " FROM badge_grants g LEFT JOIN badge_revocations r ON r.grant_id = g.id"
                       " WHERE g.user_id = ANY(CAST(:us AS bigint[])) AND g.badge_key = ANY(:k)",
                       {"us": list(user_ids), "k": list(keys)}).all()
    held: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        mine = held[int(r.user_id)][r.badge_key]
        mine["*all"] = mine.get("*all", 0) + 1
        if not r.revoked:
            mine[r.ref] = int(r.id)
    return held


def _ref_for(owed: str, held: dict[str, int]) -> str:
    """A one-off badge granted again after a revocation gets a new business key (once, once:2, …)."""
    if owed != "once" or "*all" not in held:
        return owed
    return f"once:{held['*all'] + 1}"


@dataclass(frozen=True)
class _Change:
    """One grant (grant_id None: a new row with `ref`) or revocation (of the grant `grant_id`) to write."""

    user_id: int
    badge: Badge
    ref: str
    reason: str
    grant_id: int | None = None


def _open(badges: Sequence[Badge], held: dict[str, dict[str, int]]) -> list[Badge]:
    """The badges that can still change for a user: a one-off badge that cannot be taken back and is held already
    can change no more, so neither its rule nor the user's (possibly long) history need reading again."""
    return [b for b in badges if b.repeatable or b.revocable
            or not any(ref != "*all" for ref in held.get(b.key, {}))]


def _changes(user_id: int, badges: Sequence[Badge], held: dict[str, dict[str, int]], facts: list[Fact],
             now: datetime) -> list[_Change]:
    """What to grant and revoke to bring `user_id` in line with the rules (pure: the verdicts against what is
    held). A revocable badge is never repeatable, so one badge is either granted or revoked, never both."""
    changes: list[_Change] = []
    by_name: dict[str, list[Fact]] = defaultdict(list)  # each in log order
    for f in facts:
        by_name[f.name].append(f)
    for badge in badges:
        # A rule reads only events of its triggers: hand it those alone (a rule sorts and scans what it is given).
        mine_facts = (by_name.get(badge.triggers[0], []) if len(badge.triggers) == 1
                      else [f for f in facts if f.name in badge.triggers])
        verdict = evaluate(badge.rule, user_id, mine_facts, now)
        mine = held.get(badge.key, {})
        have_refs = {ref for ref in mine if ref != "*all"}
        if verdict.met:
            owed = set(verdict.owed)
            if not badge.repeatable and have_refs:
                owed = set()  # a one-off badge is held already (whatever its ref)
            changes += [_Change(user_id, badge, _ref_for(ref, mine), verdict.reason)
                        for ref in sorted(owed - have_refs)]
        if badge.revocable:
            keep = set(verdict.owed) if badge.repeatable else (have_refs if verdict.met else set())
            changes += [_Change(user_id, badge, ref, verdict.reason, mine[ref]) for ref in sorted(have_refs - keep)]
    return changes


def reconcile(uow: UnitOfWork, user_ids: Sequence[int], badges: Sequence[Badge], *, backfill: bool, notify_key: str,
              facts: dict[int, list[Fact]] | None = None) -> dict[int, Outcome]:
    """Bring what each of `user_ids` holds of `badges` in line with the rules; publish what changed. New grants wait
    for the digest (unless backfill: never told); a revocation is told at once, with its reason (one notice per user,
    deduplicated on `notify_key`). `facts`: the users' events of the badges' triggers, if read already. A batch of
    users costs a statement per kind of row, not per user."""
    users = sorted(set(user_ids))
    if not badges or not users:
        return {}
    _lock_users(uow, users)
    held = _held(uow, users, [b.key for b in badges])
    open_badges = {u: _open(badges, held.get(u, {})) for u in users}
    users = [u for u in users if open_badges[u]]
    if facts is None:
        facts = facts_of_users(uow, users, list({b.key: b.rule for u in users for b in open_badges[u]}.values()))
    changes = [c for u in users for c in _changes(u, open_badges[u], held.get(u, {}), facts.get(u, []), uow.now)]
    outcomes = _write(uow, changes, backfill=backfill, admin_id=None)
    if not backfill:
        uow.notify_many([InboxItem(user_id, *texts.BADGE_REVOKED.render(
            names=texts.NAME_SEPARATOR.join(b.name for b, _ in out.revoked), reason=out.revoked[0][1]),
            data={"revoked": [b.key for b, _ in out.revoked]}, dedupe_key=f"badges:revoked:{notify_key}")
            for user_id, out in sorted(outcomes.items()) if out.revoked], push=False)
    return outcomes


def _write(uow: UnitOfWork, changes: Sequence[_Change], *, backfill: bool, admin_id: int | None) -> dict[int, Outcome]:
    """Write `changes`: the grants in one statement, the revocations (compensating records) in another, a title
    taken off where its badge is no longer held, and BadgeGranted / BadgeRevoked published in the changes' order —
    only for the rows written now (a grant or a revocation that exists already is not told twice)."""
    grants = [c for c in changes if c.grant_id is None]
    revocations = [c for c in changes if c.grant_id is not None]
    new_grants: set[tuple[int, str, str]] = set()
    if grants:
        new_grants = {(int(r.user_id), r.badge_key, r.ref) for r in uow.execute(
            "INSERT INTO badge_grants (user_id, badge_key, ref, reason, backfill, granted_at)"
            " SELECT v.u, v.k, v.r, v.why, :b, :now FROM unnest(CAST(:us AS bigint[]), CAST(:ks AS text[]),"
            " CAST(:rs AS text[]), CAST(:whys AS text[])) AS v(u, k, r, why)"
            " ON CONFLICT DO NOTHING RETURNING user_id, badge_key, ref",
            {"us": [c.user_id for c in grants], "ks": [c.badge.key for c in grants], "rs": [c.ref for c in grants],
             "whys": [c.reason for c in grants], "b": backfill, "now": uow.now}).all()}
    new_revocations: set[int] = set()
    if revocations:
        new_revocations = {int(r.grant_id) for r in uow.execute(
            "INSERT INTO badge_revocations (grant_id, reason, admin_id, revoked_at)"
            " SELECT v.g, v.why, :a, :now FROM unnest(CAST(:gs AS bigint[]), CAST(:whys AS text[])) AS v(g, why)"
            " ON CONFLICT DO NOTHING RETURNING grant_id",
            {"gs": [c.grant_id for c in revocations], "whys": [c.reason for c in revocations], "a": admin_id,
             "now": uow.now}).all()}
        lost = sorted({(c.user_id, c.badge.key) for c in revocations if c.grant_id in new_revocations})
        if lost:  # the title of a badge the user no longer holds at all comes off
            uow.execute("DELETE FROM badge_titles t USING unnest(CAST(:us AS bigint[]), CAST(:ks AS text[])) AS v(u, k)"
                        " WHERE t.user_id = v.u AND t.badge_key = v.k AND NOT EXISTS (SELECT 1 FROM badge_grants g"
                        " WHERE g.user_id = v.u AND g.badge_key = v.k AND NOT EXISTS"
                        " (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id))",
                        {"us": [u for u, _ in lost], "ks": [k for _, k in lost]})
    outcomes: dict[int, Outcome] = defaultdict(Outcome)
    published: list[Event] = []
    for c in changes:
        if c.grant_id is None and (c.user_id, c.badge.key, c.ref) in new_grants:
            outcomes[c.user_id].granted.append((c.badge, c.ref))
            published.append(BadgeGranted(user_id=c.user_id, badge_key=c.badge.key, badge_name=c.badge.name,
                                          wearable=c.badge.wearable, backfill=backfill, ref=c.ref))
        elif c.grant_id is not None and c.grant_id in new_revocations:
            outcomes[c.user_id].revoked.append((c.badge, c.reason))
            published.append(BadgeRevoked(user_id=c.user_id, badge_key=c.badge.key, reason=c.reason))
    uow.publish_many(published)
    return dict(outcomes)


def digest(uow: UnitOfWork, *, settle: timedelta = DIGEST_SETTLE, limit: int = 1000) -> int:
    """Tell users about their new badges: every grant not yet told (backfills never are) that is at least `settle`
    old, ONE notification per user for all of them — a task's acceptance, rating, XP and level arrive as separate
    events a moment apart, and their badges as one message. Grants are claimed with SKIP LOCKED, so two runs at
    once never tell twice. Returns the notifications written."""
    rows = uow.execute(
        "SELECT g.id, g.user_id, g.badge_key, g.ref, b.name, b.wearable FROM badge_grants g"
        " JOIN badges b ON b.key = g.badge_key"
        " WHERE g.id IN (SELECT id FROM badge_grants WHERE notified_at IS NULL AND NOT backfill"
        " AND granted_at <= :due ORDER BY granted_at, id LIMIT :n FOR UPDATE SKIP LOCKED)"
        " ORDER BY g.user_id, g.granted_at, g.id", {"due": uow.now - settle, "n": limit}).all()
    by_user: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_user[int(r.user_id)].append(r)
    for user_id, grants in by_user.items():
        names = list(dict.fromkeys(g.name for g in grants))
        notice = texts.BADGE_GRANTED if len(names) == 1 else texts.BADGES_GRANTED
        wear = texts.WEAR_HINT if any(g.wearable for g in grants) else ""
        uow.notify(user_id, *notice.render(name=names[0], count=len(names), names=texts.NAME_SEPARATOR.join(names),
                                           wear=wear), push=False,
                   data={"badges": [{"key": g.badge_key, "ref": g.ref} for g in grants]},
                   dedupe_key=f"badges:granted:{grants[0].id}")
    if rows:
        uow.execute("UPDATE badge_grants SET notified_at = :now WHERE id = ANY(:ids)",
                    {"now": uow.now, "ids": [int(r.id) for r in rows]})
    return len(by_user)


def run_digest() -> dict[str, int]:
    """The `badges_digest` timer (every minute)."""
    from shared.uow import run

    return {"notified": run(digest)}


# --------------------------------------------------------------------------------------------------- triggers


def on_event(uow: UnitOfWork, event_name: str, data: dict[str, Any], *, event_id: int, backfill: bool) -> Outcome:
    """Re-evaluate the enabled badges `event_name` triggers, for each user the event counts for."""
    badges = list_badges(uow, enabled_only=True, triggered_by=event_name)
    by_user: dict[int, list[Badge]] = defaultdict(list)
    for badge in badges:
        user = data.get(subject_field(badge.rule, event_name))
        if isinstance(user, int) and not isinstance(user, bool):
            by_user[user].append(badge)
    total = Outcome()
    for user_id in sorted(by_user):
        out = reconcile(uow, [user_id], by_user[user_id], backfill=backfill, notify_key=f"event:{event_id}")
        total.granted += out.get(user_id, Outcome()).granted
        total.revoked += out.get(user_id, Outcome()).revoked
    return total


def recheck(uow: UnitOfWork, user_ids: Sequence[int], badges: Sequence[Badge]) -> Outcome:
    """The nightly re-check of some users (its grants are told by the digest, like live ones)."""
    total = Outcome()
    for out in reconcile(uow, user_ids, badges, backfill=False,
                         notify_key=f"nightly:{uow.now.date().isoformat()}").values():
        total.granted += out.granted
        total.revoked += out.revoked
    return total


def nightly_candidates(uow: UnitOfWork, badges: Sequence[Badge], *, lookback: timedelta = timedelta(days=2)
                       ) -> list[int]:
    """Users whose verdict may differ from the one they hold. A verdict is a function of the user's events and, for
    a windowed rule (avg_rating), of the time; every event delivered to the live subscriber has been reconciled
    already (event_deliveries). So only (1) users with an event of a trigger in the last `lookback` that the live
    subscriber has not taken effect for — a delivery still retrying, failed or lost, or a night missed, within it —
    and (2) for a windowed rule, users with an event that left the window during the lookback. Everyone else
    would get the verdict they hold again (re-reading every user active within a 90-day window and every holder of a
    revocable badge cost ≈ 0.3 ms per developer a night). A delivery dead for longer than the lookback is a dead
    letter, replayed by operators (shared/events/delivery.py); a new or edited badge backfills by replay."""
    # one read of the lookback for every badge's triggers at once (a read per badge went over the same events again)
    users = set(candidates(uow, [t for b in badges for t in b.triggers], since=uow.now - lookback, undelivered=True))
    for badge in badges:
        window = candidates_window(badge.rule)
        if window is not None:  # the events that left the window since the last nights (with a day's margin)
            users.update(candidates(uow, badge.triggers, since=uow.now - window - lookback,
                                    until=uow.now - window + timedelta(days=1)))
    return sorted(users)


def run_nightly() -> dict[str, int]:
    """The `badges_nightly` timer: every enabled badge re-checked for the users it may have changed for, in batches
    of BATCH users per unit of work (each idempotent: a timer that fires twice changes nothing)."""
    from shared.uow import run

    badges = run(lambda uow: list_badges(uow, enabled_only=True))
    users = run(lambda uow: nightly_candidates(uow, badges))
    granted = revoked = 0
    for i in range(0, len(users), BATCH):
        chunk = users[i : i + BATCH]
        def one(uow: UnitOfWork, c: list[int] = chunk) -> Outcome:
            return recheck(uow, c, badges)

        out = run(one)
        granted += len(out.granted)
        revoked += len(out.revoked)
    return {"users": len(users), "granted": granted, "revoked": revoked}


# --------------------------------------------------------------------------------------------------- operators


@dataclass(frozen=True)
class BadgeSpec:
    key: str
    name: str
    description: str
    rule_kind: str
    params: dict[str, Any]
    triggers: tuple[str, ...]
    repeatable: bool = False
    revocable: bool = False
    wearable: bool = False

    @property
    def rule(self) -> Rule:
        return Rule(self.rule_kind, self.params, self.triggers, self.repeatable, self.key)


def _checked(spec: BadgeSpec) -> None:
    errors: list[dict[str, str]] = []
    try:
        validate(spec.rule)
    except RuleError as exc:
        errors = [{"field": f, "message": m} for f, m in exc.errors]
    if spec.repeatable and spec.revocable:  # a revoked repeat would have no business key left to be granted again
        errors.append({"field": "revocable", "message": "可重复获得的徽章不能设为可收回"})
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class Preview:
    users: int  # would hold it
    new: int  # of those, do not hold it yet
    losing: int  # hold it and would lose it (revocable)
    evaluated: int  # users looked at
    sample: tuple[int, ...]


def preview(uow: UnitOfWork, spec: BadgeSpec) -> Preview:
    """How many users the rule would grant (and revoke) now, without changing anything."""
    _checked(spec)
    rule = spec.rule
    window = candidates_window(rule)
    users = candidates(uow, rule.triggers, since=uow.now - window if window else None)
    held = {int(r.user_id) for r in uow.execute(
        "SELECT DISTINCT g.user_id FROM badge_grants g WHERE g.badge_key = :k AND NOT EXISTS"
        " (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id)", {"k": spec.key}).all()}
    met: list[int] = []
    for i in range(0, len(users), 1000):
        chunk = users[i : i + 1000]
        facts = facts_of_users(uow, chunk, [rule])
        met += [u for u in chunk if evaluate(rule, u, facts.get(u, []), uow.now).met]
    losing = len(held - set(met)) if spec.revocable else 0
    return Preview(users=len(met), new=len(set(met) - held), losing=losing, evaluated=len(users),
                   sample=tuple(met[:10]))


def _spec_of(b: Badge) -> dict[str, Any]:
    return {"name": b.name, "description": b.description, "rule_kind": b.rule_kind, "params": b.params,
            "triggers": list(b.triggers), "repeatable": b.repeatable, "revocable": b.revocable,
            "wearable": b.wearable, "enabled": b.enabled, "version": b.version}


def _audit(uow: UnitOfWork, admin_id: int | None, action: str, key: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None, reason: str = "", subject: int | None = None) -> None:
    uow.publish(AdminAudited(admin_id=admin_id, action=action, entity_name="badge", entity_id=0,
                             before=before, after={"key": key, **(after or {})}, reason=reason,
                             subject_user_id=subject))


def create_badge(uow: UnitOfWork, admin_id: int | None, spec: BadgeSpec) -> Badge:
    """A new badge, disabled: preview it, then enable it (which backfills)."""
    _checked(spec)
    row = uow.execute(
        "INSERT INTO badges (key, name, description, rule_kind, params, triggers, repeatable, revocable, wearable,"
        " enabled, created_at, updated_at) VALUES (:k, :n, :d, :kind, CAST(:p AS jsonb), :t, :rep, :rev, :w, false,"
        f" :now, :now) ON CONFLICT DO NOTHING RETURNING {_BADGE_COLUMNS}",
        {"k": spec.key, "n": spec.name, "d": spec.description, "kind": spec.rule_kind,
         "p": json.dumps(spec.params, ensure_ascii=False), "t": list(spec.triggers), "rep": spec.repeatable,
         "rev": spec.revocable, "w": spec.wearable, "now": uow.now}).first()
    if row is None:
        raise Conflict("BADGE_KEY_TAKEN", "徽章标识已存在")
    badge = _badge(row)
    _audit(uow, admin_id, "badge.create", spec.key, None, _spec_of(badge))
    return badge


def update_badge(uow: UnitOfWork, admin_id: int | None, spec: BadgeSpec, reason: str) -> Badge:
    """Edit a badge; a changed rule bumps its version and, if enabled, backfills under the new rule."""
    _checked(spec)
    before = get_badge(uow, spec.key, lock=True)
    rule_changed = (before.rule_kind, before.params, before.triggers, before.repeatable, before.revocable) != (
        spec.rule_kind, spec.params, spec.triggers, spec.repeatable, spec.revocable)
    uow.execute("UPDATE badges SET name = :n, description = :d, rule_kind = :kind, params = CAST(:p AS jsonb),"
                " triggers = :t, repeatable = :rep, revocable = :rev, wearable = :w,"
                " version = version + :bump, updated_at = :now WHERE key = :k",
                {"k": spec.key, "n": spec.name, "d": spec.description, "kind": spec.rule_kind,
                 "p": json.dumps(spec.params, ensure_ascii=False), "t": list(spec.triggers), "rep": spec.repeatable,
                 "rev": spec.revocable, "w": spec.wearable, "bump": 1 if rule_changed else 0, "now": uow.now})
    if before.wearable and not spec.wearable:
        uow.execute("DELETE FROM badge_titles WHERE badge_key = :k", {"k": spec.key})
    after = get_badge(uow, spec.key)
    _audit(uow, admin_id, "badge.update", spec.key, _spec_of(before), _spec_of(after), reason)
    if after.enabled and rule_changed:
        backfill(uow, after)
    return after


def set_enabled(uow: UnitOfWork, admin_id: int | None, key: str, enabled: bool, reason: str) -> tuple[Badge, int]:
    """Enable (and backfill through replay: returns the deliveries queued) or disable a badge. Disabling keeps every
    grant; it only stops new ones."""
    before = get_badge(uow, key, lock=True)
    uow.execute("UPDATE badges SET enabled = :e, updated_at = :now WHERE key = :k",
                {"k": key, "e": enabled, "now": uow.now})
    after = get_badge(uow, key)
    _audit(uow, admin_id, "badge.enable" if enabled else "badge.disable", key, {"enabled": before.enabled},
           {"enabled": enabled}, reason)
    queued = backfill(uow, after) if enabled and not before.enabled else 0
    return after, queued


def backfill(uow: UnitOfWork, badge: Badge, *, max_rounds: int = 100) -> int:
    """Queue a replay of every past event of the badge's triggers to the badges subscriber: each delivery
    (`stored.replay`) grants without notifying. Returns the number of deliveries queued."""
    from shared.events.delivery import replay_events

    queued = 0
    for trigger in badge.triggers:
        since = EPOCH
        for _ in range(max_rounds):
            result = replay_events(uow, trigger, SUBSCRIBER, since, uow.now + timedelta(microseconds=1))
            queued += int(result["queued"])
            if not result["truncated"]:
                break
            since = result["last_occurred_at"]
    return queued


def revoke(uow: UnitOfWork, admin_id: int, key: str, user_id: int, reason: str) -> int:
    """An operator revokes a revocable badge from a user (every grant they hold of it): compensating records."""
    badge = get_badge(uow, key)
    if not badge.revocable:
        raise Conflict("BADGE_NOT_REVOCABLE", "该徽章不可收回")
    _lock_users(uow, [user_id])
    held = _held(uow, [user_id], [key]).get(user_id, {}).get(key, {})
    refs = [r for r in held if r != "*all"]
    if not refs:
        raise Conflict("BADGE_NOT_HELD", "该用户没有这枚徽章")
    out = _write(uow, [_Change(user_id, badge, ref, reason, held[ref]) for ref in sorted(refs)], backfill=False,
                 admin_id=admin_id).get(user_id, Outcome())
    _audit(uow, admin_id, "badge.revoke", key, {"held": sorted(refs)}, {"user_id": user_id}, reason, user_id)
    uow.notify(user_id, *texts.BADGE_REVOKED.render(names=badge.name, reason=reason), data={"revoked": [key]},
               push=False)
    return len(out.revoked)


# --------------------------------------------------------------------------------------------------- titles


def wear_title(uow: UnitOfWork, user_id: int, key: str | None) -> str | None:
    """Wear a wearable badge the user holds as their title (None: take it off)."""
    if key is None:
        uow.execute("DELETE FROM badge_titles WHERE user_id = :u", {"u": user_id})
        return None
    badge = get_badge(uow, key)
    if not badge.wearable:
        raise Conflict("BADGE_NOT_WEARABLE", "这枚徽章不能作为头衔佩戴")
    holds = uow.execute("SELECT 1 FROM badge_grants g WHERE g.user_id = :u AND g.badge_key = :k AND NOT EXISTS"
                        " (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id) LIMIT 1",
                        {"u": user_id, "k": key}).first()
    if holds is None:
        raise Conflict("BADGE_NOT_HELD", "还没有获得这枚徽章")
    uow.execute("INSERT INTO badge_titles (user_id, badge_key, worn_at) VALUES (:u, :k, :now)"
                " ON CONFLICT (user_id) DO UPDATE SET badge_key = EXCLUDED.badge_key, worn_at = EXCLUDED.worn_at",
                {"u": user_id, "k": key, "now": uow.now})
    return key


def spec_from(values: dict[str, Any]) -> BadgeSpec:
    return BadgeSpec(key=values["key"], name=values["name"], description=values.get("description", ""),
                     rule_kind=values["rule_kind"], params=dict(values.get("params") or {}),
                     triggers=tuple(values["triggers"]), repeatable=bool(values.get("repeatable")),
                     revocable=bool(values.get("revocable")), wearable=bool(values.get("wearable")))

