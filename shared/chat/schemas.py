"""Request and response shapes of the chat routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=2000, description="消息内容（经内容安全检测与站外联系检测）")
    link: AnyHttpUrl | None = Field(None, description="附带的链接（可选）")


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to_id: int = Field(ge=1, description="已读到的消息 ID（含）")


class ChatReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="举报理由（举报后平台可查看该会话）")


class MessagesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200, description="增量拉取游标：上次的 next_cursor（只返回其后的消息）")
    limit: int = Field(50, ge=1, le=200, description="每次最多条数")


class ConversationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int | None = Field(None, ge=1, description="只看该任务的会话")


class MessageOut(BaseModel):
    id: int = Field(description="消息 ID（递增）")
    conversation_id: int = Field(description="会话 ID")
    sender_id: int = Field(description="发送者用户 ID")
    mine: bool = Field(description="是否为当前用户发送")
    kind: Literal["text", "link", "file"] = Field(description="text：文字；link：链接；file：文件")
    body: str = Field(description="消息内容（接收方看到的是隐去联系方式后的内容）")
    masked: bool = Field(description="接收方看到的内容是否隐去了联系方式")
    flag_kinds: list[str] = Field(description="站外联系检测命中的类型（phone/wechat/qq/email/im/payment/intent）")
    link_url: str | None = Field(None, description="链接")
    file_key: str | None = Field(None, description="文件在对象存储中的键")
    read_by_other: bool = Field(description="对方是否已读（仅对自己发送的消息有意义）")
    created_at: datetime = Field(description="发送时间")


class SentOut(BaseModel):
    message: MessageOut = Field(description="已发送的消息（发送者视角）")
    warning: str | None = Field(None, description="检测到站外联系方式或站外交易时给发送者的提醒；否则为空")


class MessagePage(BaseModel):
    items: list[MessageOut] = Field(description="游标之后的消息（先发的在前）")
    next_cursor: str | None = Field(description="下次增量拉取用的游标；尚无消息时为空")
    has_more: bool = Field(description="是否还有更多消息（立即再拉一次）")
    unread: int = Field(description="当前用户在该会话的未读数")


class ConversationOut(BaseModel):
    id: int = Field(description="会话 ID")
    task_id: int = Field(description="任务 ID")
    task_title: str = Field(description="任务标题")
    merchant_id: int = Field(description="商家用户 ID")
    developer_id: int = Field(description="开发者（投递者）用户 ID")
    my_role: Literal["merchant", "developer", "admin"] = Field(description="当前用户在会话中的身份")
    unread: int = Field(description="当前用户的未读数")
    other_read_id: int = Field(description="对方已读到的消息 ID（已读回执）")
    message_count: int = Field(description="消息总数")
    flagged_count: int = Field(description="被标记为站外联系的消息数")
    writable: bool = Field(description="是否还能发送消息（任务结束后只读）")
    last_message_at: datetime | None = Field(description="最后一条消息的时间")
    created_at: datetime = Field(description="会话创建时间（首次投递时）")


class ConversationList(BaseModel):
    items: list[ConversationOut] = Field(description="我的会话（最近有消息的在前）")
    unread_total: int = Field(description="所有会话的未读总数")


class ReadOut(BaseModel):
    conversation_id: int = Field(description="会话 ID")
    read_id: int = Field(description="当前用户已读到的消息 ID")
    unread: int = Field(description="剩余未读数")


class ExportMessage(BaseModel):
    id: int = Field(description="消息 ID")
    sender_id: int = Field(description="发送者用户 ID")
    sender_role: Literal["merchant", "developer"] = Field(description="发送者身份")
    kind: str = Field(description="消息类型")
    body: str = Field(description="消息内容（导出者视角）")
    flag_kinds: list[str] = Field(description="站外联系检测命中的类型")
    link_url: str | None = Field(None, description="链接")
    file_key: str | None = Field(None, description="文件键")
    created_at: datetime = Field(description="发送时间")


class ChatExportOut(BaseModel):
    conversation: ConversationOut = Field(description="会话")
    messages: list[ExportMessage] = Field(description="全部消息（先发的在前）")
    transcript: str = Field(description="纯文本聊天记录（时间 身份：内容）")
    exported_at: datetime = Field(description="导出时间")


class AdminMessage(ExportMessage):
    masked_body: str = Field(description="接收方看到的内容")


class AdminConversationOut(BaseModel):
    conversation: ConversationOut = Field(description="会话")
    access: Literal["dispute", "report"] = Field(description="管理员查看的依据：纠纷或举报")
    messages: list[AdminMessage] = Field(description="全部消息（原文与接收方所见）")


class ChatReportOut(BaseModel):
    conversation_id: int = Field(description="会话 ID")
    reported: bool = Field(description="已举报")


FILE_TYPES = ("image/png", "image/jpeg", "application/pdf", "application/zip", "text/plain")
MAX_FILE_BYTES = 20 * 1024 * 1024


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: Literal["image/png", "image/jpeg", "application/pdf", "application/zip", "text/plain"] = Field(
        description="文件类型")


class UploadPolicyOut(BaseModel):
    url: str = Field(description="上传地址（wx.uploadFile 的 url）")
    fields: dict[str, str] = Field(description="表单字段（wx.uploadFile 的 formData），文件字段名为 file")
    key_prefix: str = Field(description="文件键的前缀；上传后的键为前缀加文件名")
    max_bytes: int = Field(description="文件大小上限（字节）")
    expires_in: int = Field(description="上传策略有效期（秒）")


class FileMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=300, description="上传后的文件键（须在本会话为你签发的前缀下）")
    name: str = Field(min_length=1, max_length=100, description="文件名（对方看到的消息内容）")


class FileUrlOut(BaseModel):
    url: str = Field(description="短时有效的下载地址")
    expires_in: int = Field(description="有效期（秒）")
