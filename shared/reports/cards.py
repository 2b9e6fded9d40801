"""The public resume card page (简历卡片): what a developer chose to show, read-only from the other areas' queries.

Two switches decide what is shown: the profile's `public_fields` (profiles area: name, headline, skills, rating …)
and the card's own `sections` here (growth, badges, rated_work, challenges, letters). The skill graph shows only with
"skills" public, rated work's comments only with "rating" public. No `resume_cards` row or `enabled = false`: no page
(404 at once — nothing is cached: the page is rendered on every request and sent with `Cache-Control: no-store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared import clock
from shared.badges import queries as badges
from shared.challenges import queries as challenges
from shared.growth import queries as growth
from shared.mentors import queries as mentors
from shared.profiles.cards import resume_card
from shared.profiles.models import DeveloperProfile
from shared.profiles.schemas import ResumeCardOut
from shared.reports import errors
from shared.uow import UnitOfWork

SECTIONS = ("growth", "badges", "rated_work", "challenges", "letters")


@dataclass(frozen=True)
class CardSettings:
    user_id: int
    enabled: bool
    sections: tuple[str, ...]
    wxa_code_key: str | None


@dataclass
class CardPage:
    profile: ResumeCardOut
    level: str | None = None
    xp: int | None = None
    categories: list[tuple[str, int]] = field(default_factory=list)  # (name, points)
    top_skills: list[tuple[str, int]] = field(default_factory=list)
    title: str | None = None
    badges: list[str] = field(default_factory=list)
    rated_work: list[dict[str, Any]] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    letters: list[dict[str, str]] = field(default_factory=list)


def settings_of(uow: UnitOfWork, user_id: int) -> CardSettings:
    row = uow.execute("SELECT enabled, sections, wxa_code_key FROM resume_cards WHERE user_id = :u",
                      {"u": user_id}).first()
    if row is None:
        return CardSettings(user_id, False, SECTIONS, None)
    return CardSettings(user_id, row.enabled, tuple(row.sections), row.wxa_code_key)


def save_settings(uow: UnitOfWork, user_id: int, enabled: bool, sections: list[str]) -> CardSettings:
    chosen = [s for s in SECTIONS if s in set(sections)]
    uow.execute("INSERT INTO resume_cards (user_id, enabled, sections, updated_at) VALUES (:u, :e, :s, :now)"
                " ON CONFLICT (user_id) DO UPDATE SET enabled = :e, sections = :s, updated_at = :now",
                {"u": user_id, "e": enabled, "s": chosen, "now": clock.now()})
    return settings_of(uow, user_id)


def set_wxa_code(uow: UnitOfWork, user_id: int, key: str) -> None:
    uow.execute("UPDATE resume_cards SET wxa_code_key = :k WHERE user_id = :u", {"k": key, "u": user_id})


def page(uow: UnitOfWork, user_id: int) -> CardPage:
    """The card as the public sees it; CardNotFound when it is off or there is no profile."""
    settings = settings_of(uow, user_id)
    profile = uow.session.get(DeveloperProfile, user_id)
    if not settings.enabled or profile is None:
        raise errors.CardNotFound()
    public = set(profile.public_fields)
    out = CardPage(profile=resume_card(profile))
    sections = set(settings.sections)
    if "growth" in sections and "skills" in public:
        g = growth.public_growth(uow, user_id)
        if g is not None:
            out.level, out.xp = g.level, g.xp
            out.categories = [(c.name, c.points) for c in g.categories]
            out.top_skills = [(s.name, s.points) for s in g.top_skills]
    if "badges" in sections:
        title = badges.title_of(uow, user_id)
        out.title = title.name if title else None
        out.badges = [b.name for b in badges.badges_of(uow, user_id)][:20]
    if "rated_work" in sections and "rating" in public:
        work = growth.completed_work(uow, user_id, rated_only=True, limit=500)[-10:]
        out.rated_work = [{"title": w.title, "merchant": w.merchant, "stars": w.stars or 0, "comment": w.comment,
                           "on": clock.shanghai_date(w.completed_at).isoformat()} for w in reversed(work)]
    if "challenges" in sections:
        start = clock.now().replace(year=2000)
        done = challenges.results_between(uow, user_id, start, clock.now(), clock.now())
        out.challenges = [r.name for r in done if r.status == "completed"][-10:]
    if "letters" in sections:
        out.letters = [{"mentor": m.mentor_name, "challenge": m.challenge_title, "body": m.body}
                       for m in mentors.letters_for(uow, user_id, limit=5)]
    return out
