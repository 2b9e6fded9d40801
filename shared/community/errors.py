"""The community area's errors (stable codes, Chinese messages)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed


class PostNotFound(NotFound):
    code, message = "POST_NOT_FOUND", "帖子不存在或已被隐藏"


class CannotReportOwnPost(Conflict):
    code, message = "CANNOT_REPORT_OWN_POST", "不能举报自己的帖子"


class PostAlreadyInState(Conflict):
    code, message = "POST_STATE_CONFLICT", "帖子已处于该状态"


class ContentRejected(ValidationFailed):
    code = "CONTENT_REJECTED"

    def __init__(self, field: str) -> None:
        super().__init__([{"field": field, "message": "内容未通过安全检测，请修改后重试"}],
                         message="内容未通过安全检测，请修改后重试")
