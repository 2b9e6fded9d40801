"""The chat area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed


class ConversationNotFound(NotFound):
    # A third user, another applicant and an operator without a dispute or report all get this same 404.
    code, message = "CONVERSATION_NOT_FOUND", "会话不存在"


class ConversationClosed(Conflict):
    code, message = "CONVERSATION_CLOSED", "任务已结束，会话只读"


class MessageRejected(ValidationFailed):
    code = "MESSAGE_REJECTED"

    def __init__(self, field: str = "body") -> None:
        super().__init__([{"field": field, "message": "消息未通过内容安全检测，请修改后重试"}],
                         message="消息未通过内容安全检测，请修改后重试")


class AlreadyReported(Conflict):
    code, message = "CONVERSATION_ALREADY_REPORTED", "该会话已举报，平台正在处理"


class FileNotUploaded(ValidationFailed):
    code = "FILE_NOT_UPLOADED"

    def __init__(self) -> None:
        super().__init__([{"field": "key", "message": "文件尚未上传成功，或不属于本会话"}],
                         message="文件尚未上传成功，或不属于本会话")


class FileStorageUnavailable(ServiceUnavailable):
    code, message = "FILE_STORAGE_UNAVAILABLE", "文件存储暂时不可用，请稍后再试"


class MessageNotFound(NotFound):
    code, message = "MESSAGE_NOT_FOUND", "消息不存在"
