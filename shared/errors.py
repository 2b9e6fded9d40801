"""The error family every use case raises. Handlers turn them into `{code, message, ...}` with the right status.

`code` is stable (clients switch on it); `message` is Chinese and shown to users as is.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message = "请求有误"

    def __init__(self, code: str | None = None, message: str | None = None, **details: Any) -> None:
        self.code = code or type(self).code
        self.message = message or type(self).message
        self.details = details
        self.headers: dict[str, str] = {}  # response headers that belong with the error (Allow on a 405)
        super().__init__(f"{self.code}: {self.message}")

    def to_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class BadRequest(AppError):
    status, code, message = 400, "BAD_REQUEST", "请求格式有误"


class ValidationFailed(AppError):
    """422 with the failing fields: `errors: [{field, message}]`."""

    status, code, message = 422, "VALIDATION_FAILED", "参数校验失败"

    def __init__(self, errors: list[dict[str, str]], message: str | None = None) -> None:
        first = errors[0] if errors else {"field": "", "message": ""}
        super().__init__(
            message=message or f"参数校验失败：{first['field']} {first['message']}".strip(),
            errors=errors,
        )

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls([{"field": field, "message": message}])


class Unauthorized(AppError):
    status, code, message = 401, "UNAUTHORIZED", "请先登录"


class Forbidden(AppError):
    status, code, message = 403, "FORBIDDEN", "无权进行此操作"


class NotFound(AppError):
    status, code, message = 404, "NOT_FOUND", "资源不存在"


class Conflict(AppError):
    status, code, message = 409, "CONFLICT", "当前状态不允许此操作"


class TooManyRequests(AppError):
    status, code, message = 429, "RATE_LIMITED", "操作过于频繁，请稍后再试"


class ServiceUnavailable(AppError):
    """An external service failed in a way the user can retry."""

    status, code, message = 503, "UPSTREAM_UNAVAILABLE", "服务暂时不可用，请稍后再试"


class MethodNotAllowed(AppError):
    status, code, message = 405, "METHOD_NOT_ALLOWED", "不支持该请求方法"

    @classmethod
    def allowing(cls, methods: set[str]) -> MethodNotAllowed:
        err = cls()
        err.headers["Allow"] = ", ".join(sorted(methods))  # RFC 9110 15.5.6: a 405 names the methods that work
        return err


class PayloadTooLarge(AppError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", "请求体过大"


class UnsupportedMediaType(AppError):
    """A request body that does not say it is JSON (wx.request and WeChat Pay both send application/json)."""

    status, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "请求体须为 JSON（Content-Type: application/json）"
