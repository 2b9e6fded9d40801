"""A small router for SCF Function URL events.

A handler only parses, calls a use case, and shapes the answer. The router owns the rest, the same for every
function: matching method and path, the JSON content type (415), JSON parsing (400), strict validation into pydantic
models (422 naming the field, in Chinese: an integer is an integer, "100" is not), authentication (401) and roles
(403), the AppError → status mapping, 503 when the database is unavailable, and a 500 with no stack trace for bugs.
The route table doubles as the source of the OpenAPI document (shared/http/openapi.py); `pipeline(route)` names the
router's own steps a route goes through, so the document and its test know which statuses the router can answer.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from shared import logs
from shared.errors import (
    AppError,
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from shared.http.messages import translate

log = logging.getLogger("codelink.http")

_PARAM = re.compile(r"\{(\w+)(?::(int|str))?\}")
MAX_BODY_BYTES = 256 * 1024
BIGINT_MAX = 2**63 - 1  # every integer column is at most a bigint
# application/json, or a structured +json type; parameters (charset) allowed. wx.request sends application/json by
# default, WeChat Pay's notifications are application/json.
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


@dataclass
class Principal:
    user_id: int


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    client_ip: str
    principal: Principal | None = None

    @property
    def user_id(self) -> int:
        if self.principal is None:  # guarded by auth=True routes; kept for type narrowing
            raise Unauthorized()
        return self.principal.user_id


@dataclass
class Response:
    """Return this from a handler for a non-JSON answer or custom status/headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Route:
    method: str
    path: str
    handler: Callable[..., Any]
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    auth: bool | str  # True: token required, "optional": read if present, False: public
    roles: tuple[str, ...]
    errors: tuple[str, ...]
    tags: tuple[str, ...]
    raw_body: bool
    # Statuses the handler answers itself with a Response (not through an AppError), each with its Chinese meaning;
    # and header parameters to document (not validated). Both only for the OpenAPI document (the WeChat Pay webhook).
    answers: dict[int, str] = field(default_factory=dict)
    headers: type[BaseModel] | None = None
    in_schema: bool = True  # False: not part of the JSON API (the console's HTML pages), left out of OpenAPI
    # What the body is: "json" (the API: a JSON content type is required, 415 otherwise) or "form" (the console's
    # HTML forms, application/x-www-form-urlencoded, read raw and parsed by the page itself).
    media: str = "json"
    pattern: re.Pattern[str] = field(init=False)
    converters: dict[str, Callable[[str], Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.converters = {}
        regex = "^"
        pos = 0
        for m in _PARAM.finditer(self.path):
            regex += re.escape(self.path[pos : m.start()])
            name, kind = m.group(1), m.group(2) or "str"
            if kind == "int":
                regex += rf"(?P<{name}>\d{{1,18}})"
                self.converters[name] = int
            else:
                regex += rf"(?P<{name}>[^/]+)"
                self.converters[name] = str
            pos = m.end()
        regex += re.escape(self.path[pos:]) + "$"
        self.pattern = re.compile(regex)

    @property
    def openapi_path(self) -> str:
        return _PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)


class Router:
    def __init__(self, function: str, *, tags: tuple[str, ...] = ()) -> None:
        self.function = function
        self.tags = tags or (function,)
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        auth: bool | str = True,
        roles: tuple[str, ...] = (),
        errors: tuple[str, ...] = (),
        raw_body: bool = False,
        answers: dict[int, str] | None = None,
        headers: type[BaseModel] | None = None,
        in_schema: bool = True,
        media: str = "json",
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(
                Route(method.upper(), path, fn, summary, body, query, response, status, auth, roles, errors,
                      self.tags, raw_body, dict(answers or {}), headers, in_schema, media)
            )
            return fn

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("DELETE", path, **kw)

    # --- the SCF entry point ---
    def handler(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        method = str(event.get("httpMethod") or "GET").upper()
        path = str(event.get("path") or "/")
        try:
            try:
                response = self._dispatch(event, method, path)
            except Exception as exc:
                if not _database_unavailable(exc):
                    raise
                log.warning("database unavailable on %s %s: %s", method, path, exc)
                _unavailable(exc)
        except AppError as err:
            response = Response(err.status, err.to_body(), dict(err.headers))
        except Exception:
            # A bug: log it with the trace, tell the caller nothing about the internals.
            log.exception("unhandled error on %s %s", method, path)
            response = Response(500, {"code": "INTERNAL", "message": "服务器开小差了，请稍后再试"})
        # The request's one log line (JSON, with route, user and request id) is written by shared/runtime.py.
        log.debug("%s %s -> %s in %.1f ms", method, path, response.status, (time.perf_counter() - started) * 1000)
        return _shape(response)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, Any]]:
        allowed: set[str] = set()
        for route in self.routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            allowed.add(route.method)
            if route.method == method:
                return route, {k: route.converters[k](v) for k, v in m.groupdict().items()}
        if allowed:
            raise MethodNotAllowed.allowing(allowed)
        _no_route()

    def _dispatch(self, event: dict[str, Any], method: str, path: str) -> Response:
        # Keep in step with pipeline(route) below: it tells the OpenAPI document which of these steps a route takes.
        route, params = self._match(method, path)
        logs.annotate(route=route.openapi_path)  # shared/logs.py: the request's log line names its route
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        query = _query(event)
        request = Request(method, path, params, query, headers, b"", headers.get("x-scf-remote-addr", ""))
        if route.auth:
            request.principal = _authenticate(headers, required=route.auth is True)
        logs.annotate(user_id=request.principal.user_id if request.principal else None)  # the log line's user
        if route.roles or (route.auth is True and request.principal is not None):
            # Every authenticated request checks the account: a ban takes effect on the next request.
            _check_roles(request, route.roles)
        kwargs: dict[str, Any] = {}
        if takes_body(route):
            # Only routes that take a body read it: a GET with a body, or a body on POST /…/withdraw, is ignored.
            request.raw_body = _raw_body(event)
            if route.media == "json":
                _require_json(headers, request.raw_body)
            if route.body is not None and not route.raw_body:
                kwargs["body"] = _validate_body(route.body, request.raw_body)
        if route.query is not None:
            kwargs["query"] = _validate_query(route.query, query)
        result = route.handler(request, **kwargs)
        if isinstance(result, Response):
            return result
        return Response(route.status, result)


def takes_body(route: Route) -> bool:
    return route.body is not None or route.raw_body


def pipeline(route: Route) -> list[Callable[..., Any]]:
    """The router's own steps `route` goes through, each a function whose raises are the statuses the router may
    answer for it (read by shared/http/raising.py for the OpenAPI document and its test)."""
    steps: list[Callable[..., Any]] = [_unavailable]  # every route reads the database (roles, use cases)
    if route.converters:
        steps.append(_no_route)  # /tasks/-1, a 19-digit id or an empty segment matches no route
    if route.auth:
        steps.append(_authenticate)
    if route.roles or route.auth is True:
        steps.append(_check_account)
    if route.roles:
        steps.append(_require_role)
    if takes_body(route):
        steps += [_raw_body, _require_json] if route.media == "json" else [_raw_body]
        if route.body is not None and not route.raw_body:
            steps.append(_validate_body)
    if route.query is not None:
        steps.append(_validate_query)
    return steps


def _no_route() -> NoReturn:
    raise NotFound("NOT_FOUND", "接口不存在")


def _database_unavailable(exc: BaseException) -> bool:
    """PostgreSQL down, out of connections, a statement or lock timeout, a serialization failure still failing after
    the unit of work's retries: the request may succeed if the client tries again (503), it is not a bug (500)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return isinstance(exc, OperationalError | PoolTimeout)


def _unavailable(exc: BaseException | None = None) -> NoReturn:
    raise ServiceUnavailable("DATABASE_UNAVAILABLE", "服务繁忙，请稍后再试") from exc


def _require_json(headers: dict[str, str], raw: bytes) -> None:
    """A body must say it is JSON. An empty body needs no content type (it reads as {})."""
    if not raw.strip():
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not _JSON_MEDIA.match(media):
        raise UnsupportedMediaType()


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None or body == "":
        return b""
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body)
        except ValueError as exc:
            raise BadRequest("BAD_REQUEST", "请求体编码有误") from exc
    else:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return data


def _query(event: dict[str, Any]) -> dict[str, str]:
    raw = event.get("queryString") or event.get("queryStringParameters") or {}
    if isinstance(raw, str):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(raw))
    out: dict[str, str] = {}
    for k, v in raw.items():
        out[str(k)] = ",".join(map(str, v)) if isinstance(v, list) else str(v)
    return out


def _validate_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    """Strict validation of a JSON object: types as JSON writes them, no coercion ("100" is not an integer, 100.0
    is not either, "true" is not a boolean)."""
    try:
        text = raw.decode("utf-8") if raw.strip() else "{}"
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise BadRequest("MALFORMED_JSON", "请求体不是合法的 JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("MALFORMED_JSON", "请求体应为 JSON 对象")
    _check_values(data, ())
    try:
        # Parsed twice: json.loads above for the checks, pydantic's strict JSON mode here (which, unlike its
        # Python mode, reads ISO 8601 strings as dates and times while refusing every other coercion).
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise ValidationFailed(translate(exc.errors(include_url=False))) from None


def _validate_query(model: type[BaseModel], query: dict[str, str]) -> BaseModel:
    """Query values are strings by nature: lax validation converts them ("20" → 20), then the converted values get
    the same range checks as a body's."""
    _check_values(query, ())
    value = _validate(model, query, "query")
    _check_values(value.model_dump(), ())
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity: Python's json reads them, JSON does not have them


def _check_values(value: Any, loc: tuple[Any, ...]) -> None:
    """Refuse values PostgreSQL cannot store: strings with NUL or lone surrogates, integers beyond a bigint, floats
    that are not finite. A 422 naming the field, not a 500 from the database.
    Iterative, so JSON nested as deep as the parser allows cannot overflow the stack here."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not _encodable(item):
                raise ValidationFailed([{"field": ".".join(map(str, where)), "message": "含有不允许的字符"}])
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -BIGINT_MAX <= item <= BIGINT_MAX:
                raise ValidationFailed([{"field": ".".join(map(str, where)), "message": "数值超出范围"}])
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise ValidationFailed([{"field": ".".join(map(str, where)), "message": "应为有限的数值"}])
        elif isinstance(item, dict):
            for k, v in item.items():
                stack.append((k, where))
                stack.append((v, (*where, k)))
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _validate(model: type[BaseModel], data: dict[str, Any], where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(translate(exc.errors(include_url=False))) from None


def _authenticate(headers: dict[str, str], *, required: bool) -> Principal | None:
    from shared.auth.tokens import TokenError, verify_access_token

    value = headers.get("authorization", "")
    if not value:
        if required:
            raise Unauthorized("UNAUTHORIZED", "请先登录")
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("INVALID_TOKEN", "登录凭证格式有误")
    try:
        user_id = verify_access_token(token.strip())
    except TokenError as exc:
        raise Unauthorized(exc.code, exc.message) from None
    return Principal(user_id)


def _check_roles(request: Request, roles: tuple[str, ...]) -> None:
    """The account must exist and be active, and hold one of `roles` (if any)."""
    user_roles = _check_account(request)
    if roles:
        _require_role(user_roles, roles)


def _check_account(request: Request) -> list[str]:
    if request.principal is None:
        raise Unauthorized()
    from shared.auth.roles import lookup_roles

    found = lookup_roles(request.principal.user_id)
    if found is None:
        raise Unauthorized("INVALID_TOKEN", "账号不存在")
    user_roles, status = found
    if status != "active":
        raise Forbidden("ACCOUNT_BANNED", "账号已被停用")
    return list(user_roles)


def _require_role(user_roles: list[str], roles: tuple[str, ...]) -> None:
    if not set(roles) & set(user_roles):
        names = {"developer": "开发者", "merchant": "商家", "admin": "管理员"}
        raise Forbidden("ROLE_REQUIRED", f"需要{'或'.join(names.get(r, r) for r in roles)}身份")


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _shape(response: Response) -> dict[str, Any]:
    headers = {"content-type": "application/json; charset=utf-8", **response.headers}
    if response.raw is not None:
        return {
            "statusCode": response.status,
            "headers": headers,
            "body": base64.b64encode(response.raw).decode(),
            "isBase64Encoded": True,
        }
    body = "" if response.body is None else json.dumps(_jsonable(response.body), ensure_ascii=False, default=str)
    return {"statusCode": response.status, "headers": headers, "body": body, "isBase64Encoded": False}
