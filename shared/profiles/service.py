"""Profile use cases: the developer's resume card and the merchant profile."""

from __future__ import annotations

import re

from shared.applications.rules import response_rate
from shared.auth.service import grant_role
from shared.errors import NotFound, ValidationFailed
from shared.moderation import check_texts
from shared.profiles import skills as taxonomy
from shared.profiles.models import DeveloperProfile, MerchantProfile
from shared.profiles.schemas import (
    DeveloperProfileIn,
    DeveloperProfileOut,
    MerchantProfileIn,
    MerchantProfileOut,
    RealNameOut,
    ResumeCardOut,
    SkillOut,
)
from shared.uow import UnitOfWork
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


def save_developer_profile(uow: UnitOfWork, user_id: int, data: DeveloperProfileIn, openid: str | None
                           ) -> DeveloperProfileOut:
    slugs = taxonomy.check_skills(data.skills, "skills")
    # Every text the resume card can show is UGC and must pass the content check, not only the top three.
    texts = {"display_name": data.display_name, "headline": data.headline, "bio": data.bio, "city": data.city,
             "links": "\n".join(link.title for link in data.links)}
    for i, e in enumerate(data.experience):  # one check per entry (title, organisation, description together)
        texts[f"experience.{i}"] = "\n".join((e.title, e.organization, e.description))
    check_texts(texts, openid)
    profile = uow.session.get(DeveloperProfile, user_id, with_for_update=True)
    created = profile is None
    if profile is None:
        profile = DeveloperProfile(user_id=user_id, created_at=uow.now)
        grant_role(uow, user_id, "developer")
    dumped = data.model_dump(mode="json")
    for name in ("display_name", "headline", "bio", "city", "years_experience", "links", "experience",
                 "public_fields"):
        setattr(profile, name, dumped[name])
    profile.skills = slugs
    profile.updated_at = uow.now
    uow.session.add(profile)
    uow.record("developer_profile", user_id, "created" if created else "updated", actor_id=user_id)
    uow.flush()
    if data.real_name is not None:  # private: stored apart from the card, never in its output
        _apply_real_name(uow, profile, data.real_name)
    return developer_out(profile)


def get_developer_profile(uow: UnitOfWork, user_id: int) -> DeveloperProfile:
    profile = uow.session.get(DeveloperProfile, user_id)
    if profile is None:
        raise NotFound("PROFILE_NOT_FOUND", "还没有填写简历卡片")
    return profile


def public_resume_card(uow: UnitOfWork, user_id: int) -> ResumeCardOut:
    profile = uow.session.get(DeveloperProfile, user_id)
    if profile is None:
        raise NotFound("PROFILE_NOT_FOUND", "开发者不存在")
    return resume_card(profile)


def merchant_out(p: MerchantProfile) -> MerchantProfileOut:
    return MerchantProfileOut(
        user_id=p.user_id, name=p.name, company=p.company, description=p.description,
        rating_average=average_rating(p.rating_sum, p.rating_count), rating_count=p.rating_count,
        response_rate=response_rate(p.responses_on_time, p.responses_due),
    )


def save_merchant_profile(uow: UnitOfWork, user_id: int, data: MerchantProfileIn, openid: str | None
                          ) -> MerchantProfileOut:
    check_texts({"name": data.name, "company": data.company, "description": data.description}, openid)
    profile = uow.session.get(MerchantProfile, user_id, with_for_update=True)
    created = profile is None
    if profile is None:
        profile = MerchantProfile(user_id=user_id, created_at=uow.now)
        grant_role(uow, user_id, "merchant")
    profile.name, profile.company, profile.description = data.name, data.company, data.description
    profile.updated_at = uow.now
    uow.session.add(profile)
    uow.record("merchant_profile", user_id, "created" if created else "updated", actor_id=user_id)
    uow.flush()
    return merchant_out(profile)


def get_merchant_profile(uow: UnitOfWork, user_id: int) -> MerchantProfileOut:
    profile = uow.session.get(MerchantProfile, user_id)
    if profile is None:
        raise NotFound("PROFILE_NOT_FOUND", "商家不存在")
    return merchant_out(profile)


# Chinese names (incl. the middle dot of minority and transliterated names) or Latin letters, as WeChat shows them.
_REAL_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z·•. ]{2,30}$")


def mask_name(name: str) -> str:
    """张三 → *三, 欧阳娜娜 → ***娜: enough for the owner to recognise it, not enough to leak it."""
    return "*" * (len(name) - 1) + name[-1]


def real_name_out(p: DeveloperProfile) -> RealNameOut:
    masked = mask_name(p.real_name) if p.real_name else None
    return RealNameOut(has_real_name=bool(p.real_name), real_name_masked=masked, updated_at=p.real_name_updated_at)


def set_real_name(uow: UnitOfWork, user_id: int, real_name: str) -> RealNameOut:
    """Set the payee name WeChat Pay checks on transfers from ¥2,000; payouts that waited for it go on at once."""
    profile = uow.session.get(DeveloperProfile, user_id, with_for_update=True)
    if profile is None:
        raise NotFound("PROFILE_NOT_FOUND", "请先填写简历卡片")
    _apply_real_name(uow, profile, real_name)
    return real_name_out(profile)


def _apply_real_name(uow: UnitOfWork, profile: DeveloperProfile, real_name: str) -> None:
    from shared.payouts.service import on_real_name_set  # lazy: profiles must not load the payouts area

    name = " ".join(real_name.split())
    if not _REAL_NAME.match(name):
        raise ValidationFailed.field("real_name", "请填写与微信实名一致的姓名")
    profile.real_name, profile.real_name_updated_at = name, uow.now
    uow.session.add(profile)
    # The name itself stays out of the behaviour log.
    uow.record("developer_profile", profile.user_id, "real_name_set", actor_id=profile.user_id)
    uow.flush()
    on_real_name_set(uow, profile.user_id)


def get_real_name(uow: UnitOfWork, user_id: int) -> RealNameOut:
    return real_name_out(get_developer_profile(uow, user_id))
