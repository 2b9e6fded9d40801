"""HTTP routes of the `profiles` function: resume card, merchant profile, skill taxonomy."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.profiles import schemas as s
from shared.profiles import service
from shared.profiles import skills as taxonomy
from shared.uow import run

router = Router("profiles")


@router.get("/profiles/skills", summary="技能标签体系（按类别）", response=list[s.SkillCategoryOut], auth=False)
def skills(req: Request) -> list[s.SkillCategoryOut]:
    known = taxonomy.taxonomy()
    return [
        s.SkillCategoryOut(slug=cat, name=name, skills=[
            s.SkillOut(slug=slug, name=n, category=c) for slug, (n, c) in sorted(known.items()) if c == cat])
        for cat, name in taxonomy.categories()
    ]


@router.put("/profiles/developer", summary="创建或更新我的简历卡片", body=s.DeveloperProfileIn,
            response=s.DeveloperProfileOut, errors=("CONTENT_CHECK_UNAVAILABLE",))
def save_developer(req: Request, body: s.DeveloperProfileIn) -> s.DeveloperProfileOut:
    return service.save_developer_profile(req.user_id, body)


@router.get("/profiles/developer", summary="我的简历卡片（完整）", response=s.DeveloperProfileOut,
            errors=("PROFILE_NOT_FOUND",))
def my_developer(req: Request) -> s.DeveloperProfileOut:
    return run(lambda uow: service.developer_out(service.get_developer_profile(uow, req.user_id)))


@router.get("/profiles/developer/real-name", summary="我的收款实名（脱敏）", response=s.RealNameOut,
            errors=("PROFILE_NOT_FOUND",))
def my_real_name(req: Request) -> s.RealNameOut:
    return run(lambda uow: service.get_real_name(uow, req.user_id))


@router.put("/profiles/developer/real-name", summary="设置收款实名（单笔 2000 元起转账需要，不会公开）",
            body=s.RealNameIn, response=s.RealNameOut, errors=("PROFILE_NOT_FOUND",))
def set_real_name(req: Request, body: s.RealNameIn) -> s.RealNameOut:
    return run(lambda uow: service.set_real_name(uow, req.user_id, body.real_name))


@router.get("/profiles/developers/{user_id:int}", summary="开发者的公开简历卡片", response=s.ResumeCardOut, auth=False,
            errors=("PROFILE_NOT_FOUND",))
def public_card(req: Request) -> s.ResumeCardOut:
    return run(lambda uow: service.public_resume_card(uow, req.params["user_id"]))


@router.put("/profiles/merchant", summary="创建或更新我的商家资料", body=s.MerchantProfileIn,
            response=s.MerchantProfileOut, errors=("CONTENT_CHECK_UNAVAILABLE",))
def save_merchant(req: Request, body: s.MerchantProfileIn) -> s.MerchantProfileOut:
    return service.save_merchant_profile(req.user_id, body)


@router.get("/profiles/merchant", summary="我的商家资料", response=s.MerchantProfileOut, errors=("PROFILE_NOT_FOUND",))
def my_merchant(req: Request) -> s.MerchantProfileOut:
    return run(lambda uow: service.get_merchant_profile(uow, req.user_id))


@router.get("/profiles/merchants/{user_id:int}", summary="商家公开资料（含 48 小时响应率）",
            response=s.MerchantProfileOut, auth=False, errors=("PROFILE_NOT_FOUND",))
def public_merchant(req: Request) -> s.MerchantProfileOut:
    return run(lambda uow: service.get_merchant_profile(uow, req.params["user_id"]))
