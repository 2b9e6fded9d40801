"""HTTP routes of the `chat` function: task conversations between a merchant and an applicant, and the operators'
read access (for a dispute or a report only)."""

from __future__ import annotations

from shared.chat import files, service
from shared.chat import schemas as s
from shared.http.router import Request, Router
from shared.uow import run

router = Router("chat")
ADMIN = ("admin",)
_C = "/chat/conversations/{conversation_id:int}"


@router.get("/chat/conversations", summary="我的任务会话（含未读数）", query=s.ConversationsQuery,
            response=s.ConversationList)
def conversations(req: Request, query: s.ConversationsQuery) -> s.ConversationList:
    return run(lambda uow: service.conversations(uow, req.user_id, query))


@router.get(_C, summary="会话详情（仅双方可见）", response=s.ConversationOut, errors=("CONVERSATION_NOT_FOUND",))
def one(req: Request) -> s.ConversationOut:
    return run(lambda uow: service.get_conversation(uow, req.user_id, req.params["conversation_id"]))


@router.post(_C + "/messages", summary="发送消息（内容安全检测；站外联系方式对对方隐藏并提醒发送者）",
             body=s.MessageIn, response=s.SentOut, status=201,
             errors=("CONVERSATION_NOT_FOUND", "CONVERSATION_CLOSED", "MESSAGE_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def send(req: Request, body: s.MessageIn) -> s.SentOut:
    return service.send(req.user_id, req.params["conversation_id"], body)


@router.get(_C + "/messages", summary="增量拉取消息（游标之后的消息，适合轮询）", query=s.MessagesQuery,
            response=s.MessagePage, errors=("CONVERSATION_NOT_FOUND", "INVALID_CURSOR"))
def messages(req: Request, query: s.MessagesQuery) -> s.MessagePage:
    return run(lambda uow: service.messages(uow, req.user_id, req.params["conversation_id"], query))


@router.post(_C + "/read", summary="已读回执（已读到某条消息）", body=s.ReadIn, response=s.ReadOut,
             errors=("CONVERSATION_NOT_FOUND",))
def read(req: Request, body: s.ReadIn) -> s.ReadOut:
    return run(lambda uow: service.mark_read(uow, req.user_id, req.params["conversation_id"], body))


@router.get(_C + "/export", summary="导出聊天记录（任一方）", response=s.ChatExportOut,
            errors=("CONVERSATION_NOT_FOUND",))
def export(req: Request) -> s.ChatExportOut:
    return run(lambda uow: service.export(uow, req.user_id, req.params["conversation_id"]))


@router.post(_C + "/report", summary="举报会话（举报后平台可查看）", body=s.ChatReportIn, response=s.ChatReportOut,
             errors=("CONVERSATION_NOT_FOUND", "CONVERSATION_ALREADY_REPORTED"))
def report(req: Request, body: s.ChatReportIn) -> s.ChatReportOut:
    return run(lambda uow: service.report(uow, req.user_id, req.params["conversation_id"], body))


@router.get("/chat/admin/conversations/{conversation_id:int}", summary="管理员查看会话（仅限纠纷或被举报的会话）",
            response=s.AdminConversationOut, roles=ADMIN, errors=("CONVERSATION_NOT_FOUND",))
def admin_view(req: Request) -> s.AdminConversationOut:
    return run(lambda uow: service.admin_view(uow, req.user_id, req.params["conversation_id"]))


@router.post(_C + "/uploads", summary="申请文件上传策略（短时有效，wx.uploadFile 直传对象存储）", body=s.UploadIn,
             response=s.UploadPolicyOut,
             errors=("CONVERSATION_NOT_FOUND", "CONVERSATION_CLOSED", "FILE_STORAGE_UNAVAILABLE"))
def upload(req: Request, body: s.UploadIn) -> s.UploadPolicyOut:
    return files.upload_policy(req.user_id, req.params["conversation_id"], body)


@router.post(_C + "/files", summary="发送文件消息（引用已上传的文件键）", body=s.FileMessageIn, response=s.SentOut,
             status=201, errors=("CONVERSATION_NOT_FOUND", "CONVERSATION_CLOSED", "FILE_NOT_UPLOADED",
                                 "FILE_STORAGE_UNAVAILABLE", "MESSAGE_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def send_file(req: Request, body: s.FileMessageIn) -> s.SentOut:
    return files.send_file(req.user_id, req.params["conversation_id"], body)


@router.get(_C + "/messages/{message_id:int}/file", summary="文件消息的下载地址（短时有效，仅双方）",
            response=s.FileUrlOut, errors=("CONVERSATION_NOT_FOUND", "MESSAGE_NOT_FOUND", "FILE_STORAGE_UNAVAILABLE"))
def file_url(req: Request) -> s.FileUrlOut:
    return files.file_url(req.user_id, req.params["conversation_id"], req.params["message_id"])
