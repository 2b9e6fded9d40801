"""Profile use cases: the developer's resume card and the merchant profile."""

from __future__ import annotations

import re

from shared.applications.rules import response_rate
from shared.errors import NotFound, ValidationFailed
from shared.events import DeveloperProfileSaved, MerchantProfileSaved, ProfileCompleted, RealNameSet
from shared.moderation import author_openid, check_texts
from shared.profiles import skills as taxonomy
from shared.profiles.cards import developer_out, is_complete, resume_card
from shared.profiles.models import DeveloperProfile, MerchantProfile
from shared.profiles.schemas import (
    DeveloperProfileIn,
    DeveloperProfileOut,
    MerchantProfileIn,
    MerchantProfileOut,
    RealNameOut,
    ResumeCardOut,
)
from shared.uow import UnitOfWork, run
from shared.work.rules import average_rating

__all__ = ["developer_out", "is_complete", "resume_card"]  # the card shapes live in cards.py (other areas use them)


def save_developer_profile(user_id: int, data: DeveloperProfileIn) -> DeveloperProfileOut:
    """Content check first, outside any transaction (an external call must never hold the profile's row lock),
    then the save in one unit of work."""
    slugs = taxonomy.check_skills(data.skills, "skills")
    # Every text the resume card can show is UGC and must pass the content check, not only the top three.
    texts = {"display_name": data.display_name, "headline": data.headline, "bio": data.bio, "city": data.city,
             "links": "\n".join(link.title for link in data.links)}
    for i, e in enumerate(data.experience):  # one check per entry (title, organisation, description together)
        texts[f"experience.{i}"] = "\n".join((e.title, e.organization, e.description))
    check_texts(texts, author_openid(user_id))
    return run(lambda uow: _save_developer(uow, user_id, data, slugs))


def _save_developer(uow: UnitOfWork, user_id: int, data: DeveloperProfileIn, slugs: list[str]
                    ) -> DeveloperProfileOut:
    profile = uow.session.get(DeveloperProfile, user_id, with_for_update=True)
    created = profile is None
    was_complete = profile is not None and is_complete(profile)
    if profile is None:
        profile = DeveloperProfile(user_id=user_id, created_at=uow.now)
    dumped = data.model_dump(mode="json")
    for name in ("display_name", "headline", "bio", "city", "years_experience", "links", "experience",
                 "public_fields"):
        setattr(profile, name, dumped[name])
    profile.skills = slugs
    profile.updated_at = uow.now
    uow.session.add(profile)
    uow.flush()
    uow.publish(DeveloperProfileSaved(user_id=user_id, created=created, skills=tuple(slugs)))
    if is_complete(profile) and not was_complete:
        uow.publish(ProfileCompleted(user_id=user_id, skills=tuple(slugs)))
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
    card = resume_card(profile)
    if "skills" in profile.public_fields:  # the skill graph shows with the skills the developer made public
        from shared.growth.queries import public_growth

        card.growth = public_growth(uow, user_id)
    return card


def merchant_out(p: MerchantProfile) -> MerchantProfileOut:
    return MerchantProfileOut(
        user_id=p.user_id, name=p.name, company=p.company, description=p.description,
        rating_average=average_rating(p.rating_sum, p.rating_count), rating_count=p.rating_count,
        response_rate=response_rate(p.responses_on_time, p.responses_due),
    )


def save_merchant_profile(user_id: int, data: MerchantProfileIn) -> MerchantProfileOut:
    check_texts({"name": data.name, "company": data.company, "description": data.description}, author_openid(user_id))
    return run(lambda uow: _save_merchant(uow, user_id, data))


def _save_merchant(uow: UnitOfWork, user_id: int, data: MerchantProfileIn) -> MerchantProfileOut:
    profile = uow.session.get(MerchantProfile, user_id, with_for_update=True)
    created = profile is None
    if profile is None:
        profile = MerchantProfile(user_id=user_id, created_at=uow.now)
    profile.name, profile.company, profile.description = data.name, data.company, data.description
    profile.updated_at = uow.now
    uow.session.add(profile)
    uow.flush()
    uow.publish(MerchantProfileSaved(user_id=user_id, created=created))
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
    name = " ".join(real_name.split())
    if not _REAL_NAME.match(name):
        raise ValidationFailed.field("real_name", "请填写与微信实名一致的姓名")
    profile.real_name, profile.real_name_updated_at = name, uow.now
    uow.session.add(profile)
    uow.flush()
    uow.publish(RealNameSet(user_id=profile.user_id))  # the name itself stays out of the event log


def get_real_name(uow: UnitOfWork, user_id: int) -> RealNameOut:
    return real_name_out(get_developer_profile(uow, user_id))
