"""Read-only growth queries — the only way other areas read growth (the public resume card, the hall's `match` sort,
later the monthly report): a developer's skill graph, level, XP, points history, and the match of tasks to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.badges.queries import badges_of, title_of
from shared.badges.schemas import HeldBadgeOut, TitleOut
from shared.growth import rules
from shared.growth import schemas as s
from shared.pagination import ID, decode_cursor, encode_cursor
from shared.profiles.skills import categories as category_names
from shared.profiles.skills import taxonomy
from shared.rules_config import Rules, load_rules

if TYPE_CHECKING:
    from shared.uow import UnitOfWork


def thresholds(r: Rules) -> dict[str, rules.Threshold]:
    return {k: rules.Threshold(tasks=v.tasks, avg_rating=v.avg_rating, merchants=v.merchants, categories=v.categories)
            for k, v in r.growth_level_thresholds.items()}


def stats(uow: UnitOfWork, user_id: int, good_rating: int) -> rules.Stats:
    row = uow.execute(
        "SELECT count(*) FILTER (WHERE completed_at IS NOT NULL) AS tasks, coalesce(sum(stars), 0) AS rating_sum,"
        " count(stars) AS rating_count, count(DISTINCT merchant_id) FILTER (WHERE stars >= :good) AS merchants"
        " FROM growth_tasks WHERE developer_id = :u AND NOT same_person"
        " AND reversed_at IS NULL", {"u": user_id, "good": good_rating}).one()
    categories = uow.execute("SELECT count(DISTINCT category) FROM user_skills WHERE user_id = :u AND points > 0",
                             {"u": user_id}).scalar_one()
    return rules.Stats(tasks=row.tasks, rating_sum=int(row.rating_sum), rating_count=row.rating_count,
                       merchants=row.merchants, categories=categories)


def stats_many(uow: UnitOfWork, user_ids: list[int], good_rating: int) -> dict[int, rules.Stats]:
    """stats() of many developers in two set-based queries (the nightly re-evaluation)."""
    cats = {r.user_id: int(r.n) for r in uow.execute(
        "SELECT user_id, count(DISTINCT category) AS n FROM user_skills WHERE user_id = ANY(:ids) AND points > 0"
        " GROUP BY user_id", {"ids": user_ids})}
    out = {}
    for r in uow.execute(
            "SELECT developer_id, count(*) FILTER (WHERE completed_at IS NOT NULL) AS tasks,"
            " coalesce(sum(stars), 0) AS rating_sum, count(stars) AS rating_count,"
            " count(DISTINCT merchant_id) FILTER (WHERE stars >= :good) AS merchants FROM growth_tasks"
            " WHERE developer_id = ANY(:ids) AND NOT same_person AND reversed_at IS NULL GROUP BY developer_id",
            {"ids": user_ids, "good": good_rating}):
        out[r.developer_id] = rules.Stats(tasks=r.tasks, rating_sum=int(r.rating_sum), rating_count=r.rating_count,
                                          merchants=r.merchants, categories=cats.get(r.developer_id, 0))
    for user_id, n in cats.items():
        out.setdefault(user_id, rules.Stats(categories=n))
    return out


def skills(uow: UnitOfWork, user_id: int) -> dict[str, int]:
    return {r.skill: int(r.points) for r in uow.execute(
        "SELECT skill, points FROM user_skills WHERE user_id = :u", {"u": user_id})}


def level(uow: UnitOfWork, user_id: int) -> str:
    return uow.execute("SELECT level FROM growth_profiles WHERE user_id = :u", {"u": user_id}).scalar() or "C"


def _skill_graph(uow: UnitOfWork, user_id: int) -> tuple[list[s.SkillPointsOut], list[s.CategoryPointsOut]]:
    known = taxonomy()
    names = dict(category_names())
    graph = sorted(((skill, pts) for skill, pts in skills(uow, user_id).items() if pts > 0),
                   key=lambda x: (-x[1], x[0]))
    skill_out = [s.SkillPointsOut(skill=k, name=known.get(k, (k, ""))[0], category=known.get(k, ("", "other"))[1],
                                  points=p) for k, p in graph]
    rolled = rules.roll_up(dict(graph), known)
    cats = [s.CategoryPointsOut(category=c, name=names.get(c, c), points=p)
            for c, p in sorted(rolled.items(), key=lambda x: (-x[1], x[0]))]
    return skill_out, cats


def held_badges(uow: UnitOfWork, user_id: int) -> tuple[list[HeldBadgeOut], TitleOut | None]:
    """The badges the user holds (newest first) and the title they wear — read from the badges area's queries."""
    held = [HeldBadgeOut(key=b.key, name=b.name, description=b.description, wearable=b.wearable, count=b.count,
                         first_granted_at=b.first_granted_at, last_granted_at=b.last_granted_at, reason=b.reason)
            for b in badges_of(uow, user_id)]
    worn = title_of(uow, user_id)
    return held, TitleOut(key=worn.key, name=worn.name) if worn else None


def public_growth(uow: UnitOfWork, user_id: int) -> s.PublicGrowthOut | None:
    """The growth part of the public resume card: level, XP, skill graph, badges and the worn title (None before any
    growth and any badge). The caller decides whether the developer shows it (profiles: with public skills)."""
    row = uow.execute("SELECT xp, level FROM growth_profiles WHERE user_id = :u", {"u": user_id}).first()
    held, worn = held_badges(uow, user_id)
    if row is None and not held:
        return None
    skill_out, cats = _skill_graph(uow, user_id)
    return s.PublicGrowthOut(level=row.level if row else "C", xp=int(row.xp) if row else 0, categories=cats,
                             top_skills=skill_out[:5], badges=held, title=worn.name if worn else None)


def level_view(uow: UnitOfWork, user_id: int) -> s.LevelOut:
    r = load_rules(uow)
    row = uow.execute("SELECT level, level_since, below_since FROM growth_profiles WHERE user_id = :u",
                      {"u": user_id}).first()
    current = row.level if row else "C"
    st = stats(uow, user_id, r.growth_good_rating)
    nxt = rules.next_level(current)
    return s.LevelOut(level=current, since=row.level_since if row else None, next_level=nxt,
                      missing=rules.missing_texts(st, thresholds(r)[nxt]) if nxt else [], tasks=st.tasks,
                      avg_rating=round(st.avg_rating, 2) if st.rating_count else None, merchants=st.merchants,
                      categories=st.categories, at_risk=bool(row and row.below_since))


def monthly(uow: UnitOfWork, user_id: int, months: int = 12) -> list[s.MonthOut]:
    """The monthly history (Asia/Shanghai months): skill points per category and XP — the monthly report's chart."""
    out: dict[str, s.MonthOut] = {}
    for r in uow.execute("SELECT month, category, sum(points) AS points FROM skill_point_entries WHERE user_id = :u"
                         " GROUP BY month, category", {"u": user_id}):
        m = out.setdefault(r.month.strftime("%Y-%m"), s.MonthOut(month=r.month.strftime("%Y-%m"), skill_points=0,
                                                                 xp=0, categories={}))
        m.skill_points += int(r.points)
        m.categories[r.category] = int(r.points)
    for r in uow.execute("SELECT month, sum(amount) AS xp FROM xp_entries WHERE user_id = :u GROUP BY month",
                         {"u": user_id}):
        key = r.month.strftime("%Y-%m")
        out.setdefault(key, s.MonthOut(month=key, skill_points=0, xp=0, categories={})).xp = int(r.xp)
    return [out[k] for k in sorted(out, reverse=True)[:months]]


def points_history(uow: UnitOfWork, user_id: int, cursor: str | None, limit: int) -> s.PointsHistoryOut:
    """The user's points entries, newest first, by keyset pages (the cursor is the last entry's id)."""
    return _points_page(uow, user_id, decode_cursor(cursor, ID)[0] if cursor else None, limit)


def _points_page(uow: UnitOfWork, user_id: int, before: int | None, limit: int) -> s.PointsHistoryOut:
    params: dict[str, Any] = {"u": user_id, "n": limit + 1, "before": before}
    after = " AND id < :before" if before is not None else ""
    found = uow.execute("SELECT id, delta, requested, source_class, reason AS kind, ref, note AS reason, reverses_id,"
                        f" created_at FROM points_entries WHERE user_id = :u{after} ORDER BY id DESC LIMIT :n",
                        params).all()
    items = [s.PointsEntryOut.model_validate(dict(r._mapping)) for r in found[:limit]]
    return s.PointsHistoryOut(items=items, next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


def points_balance(uow: UnitOfWork, user_id: int) -> int:
    return int(uow.execute("SELECT coalesce(sum(delta), 0) FROM points_entries WHERE user_id = :u",
                           {"u": user_id}).scalar_one())


def me(uow: UnitOfWork, user_id: int) -> s.GrowthMeOut:
    xp = uow.execute("SELECT xp FROM growth_profiles WHERE user_id = :u", {"u": user_id}).scalar() or 0
    skill_out, cats = _skill_graph(uow, user_id)
    history = _points_page(uow, user_id, None, 20)
    held, worn = held_badges(uow, user_id)
    return s.GrowthMeOut(user_id=user_id, xp=int(xp), level=level_view(uow, user_id), skills=skill_out,
                         categories=cats, monthly=monthly(uow, user_id),
                         points=s.PointsPage(balance=points_balance(uow, user_id), history=history.items,
                                             next_cursor=history.next_cursor),
                         badges=held, title=worn.name if worn else None, title_badge=worn)


def fair_play_flags(uow: UnitOfWork, limit: int = 100) -> s.FairPlayFlagsOut:
    found = uow.execute("SELECT merchant_id, developer_id, reasons, first_task_id, tasks, created_at"
                        " FROM growth_fair_play_flags ORDER BY created_at DESC LIMIT :n", {"n": limit}).all()
    return s.FairPlayFlagsOut(items=[s.FairPlayFlagOut.model_validate(dict(r._mapping)) for r in found])


@dataclass(frozen=True)
class MatchProfile:
    """What the hall's `match` sort needs of a developer: skill points, level, and the rules' weights. `score` is
    rules.match; the hall's SQL computes the same integer (shared/tasks/hall.py) to sort and page on it."""
    skills: dict[str, int]
    level: str
    names: dict[str, str]
    skill_weight_bp: int
    level_weight_bp: int
    full_skill_points: int
    level_difficulty: dict[str, int]

    @property
    def suits(self) -> int:
        return self.level_difficulty.get(self.level, 1)

    def score(self, tags: list[str], difficulty: int) -> rules.Match:
        return rules.match(task_tags=tags, difficulty=difficulty, skills=self.skills, names=self.names,
                           level=self.level, skill_weight_bp=self.skill_weight_bp,
                           level_weight_bp=self.level_weight_bp, full_skill_points=self.full_skill_points,
                           level_difficulty=self.level_difficulty)


def match_profile(uow: UnitOfWork, user_id: int | None) -> MatchProfile:
    """A visitor without growth (or not signed in) matches as a level C developer without skill points."""
    r = load_rules(uow)
    mine = {k: v for k, v in skills(uow, user_id).items() if v > 0} if user_id else {}
    return MatchProfile(skills=mine, level=level(uow, user_id) if user_id else "C",
                        names={k: v[0] for k, v in taxonomy().items()},
                        skill_weight_bp=r.growth_match_skill_weight_bp, level_weight_bp=r.growth_match_level_weight_bp,
                        full_skill_points=r.growth_match_full_skill_points,
                        level_difficulty=dict(r.growth_match_level_difficulty))


def match_tasks(uow: UnitOfWork, user_id: int, tasks: list[tuple[int, list[str], int]]) -> dict[int, rules.Match]:
    """The `match` of each (task id, tags, difficulty) for a developer (the hall's third sort)."""
    r = load_rules(uow)
    mine = skills(uow, user_id)
    lvl = level(uow, user_id)
    names = {k: v[0] for k, v in taxonomy().items()}
    return {tid: rules.match(task_tags=tags, difficulty=d, skills=mine, names=names, level=lvl,
                             skill_weight_bp=r.growth_match_skill_weight_bp,
                             level_weight_bp=r.growth_match_level_weight_bp,
                             full_skill_points=r.growth_match_full_skill_points,
                             level_difficulty=r.growth_match_level_difficulty) for tid, tags, d in tasks}


def applicant_fit(uow: UnitOfWork, tags: list[str], difficulty: int, developer_ids: list[int]) -> dict[int, rules.Fit]:
    """Each applicant's fit for a task (merchants rank applicants by it): the task's match to them, their rating and
    their completed tasks (growth's own counts: same-person and reversed tasks left out)."""
    r = load_rules(uow)
    out: dict[int, rules.Fit] = {}
    for developer_id in dict.fromkeys(developer_ids):
        st = stats(uow, developer_id, r.growth_good_rating)
        m = match_profile(uow, developer_id).score(tags, difficulty)
        out[developer_id] = rules.applicant_fit(
            m, rating_avg=st.avg_rating if st.rating_count else None, rating_count=st.rating_count,
            completed=st.tasks, match_weight_bp=r.growth_fit_match_weight_bp,
            rating_weight_bp=r.growth_fit_rating_weight_bp, reliability_weight_bp=r.growth_fit_reliability_weight_bp,
            full_completed=r.growth_fit_full_completed)
    return out


@dataclass(frozen=True)
class CompletedWork:
    """A task the developer completed (for the monthly report and the resume card's rated work)."""

    task_id: int
    title: str
    merchant: str
    reward_fen: int
    completed_at: Any
    stars: int | None
    comment: str
    skill_tags: list[str]


def completed_work(uow: UnitOfWork, user_id: int, start: Any = None, end: Any = None,
                   rated_only: bool = False, limit: int = 500) -> list[CompletedWork]:
    """Tasks the developer completed in [start, end) (growth's record of them, reversals left out), with the task's
    title and reward, the merchant's name and the merchant's rating and comment; oldest first."""
    rows = uow.execute(
        "SELECT g.task_id, t.title, t.reward_fen, g.completed_at, g.stars, g.skill_tags,"
        " coalesce(nullif(mp.name, ''), nullif(mu.nickname, ''), '商家' || g.merchant_id::text) AS merchant,"
        " coalesce((SELECT r.comment FROM ratings r WHERE r.task_id = g.task_id"
        "           AND r.direction = 'merchant_to_developer' ORDER BY r.id LIMIT 1), '') AS comment"
        " FROM growth_tasks g JOIN tasks t ON t.id = g.task_id JOIN users mu ON mu.id = g.merchant_id"
        " LEFT JOIN merchant_profiles mp ON mp.user_id = g.merchant_id"
        " WHERE g.developer_id = :u AND g.completed_at IS NOT NULL AND g.reversed_at IS NULL"
        " AND (CAST(:start AS timestamptz) IS NULL OR g.completed_at >= :start)"
        " AND (CAST(:end AS timestamptz) IS NULL OR g.completed_at < :end)"
        " AND (NOT :rated OR g.stars IS NOT NULL)"
        " ORDER BY g.completed_at, g.task_id LIMIT :n",
        {"u": user_id, "start": start, "end": end, "rated": rated_only, "n": limit}).all()
    return [CompletedWork(r.task_id, r.title, r.merchant, int(r.reward_fen), r.completed_at, r.stars, r.comment,
                          list(r.skill_tags)) for r in rows]


def skill_months(uow: UnitOfWork, user_id: int) -> dict[str, dict[str, int]]:
    """Skill points gained per Asia/Shanghai month ("YYYY-MM") and category, every month with entries."""
    out: dict[str, dict[str, int]] = {}
    for r in uow.execute("SELECT month, category, sum(points) AS points FROM skill_point_entries WHERE user_id = :u"
                         " GROUP BY month, category", {"u": user_id}):
        out.setdefault(r.month.strftime("%Y-%m"), {})[r.category] = int(r.points)
    return out


def category_labels() -> dict[str, str]:
    """category slug -> its Chinese name (后端, 前端 …)."""
    return dict(category_names())


def level_progress(uow: UnitOfWork, user_id: int) -> tuple[str, str | None, list[tuple[str, str, int, int, int]], int]:
    """(level, next level, requirements of the next as (key, label, current, required, scale), XP)."""
    r = load_rules(uow)
    row = uow.execute("SELECT level, xp FROM growth_profiles WHERE user_id = :u", {"u": user_id}).first()
    current = row.level if row else "C"
    st = stats(uow, user_id, r.growth_good_rating)
    nxt = rules.next_level(current)
    reqs: list[tuple[str, str, int, int, int]] = []
    if nxt:
        t = thresholds(r)[nxt]
        if t.tasks:
            reqs.append(("completed_tasks", "完成任务", st.tasks, t.tasks, 1))
        if t.avg_rating:
            reqs.append(("average_rating_x100", "平均评分", round(st.avg_rating * 100), round(t.avg_rating * 100), 100))
        if t.merchants:
            reqs.append(("merchants", "好评商家", st.merchants, t.merchants, 1))
        if t.categories:
            reqs.append(("categories", "技能方向", st.categories, t.categories, 1))
    return current, nxt, reqs, int(row.xp) if row else 0


def active_developers(uow: UnitOfWork, start: Any, end: Any, after_id: int, limit: int) -> list[int]:
    """Developers with growth activity in [start, end) — a completed or rated task, or skill points — id > after_id,
    in id order (the monthly reports' fan-out pages through them)."""
    return [int(r[0]) for r in uow.execute(
        "SELECT DISTINCT u FROM ("
        " SELECT developer_id AS u FROM growth_tasks WHERE developer_id > :after"
        "  AND ((completed_at >= :s AND completed_at < :e) OR (rated_at >= :s AND rated_at < :e))"
        " UNION SELECT user_id FROM skill_point_entries WHERE user_id > :after AND created_at >= :s"
        "  AND created_at < :e) x ORDER BY u LIMIT :n", {"s": start, "e": end, "after": after_id, "n": limit})]


def cohort(uow: UnitOfWork, *, level: str | None = None, skill: str | None = None,
           active: tuple[Any, Any] | None = None, limit: int = 5000) -> list[int]:
    """Developers by level, by a skill they have points in, and/or active in a period (operators' report runs)."""
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {"n": limit}
    if level:
        clauses.append("coalesce((SELECT level FROM growth_profiles g WHERE g.user_id = u.id), 'C') = :level")
        params["level"] = level
    if skill:
        clauses.append("EXISTS (SELECT 1 FROM user_skills s WHERE s.user_id = u.id AND s.skill = :skill"
                       " AND s.points > 0)")
        params["skill"] = skill
    if active:
        clauses.append("(EXISTS (SELECT 1 FROM growth_tasks t WHERE t.developer_id = u.id AND ((t.completed_at >= :s"
                       " AND t.completed_at < :e) OR (t.rated_at >= :s AND t.rated_at < :e))) OR EXISTS (SELECT 1"
                       " FROM skill_point_entries p WHERE p.user_id = u.id AND p.created_at >= :s"
                       " AND p.created_at < :e))")
        params["s"], params["e"] = active
    return [int(r[0]) for r in uow.execute(
        f"SELECT u.id FROM users u WHERE 'developer' = ANY(u.roles) AND {' AND '.join(clauses)} ORDER BY u.id LIMIT :n",
        params)]
