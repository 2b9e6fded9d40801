"""Filling a ReportData from the database: read-only, through the other areas' queries modules (growth, badges,
challenges, mentors, the ledger). Runs inside one short read transaction; nothing here renders or calls out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from shared import clock
from shared.badges import queries as badges
from shared.challenges import queries as challenges
from shared.growth import queries as growth
from shared.ledger import queries as ledger
from shared.mentors import queries as mentors
from shared.reports.model import (
    Badge,
    ChallengeResult,
    CompletedTask,
    Developer,
    Earnings,
    LevelProgress,
    MentorLetter,
    MonthPoints,
    PreviousMonth,
    RatingSummary,
    ReportData,
    Requirement,
    SkillCategory,
    previous_month,
)
from shared.reports.suggestions import finalize

HISTORY_MONTHS = 6


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of an Asia/Shanghai calendar month, as aware datetimes."""
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime(year, mon, 1, tzinfo=clock.SHANGHAI)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=clock.SHANGHAI)
    return start, end


def current_month(at: datetime | None = None) -> str:
    return clock.shanghai_date(at or clock.now()).strftime("%Y-%m")


def last_day(month: str) -> date:
    return (month_bounds(month)[1] - timedelta(days=1)).date()


def _months_back(month: str, n: int) -> list[str]:
    out = [month]
    for _ in range(n - 1):
        out.append(previous_month(out[-1]))
    return list(reversed(out))


def _cut(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def display_name(uow: Any, user_id: int) -> str:
    row = uow.execute("SELECT coalesce(nullif(dp.display_name, ''), nullif(u.nickname, ''), '开发者' || u.id::text)"
                      " AS name FROM users u LEFT JOIN developer_profiles dp ON dp.user_id = u.id WHERE u.id = :u",
                      {"u": user_id}).first()
    return _cut(row.name, 40) if row else f"开发者{user_id}"


def _ratings(stars: list[int]) -> RatingSummary:
    counts = [0, 0, 0, 0, 0]
    for s in stars:
        counts[s - 1] += 1
    if not stars:
        return RatingSummary(count=0)
    return RatingSummary(count=len(stars), average_x100=round(sum(stars) * 100 / len(stars)),
                         stars=(counts[0], counts[1], counts[2], counts[3], counts[4]))


def load(uow: Any, developer_id: int, month: str, as_of: date) -> ReportData:
    """The report of `developer_id` for `month` up to and including `as_of` (a day of that month)."""
    start, month_end = month_bounds(month)
    end = min(month_end, datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=clock.SHANGHAI))
    now = clock.now()

    work = growth.completed_work(uow, developer_id, start, end)
    credits = ledger.credits_to(uow, developer_id, start, end)
    by_ref = {c.ref: c for c in credits if c.kind == "release_escrow"}
    known = growth.taxonomy()
    tasks = []
    for w in work:
        credit = by_ref.get(f"task:{w.task_id}")
        cats = sorted({known[t][1] for t in w.skill_tags if t in known})[:8]
        tasks.append(CompletedTask(
            task_id=w.task_id, title=_cut(w.title, 100), merchant=_cut(w.merchant, 40),
            completed_on=clock.shanghai_date(w.completed_at), reward_fen=w.reward_fen,
            earned_fen=credit.net_fen if credit else 0, rating=w.stars, comment=_cut(w.comment, 500) or None,
            categories=tuple(cats)))
    bonus = sum(c.net_fen for c in credits if c.kind != "release_escrow")
    earnings = Earnings(reward_fen=sum(t.reward_fen for t in tasks),
                        commission_fen=sum(c.commission_fen for c in credits if c.kind == "release_escrow"),
                        net_fen=sum(c.net_fen for c in credits), bonus_fen=bonus)
    ratings = _ratings([w.stars for w in work if w.stars])

    months = _months_back(month, HISTORY_MONTHS)
    per_month = growth.skill_months(uow, developer_id)
    names = growth.category_labels()
    totals: dict[str, int] = {}
    for m, cats_ in per_month.items():
        if m <= month:
            for c, p in cats_.items():
                totals[c] = totals.get(c, 0) + p
    skills = []
    for cat, total in totals.items():
        if total <= 0:
            continue
        history = tuple(MonthPoints(month=m, points=max(per_month.get(m, {}).get(cat, 0), 0)) for m in months)
        skills.append(SkillCategory(key=cat[:24], name=_cut(names.get(cat, cat), 12), points_total=total,
                                    points_month=history[-1].points, history=history))
    skills = sorted(skills, key=lambda s: (-s.points_total, s.key))[:12]

    level, nxt, reqs, xp = growth.level_progress(uow, developer_id)
    progress = LevelProgress(current=level, next=nxt, xp=xp, requirements=tuple(
        Requirement(key=k, label=label, current=cur, required=req, scale=scale) for k, label, cur, req, scale in reqs))

    held = badges.badges_of(uow, developer_id)
    title = badges.title_of(uow, developer_id)
    badge_list = tuple(Badge(key=b.key[:32], name=_cut(b.name, 12), earned_on=clock.shanghai_date(b.first_granted_at),
                             new_this_month=start <= b.first_granted_at < end)
                       for b in held if b.first_granted_at < end)[:50]

    results = challenges.results_between(uow, developer_id, start, end, min(now, end))
    challenge_list = tuple(ChallengeResult(
        key=r.challenge_key[:32], name=_cut(r.name, 24), status=r.status, points=r.points, reward=r.reward,
        finished_on=clock.shanghai_date(r.completed_at) if r.completed_at else None) for r in results)[:30]

    letters = tuple(MentorLetter(mentor_name=_cut(m.mentor_name, 30), challenge=_cut(m.challenge_title, 40) or None,
                                 written_on=clock.shanghai_date(m.created_at), text=_cut(m.body, 2000))
                    for m in mentors.letters_for(uow, developer_id, limit=10) if m.created_at < end)

    prev_start, prev_end = month_bounds(previous_month(month))
    prev_work = growth.completed_work(uow, developer_id, prev_start, prev_end)
    prev_credits = ledger.credits_to(uow, developer_id, prev_start, prev_end)
    prev_stars = [w.stars for w in prev_work if w.stars]
    previous = PreviousMonth(tasks_completed=len(prev_work), net_fen=sum(c.net_fen for c in prev_credits),
                             average_x100=round(sum(prev_stars) * 100 / len(prev_stars)) if prev_stars else None)

    return finalize(ReportData(
        developer=Developer(id=developer_id, display_name=display_name(uow, developer_id)), month=month, as_of=as_of,
        tasks=tuple(tasks), earnings=earnings, ratings=ratings, skills=tuple(skills), level=progress,
        title=_cut(title.name, 12) if title else None, badges=badge_list, challenges=challenge_list,
        mentor_letters=letters, previous=previous))


def active_developers(uow: Any, month: str, after_id: int, limit: int) -> list[int]:
    """Developers active in `month` (completed or were rated for a task, gained points, or earned), by id."""
    start, end = month_bounds(month)
    return growth.active_developers(uow, start, end, after_id, limit)
