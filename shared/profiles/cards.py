"""The resume card's shapes: pure functions of a developer profile, used by the profiles area and by others that
show or snapshot a card (an application keeps the card as it was when it was sent)."""

from __future__ import annotations

from shared.profiles import skills as taxonomy
from shared.profiles.models import DeveloperProfile
from shared.profiles.schemas import DeveloperProfileOut, ResumeCardOut, SkillOut
from shared.work.rules import average_rating


def _skills_out(slugs: list[str]) -> list[SkillOut]:
    known = taxonomy.taxonomy()
    return [SkillOut(slug=s, name=known[s][0], category=known[s][1]) for s in slugs if s in known]


def is_complete(p: DeveloperProfile) -> bool:
    return bool(p.display_name and p.headline and p.skills)


def developer_out(p: DeveloperProfile) -> DeveloperProfileOut:
    return DeveloperProfileOut(
        user_id=p.user_id, display_name=p.display_name, headline=p.headline, bio=p.bio, city=p.city,
        years_experience=p.years_experience, skills=_skills_out(p.skills), links=p.links, experience=p.experience,
        public_fields=p.public_fields, rating_average=average_rating(p.rating_sum, p.rating_count),
        rating_count=p.rating_count, completed_tasks=p.completed_tasks, points_balance=p.points_balance,
        complete=is_complete(p),
    )


def resume_card(p: DeveloperProfile) -> ResumeCardOut:
    full = developer_out(p).model_dump()
    shown = set(p.public_fields)
    card: dict = {"user_id": p.user_id}
    for name in ("display_name", "headline", "bio", "city", "years_experience", "skills", "links", "experience",
                 "completed_tasks"):
        if name in shown:
            card[name] = full[name]
    if "rating" in shown:
        card["rating_average"] = full["rating_average"]
        card["rating_count"] = full["rating_count"]
    return ResumeCardOut.model_validate(card)
