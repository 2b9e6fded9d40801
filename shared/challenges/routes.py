"""HTTP routes of the `challenges` function: the user's challenges and their progress; the operators' challenge
editor. Handlers only parse, call a use case, shape."""

from __future__ import annotations

from shared.challenges import schemas as s
from shared.challenges import service
from shared.http.router import Request, Router
from shared.uow import run

router = Router("challenges")
ADMIN = ("admin",)


@router.get("/challenges/mine", summary="我的挑战与进度（如「2/3 已完成」）", response=s.MyChallenges)
def mine(req: Request) -> s.MyChallenges:
    return run(lambda uow: service.my_challenges(uow, req.user_id))


@router.get("/challenges/admin", summary="全部挑战及其定义（管理员）", response=s.ChallengeAdminList, roles=ADMIN)
def admin_list(req: Request) -> s.ChallengeAdminList:
    return run(service.list_all)


@router.get("/challenges/admin/{challenge_key}", summary="查看一个挑战的定义（管理员）", response=s.ChallengeAdminOut,
            roles=ADMIN, errors=("CHALLENGE_NOT_FOUND",))
def admin_get(req: Request) -> s.ChallengeAdminOut:
    return run(lambda uow: service.get_challenge(uow, req.params["challenge_key"]))


@router.put("/challenges/admin/{challenge_key}", summary="新建或修改挑战（进行中的周期保留原规则，新周期生效）",
            body=s.ChallengeIn, response=s.ChallengeAdminOut, roles=ADMIN, errors=("VALIDATION_FAILED",))
def admin_save(req: Request, body: s.ChallengeIn) -> s.ChallengeAdminOut:
    key = req.params["challenge_key"]
    return run(lambda uow: service.save_challenge(uow, req.user_id, key, body))
