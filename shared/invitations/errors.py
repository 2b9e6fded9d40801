"""The invitations area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class InvitationCodeNotFound(NotFound):
    code, message = "INVITATION_CODE_NOT_FOUND", "邀请码不存在，请检查后重试"


class AlreadyInvited(Conflict):
    code, message = "ALREADY_INVITED", "你已经填写过邀请码，每个账号只能被邀请一次"


class SelfInvitation(Conflict):
    code, message = "SELF_INVITATION", "不能使用自己的邀请码（同一手机号或微信视为同一人）"


class InvitationRing(Conflict):
    code, message = "INVITATION_RING", "不能互相邀请：对方已直接或间接由你邀请"


class ClaimExpired(Conflict):
    code, message = "INVITATION_CLAIM_EXPIRED", "注册超过 7 天后不能再填写邀请码"


class InviteeNotNew(Conflict):
    code, message = "INVITEE_NOT_NEW", "你的账号早于邀请人注册，不能填写该邀请码"
