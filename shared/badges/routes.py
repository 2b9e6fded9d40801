"""HTTP routes of the badges area. The user's (my badges, wearing a title) belong to the `leaderboards` function's
URL (/leaderboards/badges…), the operators' to `admin` (/admin/badges…); functions/leaderboards/index.py and
functions/admin/index.py compose them."""

from __future__ import annotations

from typing import Any

from shared.badges import queries, service
from shared.badges import schemas as s
from shared.http.router import Request, Router
from shared.uow import UnitOfWork, run

user_router = Router("leaderboards")
admin_router = Router("admin")
ADMIN = ("admin",)


def _mine(uow: UnitOfWork, user_id: int) -> s.MyBadgesOut:
    title = queries.title_of(uow, user_id)
    return s.MyBadgesOut(
        badges=[s.HeldBadgeOut(key=b.key, name=b.name, description=b.description, wearable=b.wearable, count=b.count,
                               first_granted_at=b.first_granted_at, last_granted_at=b.last_granted_at,
                               reason=b.reason) for b in queries.badges_of(uow, user_id)],
        title=s.TitleOut(key=title.key, name=title.name) if title else None)


@user_router.get("/leaderboards/badges", summary="我的徽章与头衔", response=s.MyBadgesOut)
def my_badges(req: Request) -> s.MyBadgesOut:
    return run(lambda uow: _mine(uow, req.user_id))


@user_router.put("/leaderboards/badges/title", summary="佩戴或摘下头衔（一枚已获得的可佩戴徽章）", body=s.TitleIn,
                 response=s.MyBadgesOut, errors=("BADGE_NOT_FOUND", "BADGE_NOT_WEARABLE", "BADGE_NOT_HELD"))
def wear(req: Request, body: s.TitleIn) -> s.MyBadgesOut:
    def use_case(uow: UnitOfWork) -> s.MyBadgesOut:
        service.wear_title(uow, req.user_id, body.badge_key)
        return _mine(uow, req.user_id)

    return run(use_case)


def _out(uow: UnitOfWork, b: service.Badge) -> s.BadgeOut:
    holders = uow.execute("SELECT count(DISTINCT g.user_id) FROM badge_grants g WHERE g.badge_key = :k AND NOT EXISTS"
                          " (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id)", {"k": b.key}).scalar_one()
    return s.BadgeOut(key=b.key, name=b.name, description=b.description, rule_kind=b.rule_kind, params=b.params,
                      triggers=list(b.triggers), repeatable=b.repeatable, revocable=b.revocable, wearable=b.wearable,
                      enabled=b.enabled, version=b.version, holders=int(holders))


def _spec(key: str, body: s.BadgeIn) -> service.BadgeSpec:
    values: dict[str, Any] = body.model_dump()
    values["key"] = key
    return service.spec_from(values)


def _preview(p: service.Preview) -> s.BadgePreviewOut:
    return s.BadgePreviewOut(users=p.users, new=p.new, losing=p.losing, evaluated=p.evaluated, sample=list(p.sample))


@admin_router.get("/admin/badges", summary="徽章列表（含持有人数）", response=list[s.BadgeOut], roles=ADMIN)
def list_badges(req: Request) -> list[s.BadgeOut]:
    return run(lambda uow: [_out(uow, b) for b in service.list_badges(uow)])


@admin_router.post("/admin/badges", summary="新建徽章（默认未启用：先预览，再启用并回填）", body=s.BadgeCreate,
                   response=s.BadgeOut, status=201, roles=ADMIN, errors=("BADGE_KEY_TAKEN", "VALIDATION_FAILED"))
def create(req: Request, body: s.BadgeCreate) -> s.BadgeOut:
    return run(lambda uow: _out(uow, service.create_badge(uow, req.user_id, _spec(body.key, body))))


@admin_router.post("/admin/badges/preview", summary="预览规则：现在会有多少用户获得（不做任何改动）",
                   body=s.BadgeCreate, response=s.BadgePreviewOut, roles=ADMIN, errors=("VALIDATION_FAILED",))
def preview_new(req: Request, body: s.BadgeCreate) -> s.BadgePreviewOut:
    return run(lambda uow: _preview(service.preview(uow, _spec(body.key, body))))


@admin_router.put("/admin/badges/{badge_key:str}", summary="修改徽章（规则变化时已启用的徽章按新规则回填）",
                  body=s.BadgeUpdate, response=s.BadgeOut, roles=ADMIN,
                  errors=("BADGE_NOT_FOUND", "VALIDATION_FAILED"))
def update(req: Request, body: s.BadgeUpdate) -> s.BadgeOut:
    return run(lambda uow: _out(uow, service.update_badge(uow, req.user_id, _spec(req.params["badge_key"], body),
                                                          body.reason)))


@admin_router.post("/admin/badges/{badge_key:str}/preview", summary="预览已保存的徽章：现在会有多少用户获得",
                   response=s.BadgePreviewOut, roles=ADMIN, errors=("BADGE_NOT_FOUND", "VALIDATION_FAILED"))
def preview_saved(req: Request) -> s.BadgePreviewOut:
    def use_case(uow: UnitOfWork) -> s.BadgePreviewOut:
        b = service.get_badge(uow, req.params["badge_key"])
        return _preview(service.preview(uow, service.BadgeSpec(b.key, b.name, b.description, b.rule_kind, b.params,
                                                               b.triggers, b.repeatable, b.revocable, b.wearable)))

    return run(use_case)


@admin_router.post("/admin/badges/{badge_key:str}/enable", summary="启用徽章并按历史事件回填（回填不发通知）",
                   body=s.BadgeReasonIn, response=s.BadgeEnableOut, roles=ADMIN, errors=("BADGE_NOT_FOUND",))
def enable(req: Request, body: s.BadgeReasonIn) -> s.BadgeEnableOut:
    def use_case(uow: UnitOfWork) -> s.BadgeEnableOut:
        badge, queued = service.set_enabled(uow, req.user_id, req.params["badge_key"], True, body.reason)
        return s.BadgeEnableOut(badge=_out(uow, badge), backfill_queued=queued)

    return run(use_case)


@admin_router.post("/admin/badges/{badge_key:str}/disable", summary="停用徽章（已授予的保留，不再授予新的）",
                   body=s.BadgeReasonIn, response=s.BadgeEnableOut, roles=ADMIN, errors=("BADGE_NOT_FOUND",))
def disable(req: Request, body: s.BadgeReasonIn) -> s.BadgeEnableOut:
    def use_case(uow: UnitOfWork) -> s.BadgeEnableOut:
        badge, queued = service.set_enabled(uow, req.user_id, req.params["badge_key"], False, body.reason)
        return s.BadgeEnableOut(badge=_out(uow, badge), backfill_queued=queued)

    return run(use_case)


@admin_router.post("/admin/badges/{badge_key:str}/revoke", summary="收回用户的徽章（仅可收回的徽章，附原因）",
                   body=s.BadgeRevokeIn, response=s.BadgeRevokeOut, roles=ADMIN,
                   errors=("BADGE_NOT_FOUND", "BADGE_NOT_REVOCABLE", "BADGE_NOT_HELD"))
def revoke(req: Request, body: s.BadgeRevokeIn) -> s.BadgeRevokeOut:
    return s.BadgeRevokeOut(revoked=run(lambda uow: service.revoke(uow, req.user_id, req.params["badge_key"],
                                                              body.user_id, body.reason)))
