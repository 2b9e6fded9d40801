"""Growth use cases: a completed and rated task's skill points and XP (with fair play), XP from challenges and mentor
reviews, level evaluation (on the rating and nightly), operator points adjustments. Every grant is an entry keyed on a
business key (idempotent: the same event twice, or a replay, grants once) with the reason the user sees; corrections
are compensating entries. The rules are shared/growth/rules.py, the numbers `Rules.growth_*` (config_values)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.clock import SHANGHAI, start_of_shanghai_month
from shared.events import AdminAudited, LevelChanged, SkillPointsGranted, XpGranted
from shared.growth import points as ledger
from shared.growth import rules, texts
from shared.growth.errors import UserNotFound
from shared.growth.queries import stats, stats_many, thresholds
from shared.notifications.kinds import InboxItem
from shared.profiles.skills import taxonomy
from shared.rules_config import Rules, load_rules

if TYPE_CHECKING:
    from shared.uow import UnitOfWork


def month_of(at: datetime) -> Any:
    return start_of_shanghai_month(at).astimezone(SHANGHAI).date()


# ------------------------------------------------------------------------------------------------ tasks and ratings


def record_completion(uow: UnitOfWork, *, task_id: int, developer_id: int, merchant_id: int, tags: tuple[str, ...],
                      difficulty: int, at: datetime, backfill: bool) -> None:
    _ensure_task(uow, task_id, developer_id, merchant_id)
    uow.execute("UPDATE growth_tasks SET skill_tags = :tags, difficulty = :d, completed_at = coalesce(completed_at,"
                " :at) WHERE task_id = :t", {"tags": list(tags), "d": difficulty, "at": at, "t": task_id})
    settle(uow, task_id, backfill=backfill)


def record_rating(uow: UnitOfWork, *, task_id: int, developer_id: int, merchant_id: int, stars: int, at: datetime,
                  backfill: bool) -> None:
    _ensure_task(uow, task_id, developer_id, merchant_id)
    uow.execute("UPDATE growth_tasks SET stars = coalesce(stars, :s), rated_at = coalesce(rated_at, :at)"
                " WHERE task_id = :t", {"s": stars, "at": at, "t": task_id})
    settle(uow, task_id, backfill=backfill)


def _ensure_task(uow: UnitOfWork, task_id: int, developer_id: int, merchant_id: int) -> None:
    _lock_developer(uow, developer_id)
    if uow.execute("SELECT 1 FROM growth_tasks WHERE task_id = :t", {"t": task_id}).first() is not None:
        return
    same = same_person_reasons(uow, merchant_id, developer_id)
    uow.execute("INSERT INTO growth_tasks (task_id, developer_id, merchant_id, same_person) VALUES (:t, :d, :m, :s)"
                " ON CONFLICT DO NOTHING", {"t": task_id, "d": developer_id, "m": merchant_id, "s": bool(same)})
    if same:
        uow.execute(
            "INSERT INTO growth_fair_play_flags (merchant_id, developer_id, reasons, first_task_id, created_at,"
            " updated_at) VALUES (:m, :d, :r, :t, :now, :now) ON CONFLICT (merchant_id, developer_id) DO UPDATE"
            " SET tasks = growth_fair_play_flags.tasks + 1, reasons = EXCLUDED.reasons,"
            " updated_at = EXCLUDED.updated_at",
            {"m": merchant_id, "d": developer_id, "r": same, "t": task_id, "now": uow.now})


def _lock_developer(uow: UnitOfWork, user_id: int) -> Any:
    """Growth of one developer is decided one event at a time: the growth_profiles row lock."""
    uow.execute("INSERT INTO growth_profiles (user_id, updated_at) VALUES (:u, :now) ON CONFLICT DO NOTHING",
                {"u": user_id, "now": uow.now})
    return uow.execute("SELECT user_id, xp, level, level_since, below_since FROM growth_profiles WHERE user_id = :u"
                       " FOR UPDATE", {"u": user_id}).one()


def same_person_reasons(uow: UnitOfWork, merchant_id: int, developer_id: int) -> list[str]:
    """Why a merchant and a developer look like one person: the same WeChat unionid, the same phone, or the merchant
    paid with the developer's openid."""
    if merchant_id == developer_id:
        return ["同一账号"]
    row = uow.execute(
        "SELECT (m.unionid IS NOT NULL AND m.unionid = d.unionid) AS unionid,"
        " (m.phone IS NOT NULL AND m.phone = d.phone) AS phone,"
        " (d.openid IS NOT NULL AND EXISTS (SELECT 1 FROM payment_orders o WHERE o.payer_id = m.id"
        "   AND o.payer_openid = d.openid)) AS openid"
        " FROM users m, users d WHERE m.id = :m AND d.id = :d", {"m": merchant_id, "d": developer_id}).first()
    if row is None:
        return []
    return [text for flag, text in ((row.unionid, "相同微信 unionid"), (row.phone, "相同手机号"),
                                    (row.openid, "商家用开发者的微信支付"))if flag]


def settle(uow: UnitOfWork, task_id: int, *, backfill: bool) -> None:
    """Grant a task's skill points and XP once both its completion and the merchant's rating are known."""
    t = uow.execute("SELECT * FROM growth_tasks WHERE task_id = :t FOR UPDATE", {"t": task_id}).one()
    if t.granted_at is not None or t.completed_at is None or t.stars is None:
        return
    r = load_rules(uow)
    at = max(t.completed_at, t.rated_at)
    window = timedelta(days=r.growth_repeat_merchant_window_days)
    prior = uow.execute(
        "SELECT count(*) FROM growth_tasks WHERE developer_id = :d AND merchant_id = :m AND task_id <> :t"
        " AND granted_at IS NOT NULL AND NOT same_person AND reversed_at IS NULL AND rated_at > :since"
        " AND rated_at <= :at",
        {"d": t.developer_id, "m": t.merchant_id, "t": task_id, "since": t.rated_at - window, "at": t.rated_at},
    ).scalar_one()
    same = same_person_reasons(uow, t.merchant_id, t.developer_id) if t.same_person else []
    fair = rules.fair_play(same_person_reasons=same or (["已标记"] if t.same_person else []),
                           prior_from_merchant=prior, window_days=r.growth_repeat_merchant_window_days,
                           decay_bp=r.growth_repeat_merchant_decay_bp)
    uow.execute("UPDATE growth_tasks SET granted_at = :now, fair_bp = :f, fair_reason = :why WHERE task_id = :t",
                {"now": uow.now, "f": fair.factor_bp, "why": fair.reason, "t": task_id})
    reason = f"任务 #{task_id} 获得 {t.stars} 星评价（难度 {t.difficulty}）"
    if fair.reason:
        reason += f"；{fair.reason}"
    known = taxonomy()
    per_skill = rules.skill_points(tags=t.skill_tags, difficulty=t.difficulty, stars=t.stars,
                                   weights=r.growth_difficulty_weights, factors=r.growth_rating_factors_bp,
                                   fair_bp=fair.factor_bp)
    granted = add_skill_points(uow, t.developer_id, per_skill, ref=f"task:{task_id}", reason=reason, at=at,
                               known=known)
    if granted:
        uow.publish(SkillPointsGranted(user_id=t.developer_id, skills=tuple(granted), ref=f"task:{task_id}",
                                       reason=reason, task_id=task_id, backfill=backfill))
    xp = rules.task_xp(stars=t.stars, difficulty=t.difficulty,
                       per_star_difficulty=r.growth_xp_table["task_per_star_difficulty"], fair_bp=fair.factor_bp)
    grant_xp(uow, t.developer_id, xp, source="task", ref=f"task:{task_id}", reason=reason, at=at, backfill=backfill)
    evaluate_level(uow, t.developer_id, trigger="rating", backfill=backfill)


def add_skill_points(uow: UnitOfWork, user_id: int, per_skill: dict[str, int], *, ref: str, reason: str,
                     at: datetime, known: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    granted: list[dict[str, Any]] = []
    for skill, points in per_skill.items():
        if skill not in known or points == 0:
            continue
        category = known[skill][1]
        row = uow.execute(
            "INSERT INTO skill_point_entries (user_id, skill, category, points, ref, reason, month, created_at)"
            " VALUES (:u, :s, :c, :p, :ref, :why, :month, :now) ON CONFLICT DO NOTHING RETURNING id",
            {"u": user_id, "s": skill, "c": category, "p": points, "ref": ref, "why": reason, "month": month_of(at),
             "now": uow.now}).first()
        if row is None:
            continue
        uow.execute("INSERT INTO user_skills (user_id, skill, category, points) VALUES (:u, :s, :c, :p)"
                    " ON CONFLICT (user_id, skill) DO UPDATE SET points = user_skills.points + EXCLUDED.points",
                    {"u": user_id, "s": skill, "c": category, "p": points})
        granted.append({"skill": skill, "category": category, "points": points})
    return granted


def grant_xp(uow: UnitOfWork, user_id: int, amount: int, *, source: str, ref: str, reason: str, at: datetime,
             backfill: bool) -> bool:
    if amount == 0:
        return False
    _lock_developer(uow, user_id)
    row = uow.execute(
        "INSERT INTO xp_entries (user_id, amount, source, ref, reason, month, created_at)"
        " VALUES (:u, :a, :s, :ref, :why, :month, :now) ON CONFLICT DO NOTHING RETURNING id",
        {"u": user_id, "a": amount, "s": source, "ref": ref, "why": reason, "month": month_of(at), "now": uow.now},
    ).first()
    if row is None:
        return False
    uow.execute("UPDATE growth_profiles SET xp = xp + :a, updated_at = :now WHERE user_id = :u",
                {"a": amount, "now": uow.now, "u": user_id})
    uow.publish(XpGranted(user_id=user_id, amount=amount, source=source, ref=ref, reason=reason, backfill=backfill))
    return True


def reverse_task(uow: UnitOfWork, task_id: int, *, reason: str, admin_id: int) -> dict[str, int]:
    """Take back a task's growth by compensating entries (skill points and XP negated, ref reversal:task:<id>)."""
    t = uow.execute("SELECT developer_id FROM growth_tasks WHERE task_id = :t", {"t": task_id}).first()
    if t is None:
        return {"skills": 0, "xp": 0}
    _lock_developer(uow, t.developer_id)
    entries = uow.execute("SELECT skill, points FROM skill_point_entries WHERE user_id = :u AND ref = :ref",
                          {"u": t.developer_id, "ref": f"task:{task_id}"}).all()
    back = add_skill_points(uow, t.developer_id, {e.skill: -e.points for e in entries}, ref=f"reversal:task:{task_id}",
                            reason=reason, at=uow.now, known=taxonomy())
    if back:
        uow.publish(SkillPointsGranted(user_id=t.developer_id, skills=tuple(back), ref=f"reversal:task:{task_id}",
                                       reason=reason, task_id=task_id))
    xp = uow.execute("SELECT amount FROM xp_entries WHERE user_id = :u AND source = 'task' AND ref = :ref",
                     {"u": t.developer_id, "ref": f"task:{task_id}"}).scalar()
    took = grant_xp(uow, t.developer_id, -xp, source="adjustment", ref=f"reversal:task:{task_id}", reason=reason,
                    at=uow.now, backfill=False) if xp else False
    uow.execute("UPDATE growth_tasks SET reversed_at = coalesce(reversed_at, :now) WHERE task_id = :t",
                {"now": uow.now, "t": task_id})  # no longer counts for levels
    uow.publish(AdminAudited(admin_id=admin_id, action="growth.reverse_task", entity_name="task", entity_id=task_id,
                             after={"skills": len(back), "xp": -(xp or 0) if took else 0}, reason=reason,
                             subject_user_id=t.developer_id))
    evaluate_level(uow, t.developer_id, trigger="reversal", backfill=False)
    return {"skills": len(back), "xp": -(xp or 0) if took else 0}


# ------------------------------------------------------------------------------------------------ levels


def evaluate_level(uow: UnitOfWork, user_id: int, *, trigger: str, backfill: bool) -> rules.Decision:
    profile = _lock_developer(uow, user_id)
    r = load_rules(uow)
    decision = _decide(r, profile, stats(uow, user_id, r.growth_good_rating), uow.now)
    _apply(uow, profile, decision, trigger=trigger, backfill=backfill)
    return decision


def _decide(r: Rules, profile: Any, st: rules.Stats, now: datetime,
            levels: dict[str, rules.Threshold] | None = None) -> rules.Decision:
    return rules.evaluate(profile.level, st, levels or thresholds(r), below_since=profile.below_since, now=now,
                          grace_days=r.growth_demotion_grace_days, buffer=r.growth_demotion_buffer_bp / rules.FULL)


def _apply(uow: UnitOfWork, profile: Any, decision: rules.Decision, *, trigger: str, backfill: bool) -> None:
    """Write a decision: the level (and since when), the grace clock; a change is logged, published and notified."""
    _apply_many(uow, [(profile, decision)], trigger=trigger, backfill=backfill)


def _apply_many(uow: UnitOfWork, decided: Sequence[tuple[Any, rules.Decision]], *, trigger: str,
                backfill: bool) -> None:
    """`_apply` for a batch with a statement per kind of row, not per developer (the nightly run changing many
    levels at once — a backfill, a lowered threshold — wrote ~5 statements per change): the profiles in one UPDATE,
    the level_changes in one INSERT, their LevelChanged events in one, the notices and their pushes in one each."""
    if not decided:
        return
    uow.execute("UPDATE growth_profiles g SET level = v.level, level_since = CASE WHEN v.level <> g.level THEN :now"
                " ELSE g.level_since END, below_since = v.below, evaluated_at = :now, updated_at = :now"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:levels AS text[]), CAST(:below AS timestamptz[]))"
                " AS v(user_id, level, below) WHERE g.user_id = v.user_id",
                {"ids": [p.user_id for p, _ in decided], "levels": [d.level for _, d in decided],
                 "below": [d.below_since for _, d in decided], "now": uow.now})
    changes = [(p, d, d.direction) for p, d in decided if d.level != p.level and d.direction]
    if not changes:
        return
    change_ids = {int(r.user_id): int(r.id) for r in uow.execute(
        "INSERT INTO level_changes (user_id, old_level, new_level, direction, reasons, trigger, created_at)"
        " SELECT v.user_id, v.old, v.new, v.direction,"
        " ARRAY(SELECT r FROM jsonb_array_elements_text(CAST(v.reasons AS jsonb)) WITH ORDINALITY AS j(r, n)"
        " ORDER BY n), :t, :now"
        " FROM unnest(CAST(:users AS bigint[]), CAST(:olds AS text[]), CAST(:news AS text[]),"
        " CAST(:directions AS text[]), CAST(:reasons AS text[])) AS v(user_id, old, new, direction, reasons)"
        " RETURNING id, user_id",
        {"users": [p.user_id for p, _, _ in changes], "olds": [p.level for p, _, _ in changes],
         "news": [d.level for _, d, _ in changes], "directions": [direction for _, _, direction in changes],
         "reasons": [json.dumps(list(d.reasons), ensure_ascii=False) for _, d, _ in changes],
         "t": trigger, "now": uow.now})}
    uow.publish_many([LevelChanged(user_id=p.user_id, old_level=p.level, new_level=d.level, direction=direction,
                                   reasons=d.reasons) for p, d, direction in changes])
    if backfill:
        return
    notices = []
    for p, d, direction in changes:
        notice = texts.LEVEL_PROMOTED if direction == "promoted" else texts.LEVEL_DEMOTED
        kind, title, body = notice.render(level=texts.LEVEL_NAMES[d.level],
                                          reasons=texts.REASON_SEPARATOR.join(d.reasons))
        notices.append(InboxItem(p.user_id, kind, title, body, {"old_level": p.level, "new_level": d.level},
                                 f"level:{change_ids[p.user_id]}"))
    uow.notify_many(notices)


def reevaluate_batch(uow: UnitOfWork, *, after: int, batch: int) -> tuple[int | None, dict[str, int]]:
    """One batch of the nightly re-evaluation: the next `batch` developers after user id `after`, their rows locked,
    their stats read in two set-based queries; the changed decisions written together (`_apply_many`), evaluated_at
    for the rest in one UPDATE. Returns the last user id (None: done) and the counts."""
    profiles = uow.execute("SELECT user_id, level, below_since FROM growth_profiles WHERE user_id > :a"
                           " ORDER BY user_id LIMIT :n FOR UPDATE", {"a": after, "n": batch}).all()
    counts = {"evaluated": len(profiles), "promoted": 0, "demoted": 0}
    if not profiles:
        return None, counts
    r = load_rules(uow)
    ids = [p.user_id for p in profiles]
    found = stats_many(uow, ids, r.growth_good_rating)
    levels = thresholds(r)  # once per batch, not per developer
    decided = []
    for p in profiles:
        decision = _decide(r, p, found.get(p.user_id, rules.Stats()), uow.now, levels)
        if decision.level != p.level or decision.below_since != p.below_since:
            decided.append((p, decision))
            if decision.direction:
                counts[decision.direction] += 1
    uow.execute("UPDATE growth_profiles SET evaluated_at = :now WHERE user_id = ANY(:ids)",
                {"now": uow.now, "ids": ids})
    _apply_many(uow, decided, trigger="nightly", backfill=False)
    return (ids[-1] if len(ids) == batch else None), counts


def reevaluate_all(*, batch: int = 1000) -> dict[str, int]:
    """The nightly full re-evaluation (timer growth_levels): every developer with growth, one transaction per batch
    (promotions missed, demotions whose grace period ended)."""
    from shared.uow import run

    total = {"evaluated": 0, "promoted": 0, "demoted": 0}
    after: int | None = 0
    while after is not None:
        after, counts = run(functools.partial(reevaluate_batch, after=after, batch=batch))
        for k, v in counts.items():
            total[k] += v
    return total


# ------------------------------------------------------------------------------------------------ operators


def adjust_points(uow: UnitOfWork, admin_id: int, user_id: int, delta: int, reason: str,
                  request_id: str) -> ledger.Grant | None:
    """An operator's grant (delta > 0) or deduction (< 0) with its reason: audited, idempotent on request_id."""
    if uow.execute("SELECT 1 FROM users WHERE id = :u", {"u": user_id}).first() is None:
        raise UserNotFound()
    grant = ledger.grant_points(uow, user_id, delta, source_class="admin", kind="admin", ref=f"admin:{request_id}",
                                reason=reason, actor_id=admin_id)
    if grant is not None:
        uow.publish(AdminAudited(admin_id=admin_id, action="points.grant" if delta > 0 else "points.deduct",
                                 entity_name="user", entity_id=user_id,
                                 after={"delta": delta, "entry_id": grant.entry_id}, reason=reason,
                                 subject_user_id=user_id))
    return grant


def reverse_points(uow: UnitOfWork, admin_id: int, entry_id: int, reason: str) -> ledger.Grant:
    grant = ledger.reverse(uow, entry_id, reason=reason, actor_id=admin_id)
    uow.publish(AdminAudited(admin_id=admin_id, action="points.reverse", entity_name="points_entry",
                             entity_id=entry_id, after={"delta": grant.delta, "entry_id": grant.entry_id},
                             reason=reason))
    return grant
