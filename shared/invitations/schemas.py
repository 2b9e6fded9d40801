"""Request and response shapes of the invitation routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=8, max_length=8, pattern="^[A-Za-z0-9]{8}$", description="邀请人的 8 位邀请码",
                      examples=["K7Q2MZ8P"])


class InviteeOut(BaseModel):
    invitation_id: int = Field(description="邀请记录 ID")
    invitee_name: str = Field(description="被邀请人昵称")
    status: str = Field(
        description="pending：待被邀请人绑定手机并完善简历；credited：已计入；refused：判定为同一人，不计入")
    phone_bound: bool = Field(description="被邀请人已绑定手机号")
    profile_completed: bool = Field(description="被邀请人已完善简历卡片")
    created_at: datetime = Field(description="填写邀请码的时间")


class MyInvitationOut(BaseModel):
    code: str = Field(description="我的邀请码")
    share_path: str = Field(description="小程序分享路径（onShareAppMessage 的 path）")
    share_url: str = Field(description="分享链接（网页落地页可据此显示邀请人）")
    invited_count: int = Field(description="已填写我的邀请码的人数")
    credited_count: int = Field(description="已计入的邀请数（对方已绑定手机并完善简历）")
    invitees: list[InviteeOut] = Field(description="最近的被邀请人（最多 50 个）")
    invited_by: int | None = Field(None, description="邀请我的用户 ID；未填写邀请码时为空")


class CodeOut(BaseModel):
    code: str = Field(description="邀请码")
    inviter_name: str = Field(description="邀请人昵称")


class ClaimOut(BaseModel):
    invitation_id: int = Field(description="邀请记录 ID")
    inviter_id: int = Field(description="邀请人用户 ID")
    status: str = Field(description="pending：待绑定手机并完善简历；credited：已计入")
