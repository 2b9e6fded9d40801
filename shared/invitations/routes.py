"""HTTP routes of invitations, served by the `community` function (/community/invitations/…)."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.invitations import schemas as s
from shared.invitations import service
from shared.uow import run

router = Router("community")


@router.get("/community/invitations/me", summary="我的邀请码、分享链接与邀请进度", response=s.MyInvitationOut)
def mine(req: Request) -> s.MyInvitationOut:
    return run(lambda uow: service.my_invitation(uow, req.user_id))


@router.get("/community/invitations/codes/{code}", summary="邀请码对应的邀请人（分享落地页）", response=s.CodeOut,
            auth=False, errors=("INVITATION_CODE_NOT_FOUND",))
def code(req: Request) -> s.CodeOut:
    return run(lambda uow: service.code_info(uow, req.params["code"]))


@router.post("/community/invitations/claim", summary="注册后填写邀请码（每个账号一次，注册 7 天内）",
             body=s.ClaimIn, response=s.ClaimOut, status=201,
             errors=("INVITATION_CODE_NOT_FOUND", "ALREADY_INVITED", "SELF_INVITATION", "INVITATION_RING",
                     "INVITATION_CLAIM_EXPIRED", "INVITEE_NOT_NEW"))
def claim(req: Request, body: s.ClaimIn) -> s.ClaimOut:
    return run(lambda uow: service.claim(uow, req.user_id, body.code))
