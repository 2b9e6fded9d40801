"""The Function URL router (shared/http/router.py) on a tiny handler: no database, no fakes.

Account lookups (roles, bans) are answered by an in-memory table instead of PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.auth import tokens
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.http import messages
from shared.http.fields import Timestamp
from shared.http.router import MAX_BODY_BYTES, Request, Response, Router
from tests.support.api import function_url_event


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=10)
    count: int = Field(0, ge=0, le=100)
    tags: list[str] = Field(default_factory=list, max_length=3)
    when: datetime | None = None

    @field_validator("name")
    @classmethod
    def no_admin(cls, v: str) -> str:
        if v == "admin":
            raise ValueError("名称不可用")
        return v


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = ""
    limit: int = Field(10, ge=1, le=50)
    flag: bool = False


class RangeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_fen: int | None = None
    sort: Literal["newest", "reward", "deadline"] = "newest"


class Typed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: int = 0
    flag: bool = False
    ratio: float = 0.0
    day: date | None = None
    at: Timestamp | None = None


class Out(BaseModel):
    name: str
    at: datetime


calls: list[Request] = []


def build_router() -> Router:
    router = Router("t")

    @router.get("/t/items/{item_id:int}", summary="one", auth=False)
    def one(req: Request) -> dict[str, Any]:
        calls.append(req)
        return {"id": req.params["item_id"], "type": type(req.params["item_id"]).__name__}

    @router.get("/t/slugs/{slug}/detail", summary="slug", auth=False)
    def slug(req: Request) -> dict[str, Any]:
        return {"slug": req.params["slug"]}

    @router.post("/t/items", summary="create", body=ItemIn, status=201, auth=False)
    def create(req: Request, body: ItemIn) -> dict[str, Any]:
        calls.append(req)
        return body.model_dump(mode="json")

    @router.delete("/t/items/{item_id:int}", summary="delete", auth=False)
    def delete(req: Request) -> Response:
        return Response(204)

    @router.get("/t/search", summary="search", query=SearchQuery, auth=False)
    def search(req: Request, query: SearchQuery) -> dict[str, Any]:
        return query.model_dump()

    @router.get("/t/me", summary="me")
    def me(req: Request) -> dict[str, Any]:
        return {"user_id": req.user_id}

    @router.put("/t/me", summary="update me", body=ItemIn)
    def update_me(req: Request, body: ItemIn) -> dict[str, Any]:
        return {"user_id": req.user_id, "name": body.name}

    @router.get("/t/maybe", summary="optional", auth="optional")
    def maybe(req: Request) -> dict[str, Any]:
        return {"user_id": req.principal.user_id if req.principal else None}

    @router.post("/t/admin", summary="admin only", roles=("admin",))
    def admin(req: Request) -> dict[str, Any]:
        return {"ok": True}

    @router.post("/t/either", summary="merchant or developer", roles=("merchant", "developer"))
    def either(req: Request) -> dict[str, Any]:
        return {"ok": True}

    @router.get("/t/boom", summary="bug", auth=False)
    def boom(req: Request) -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @router.get("/t/conflict", summary="conflict", auth=False)
    def conflict(req: Request) -> None:
        raise Conflict("ITEM_TAKEN", "已被占用", item_id=7)

    @router.get("/t/missing", summary="missing", auth=False)
    def missing(req: Request) -> None:
        raise NotFound("ITEM_NOT_FOUND", "不存在")

    @router.get("/t/invalid", summary="domain validation", auth=False)
    def invalid(req: Request) -> None:
        raise ValidationFailed.field("skills", "未知的技能标签：cobol")

    @router.get("/t/raw", summary="png", auth=False)
    def raw(req: Request) -> Response:
        return Response(200, raw=b"\x89PNG\r\n", headers={"content-type": "image/png"})

    @router.get("/t/custom", summary="custom", auth=False)
    def custom(req: Request) -> Response:
        return Response(202, {"accepted": True}, headers={"x-request-id": "abc"})

    @router.get("/t/model", summary="model", auth=False)
    def model(req: Request) -> list[Out]:
        return [Out(name="张三", at=datetime(2026, 1, 1, tzinfo=timezone.utc))]

    @router.get("/t/nothing", summary="no body", auth=False)
    def nothing(req: Request) -> None:
        return None

    @router.get("/t/range", summary="range", query=RangeQuery, auth=False)
    def ranged(req: Request, query: RangeQuery) -> dict[str, Any]:
        return query.model_dump()

    @router.post("/t/typed", summary="typed", body=Typed, auth=False)
    def typed(req: Request, body: Typed) -> dict[str, Any]:
        return body.model_dump(mode="json")

    @router.get("/t/db-down", summary="database down", auth=False)
    def db_down(req: Request) -> None:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT 1", {}, Exception("could not connect to server: Connection refused"))

    @router.get("/t/integrity", summary="a bug the database caught", auth=False)
    def integrity(req: Request) -> None:
        from sqlalchemy.exc import IntegrityError

        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    @router.get("/t/echo-headers", summary="headers", auth=False)
    def echo_headers(req: Request) -> dict[str, Any]:
        return {"headers": req.headers, "ip": req.client_ip, "method": req.method, "path": req.path}

    return router


ROUTER = build_router()


@pytest.fixture(autouse=True)
def accounts(monkeypatch):
    """user id -> (roles, status): what `lookup_roles` would read from the users table."""
    table: dict[int, tuple[tuple[str, ...], str]] = {}
    monkeypatch.setattr("shared.auth.roles.lookup_roles", lambda user_id: table.get(user_id))
    calls.clear()
    return table


def send(method: str, path: str, body: Any = None, *, token: str | None = None, query: Any = None,
         headers: dict[str, str] | None = None, event: dict[str, Any] | None = None) -> tuple[int, Any, dict]:
    ev = event if event is not None else function_url_event(method, path, body, token, None, headers)
    if query is not None and event is None:
        ev["queryString"] = query
    answer = ROUTER.handler(ev, None)
    assert set(answer) >= {"statusCode", "headers", "body", "isBase64Encoded"}
    text = answer["body"]
    if answer["isBase64Encoded"]:
        return answer["statusCode"], base64.b64decode(text), answer["headers"]
    return answer["statusCode"], (json.loads(text) if text else None), answer["headers"]


JSON = {"content-type": "application/json"}


def token_for(user_id: int, at: datetime) -> str:
    return tokens.issue_access_token(user_id, at)[0]


# --- matching ---


def test_path_parameter_is_converted_to_int():
    status, body, headers = send("GET", "/t/items/42")
    assert status == 200
    assert body == {"id": 42, "type": "int"}
    assert headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("path", ["/t/items/abc", "/t/items/-1", "/t/items/1.5", "/t/items/" + "9" * 19,
                                  "/t/items/42/", "/t/items", "/t/nope", "/", "", "/t/items/42/extra"])
def test_paths_that_match_no_route_are_404(path):
    status, body, _ = send("GET", path)
    if path == "/t/items":  # that path exists, for POST only
        assert status == 405 and body["code"] == "METHOD_NOT_ALLOWED"
        return
    assert status == 404
    assert body == {"code": "NOT_FOUND", "message": "接口不存在"}


def test_str_parameter_takes_one_segment_only():
    assert send("GET", "/t/slugs/hello-world/detail")[1] == {"slug": "hello-world"}
    assert send("GET", "/t/slugs/a/b/detail")[0] == 404


def test_eighteen_digit_ids_still_match():
    assert send("GET", "/t/items/" + "9" * 18)[1]["id"] == 10**18 - 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST", "HEAD", "OPTIONS"])
def test_known_path_with_other_method_is_405(method):
    status, body, headers = send(method, "/t/items/1")
    assert status == 405
    assert body["code"] == "METHOD_NOT_ALLOWED" and has_chinese(body["message"])
    assert headers["Allow"] == "DELETE, GET"  # RFC 9110: a 405 says which methods the resource has


def test_method_is_case_insensitive_and_defaults_to_get():
    assert send("get", "/t/items/3")[0] == 200
    status, body, _ = send("", "", event={"path": "/t/items/5"})
    assert status == 200 and body["id"] == 5


def test_same_path_dispatches_by_method():
    assert send("DELETE", "/t/items/3")[0] == 204
    assert send("GET", "/t/items/3")[0] == 200


def test_headers_are_lowercased_and_client_ip_read():
    _status, body, _ = send("GET", "/t/echo-headers", headers={"X-Trace": "T1"})
    assert body["headers"]["x-trace"] == "T1"
    assert body["ip"] == "127.0.0.1"
    assert body["method"] == "GET" and body["path"] == "/t/echo-headers"


# --- bodies ---


def test_valid_body_reaches_the_handler_with_the_route_status():
    status, body, _ = send("POST", "/t/items", {"name": "键盘", "count": 3, "tags": ["a"]})
    assert status == 201
    assert body == {"name": "键盘", "count": 3, "tags": ["a"], "when": None}


@pytest.mark.parametrize("raw", ["{", "{'name': 'x'}", "nul", "{\"name\": \"x\",}", "\x00", "[1,2"])
def test_malformed_json_is_400(raw):
    status, body, _ = send("POST", "/t/items", raw)
    assert status == 400
    assert body["code"] == "MALFORMED_JSON" and has_chinese(body["message"])
    assert calls == []


@pytest.mark.parametrize("raw", ["[]", "[{\"name\": \"x\"}]", "\"name\"", "42", "true", "null"])
def test_json_that_is_not_an_object_is_400(raw):
    status, body, _ = send("POST", "/t/items", raw)
    assert status == 400
    assert body == {"code": "MALFORMED_JSON", "message": "请求体应为 JSON 对象"}


def test_deeply_nested_json_is_400_not_500():
    for raw in ("[" * 100_000, "{\"a\":" * 50_000, "[" * 5000 + "]" * 5000):
        status, body, _ = send("POST", "/t/items", raw)
        assert status == 400, body
        assert body["code"] == "MALFORMED_JSON"


def test_nesting_just_under_the_parser_limit_is_a_clean_answer():
    # Deep enough to stress any recursive walk over the parsed body, shallow enough for json.loads.
    for depth in (200, 500, 900):
        raw = '{"name": "x", "tags": ' + "[" * depth + "]" * depth + "}"
        status, body, _ = send("POST", "/t/items", raw)
        assert status in (400, 422), body


def test_empty_body_validates_as_an_empty_object():
    status, body, _ = send("POST", "/t/items", "")
    assert status == 422
    assert body["errors"] == [{"field": "name", "message": "必填"}]
    status, body, _ = send("POST", "/t/items", "   \n ")
    assert status == 422 and body["errors"][0]["field"] == "name"


def test_invalid_utf8_body_is_400():
    raw = base64.b64encode(b'{"name": "\xff\xfe"}').decode()
    event = {"httpMethod": "POST", "path": "/t/items", "headers": JSON, "body": raw, "isBase64Encoded": True}
    status, body, _ = send("", "", event=event)
    assert status == 400 and body["code"] == "MALFORMED_JSON"


def test_base64_body_is_decoded():
    raw = base64.b64encode(json.dumps({"name": "笔"}).encode()).decode()
    event = {"httpMethod": "POST", "path": "/t/items", "headers": JSON, "body": raw, "isBase64Encoded": True}
    status, body, _ = send("", "", event=event)
    assert status == 201 and body["name"] == "笔"


def test_broken_base64_body_is_400():
    event = {"httpMethod": "POST", "path": "/t/items", "headers": {}, "body": "!!!not base64", "isBase64Encoded": True}
    status, body, _ = send("", "", event=event)
    assert status == 400 and body["code"] == "BAD_REQUEST"


def test_body_over_the_limit_is_413_and_at_the_limit_is_read():
    too_big = json.dumps({"name": "x", "pad": "a" * MAX_BODY_BYTES})
    status, body, _ = send("POST", "/t/items", too_big)
    assert status == 413
    assert body["code"] == "PAYLOAD_TOO_LARGE" and has_chinese(body["message"])
    # Exactly MAX_BODY_BYTES is accepted (and then fails validation on the unknown field, not on size).
    prefix = '{"name": "x", "pad": "'
    at_limit = prefix + "a" * (MAX_BODY_BYTES - len(prefix) - 2) + '"}'
    assert len(at_limit.encode()) == MAX_BODY_BYTES
    status, body, _ = send("POST", "/t/items", at_limit)
    assert status == 422 and body["errors"] == [{"field": "pad", "message": "不支持的字段"}]


def test_size_limit_counts_bytes_not_characters():
    # 3 bytes per Chinese character: under the limit in characters, over it in bytes.
    chars = MAX_BODY_BYTES // 3 + 10
    status, _, _ = send("POST", "/t/items", json.dumps({"name": "中" * chars}, ensure_ascii=False))
    assert status == 413


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": 5}, "name", "应为字符串"),
        ({"name": ""}, "name", "长度至少为 1"),
        ({"name": "x" * 11}, "name", "长度最多为 10"),
        ({"name": "x", "count": "many"}, "count", "应为整数"),
        ({"name": "x", "count": 1.5}, "count", "应为整数"),
        ({"name": "x", "count": -1}, "count", "应不小于 0"),
        ({"name": "x", "count": 101}, "count", "应不大于 100"),
        ({"name": "x", "tags": "a"}, "tags", "应为数组"),
        ({"name": "x", "tags": [1]}, "tags.0", "应为字符串"),
        ({"name": "x", "tags": ["a", "b", "c", "d"]}, "tags", "最多 3 项"),
        ({"name": "x", "when": "yesterday"}, "when", "日期时间格式不正确（ISO 8601）"),
        ({"name": "x", "extra": 1}, "extra", "不支持的字段"),
        ({"name": "admin"}, "name", "名称不可用"),
        ({}, "name", "必填"),
    ],
)
def test_validation_errors_name_the_field_in_chinese(payload, field, message):
    status, body, _ = send("POST", "/t/items", payload)
    assert status == 422
    assert body["code"] == "VALIDATION_FAILED"
    assert {"field": field, "message": message} in body["errors"]
    assert body["message"].startswith("参数校验失败：")
    assert calls == []


def test_several_errors_are_all_reported():
    status, body, _ = send("POST", "/t/items", {"name": 1, "count": "x", "bogus": True})
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"name", "count", "bogus"}


@pytest.mark.parametrize("payload", [{"name": "a\x00b"}, {"name": "x", "tags": ["ok", "\x00"]}, {"name": "\ud800"},
                                     {"name": "x", "\x00": 1}])
def test_strings_postgres_cannot_store_are_422(payload):
    status, body, _ = send("POST", "/t/items", json.dumps(payload))
    assert status == 422, body
    assert body["code"] == "VALIDATION_FAILED"
    assert has_chinese(body["errors"][0]["message"])
    assert calls == []


def test_nul_character_field_is_named():
    status, body, _ = send("POST", "/t/items", {"name": "x", "tags": ["ok", "bad\x00"]})
    assert status == 422
    assert body["errors"][0]["field"] == "tags.1"


# --- query strings ---


def test_query_from_dict_is_validated_and_coerced():
    status, body, _ = send("GET", "/t/search", query={"q": "python", "limit": "5", "flag": "true"})
    assert status == 200
    assert body == {"q": "python", "limit": 5, "flag": True}


def test_query_defaults_apply_when_absent():
    assert send("GET", "/t/search")[1] == {"q": "", "limit": 10, "flag": False}


def test_query_string_form_is_parsed():
    status, body, _ = send("GET", "/t/search", query="q=%E4%B8%AD&limit=7")
    assert status == 200 and body["q"] == "中" and body["limit"] == 7


def test_query_string_parameters_key_and_list_values():
    event = {"httpMethod": "GET", "path": "/t/search", "headers": {}, "queryStringParameters": {"q": ["a", "b"]}}
    status, body, _ = send("", "", event=event)
    assert status == 200 and body["q"] == "a,b"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [({"limit": "abc"}, "limit", "应为整数"), ({"limit": "0"}, "limit", "应不小于 1"),
     ({"limit": "51"}, "limit", "应不大于 50"), ({"flag": "maybe"}, "flag", "应为布尔值"),
     ({"unknown": "1"}, "unknown", "不支持的字段")],
)
def test_bad_query_values_are_422_naming_the_parameter(query, field, message):
    status, body, _ = send("GET", "/t/search", query=query)
    assert status == 422
    assert {"field": field, "message": message} in body["errors"]


def test_nul_in_query_is_422():
    status, body, _ = send("GET", "/t/search", query={"q": "a\x00"})
    assert status == 422 and body["errors"][0]["field"] == "q"


# --- authentication and roles ---


def test_protected_route_without_token_is_401(clock):
    status, body, _ = send("GET", "/t/me")
    assert status == 401
    assert body == {"code": "UNAUTHORIZED", "message": "请先登录"}


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "abc"])
def test_malformed_authorization_header_is_401(clock, value, accounts):
    accounts[1] = ((), "active")
    status, body, _ = send("GET", "/t/me", headers={"authorization": value})
    assert status == 401
    assert body["code"] == "INVALID_TOKEN"


def test_valid_token_reaches_the_handler_with_the_user(clock, accounts):
    accounts[9] = ((), "active")
    token = token_for(9, clock.now())
    assert send("GET", "/t/me", token=token)[1] == {"user_id": 9}
    # The scheme is case-insensitive.
    assert send("GET", "/t/me", headers={"Authorization": f"bearer {token}"})[1] == {"user_id": 9}


def test_expired_token_is_401_token_expired(clock, accounts):
    accounts[9] = ((), "active")
    token = token_for(9, clock.now())
    clock.advance(timedelta(hours=2))
    status, body, _ = send("GET", "/t/me", token=token)
    assert status == 401 and body["code"] == "TOKEN_EXPIRED"


def test_tampered_token_is_401(clock, accounts):
    accounts[9] = ((), "active")
    header, payload, signature = token_for(9, clock.now()).split(".")
    for bad in (f"{header}.{payload}.{signature[:-2]}", f"{header}.{payload}x.{signature}", f"{header}.{payload}.é",
                f"{header}.{payload}.{signature}.x"):
        status, body, _ = send("GET", "/t/me", token=bad)
        assert status == 401, bad
        assert body["code"] == "INVALID_TOKEN"


def test_refresh_token_cannot_be_used_as_access_token(clock, accounts):
    accounts[9] = ((), "active")
    refresh, _, _ = tokens.new_refresh_token(9, clock.now())
    status, body, _ = send("GET", "/t/me", token=refresh)
    assert status == 401 and body["code"] == "INVALID_TOKEN"


def test_token_of_an_unknown_account_is_401(clock):
    status, body, _ = send("GET", "/t/me", token=token_for(404, clock.now()))
    assert status == 401 and body["code"] == "INVALID_TOKEN"


def test_banned_account_is_refused_even_without_roles(clock, accounts):
    accounts[3] = (("developer",), "banned")
    token = token_for(3, clock.now())
    status, body, _ = send("GET", "/t/me", token=token)
    assert status == 403 and body["code"] == "ACCOUNT_BANNED"
    status, body, _ = send("PUT", "/t/me", {"name": "x"}, token=token)
    assert status == 403 and body["code"] == "ACCOUNT_BANNED"


def test_auth_is_checked_before_the_body(clock):
    status, body, _ = send("PUT", "/t/me", "{not json")
    assert status == 401 and body["code"] == "UNAUTHORIZED"


def test_optional_auth(clock, accounts):
    assert send("GET", "/t/maybe")[1] == {"user_id": None}
    assert send("GET", "/t/maybe", token=token_for(5, clock.now()))[1] == {"user_id": 5}
    # A token that is present must be valid even where it is optional.
    status, body, _ = send("GET", "/t/maybe", token="garbage")
    assert status == 401 and body["code"] == "INVALID_TOKEN"


def test_role_required(clock, accounts):
    accounts[1] = (("developer",), "active")
    accounts[2] = (("admin",), "active")
    status, body, _ = send("POST", "/t/admin", token=token_for(1, clock.now()))
    assert status == 403
    assert body == {"code": "ROLE_REQUIRED", "message": "需要管理员身份"}
    assert send("POST", "/t/admin", token=token_for(2, clock.now()))[0] == 200


def test_any_of_several_roles_is_enough(clock, accounts):
    accounts[1] = (("developer",), "active")
    accounts[2] = ((), "active")
    assert send("POST", "/t/either", token=token_for(1, clock.now()))[0] == 200
    status, body, _ = send("POST", "/t/either", token=token_for(2, clock.now()))
    assert status == 403 and body["message"] == "需要商家或开发者身份"


def test_role_route_without_token_is_401_not_403(clock):
    status, body, _ = send("POST", "/t/admin")
    assert status == 401 and body["code"] == "UNAUTHORIZED"


def test_banned_admin_is_refused(clock, accounts):
    accounts[2] = (("admin",), "banned")
    status, body, _ = send("POST", "/t/admin", token=token_for(2, clock.now()))
    assert status == 403 and body["code"] == "ACCOUNT_BANNED"


def test_public_routes_never_look_up_accounts(monkeypatch):
    def boom(user_id: int) -> None:
        raise AssertionError("public route touched the users table")

    monkeypatch.setattr("shared.auth.roles.lookup_roles", boom)
    assert send("GET", "/t/items/1")[0] == 200


# --- errors and answers ---


def test_app_errors_map_to_their_status_and_body():
    status, body, _ = send("GET", "/t/conflict")
    assert status == 409
    assert body == {"code": "ITEM_TAKEN", "message": "已被占用", "item_id": 7}
    assert send("GET", "/t/missing") == (404, {"code": "ITEM_NOT_FOUND", "message": "不存在"},
                                          {"content-type": "application/json; charset=utf-8"})
    status, body, _ = send("GET", "/t/invalid")
    assert status == 422
    assert body["errors"] == [{"field": "skills", "message": "未知的技能标签：cobol"}]
    assert body["message"] == "参数校验失败：skills 未知的技能标签：cobol"


def test_a_bug_is_500_without_internals_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="codelink.http"):
        status, body, _ = send("GET", "/t/boom")
    assert status == 500
    assert body == {"code": "INTERNAL", "message": "服务器开小差了，请稍后再试"}
    assert "hunter2" not in json.dumps(body)
    assert any("unhandled error on GET /t/boom" in r.getMessage() and r.exc_info for r in caplog.records)


def test_handler_response_object_passes_status_and_headers():
    status, body, headers = send("GET", "/t/custom")
    assert status == 202 and body == {"accepted": True}
    assert headers["x-request-id"] == "abc"
    assert headers["content-type"].startswith("application/json")


def test_raw_response_is_base64():
    status, data, headers = send("GET", "/t/raw")
    assert status == 200 and data == b"\x89PNG\r\n"
    assert headers["content-type"] == "image/png"


def test_models_serialise_as_json_keeping_chinese():
    answer = ROUTER.handler(function_url_event("GET", "/t/model"), None)
    assert "张三" in answer["body"]  # ensure_ascii=False: readable, and smaller
    assert json.loads(answer["body"]) == [{"name": "张三", "at": "2026-01-01T00:00:00Z"}]


def test_none_result_is_an_empty_body():
    answer = ROUTER.handler(function_url_event("GET", "/t/nothing"), None)
    assert answer["statusCode"] == 200 and answer["body"] == ""


# --- content type, strict types, ranges ---


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/jsonx", "json", None])
def test_a_body_that_is_not_declared_json_is_415(content_type):
    headers = {"content-type": content_type} if content_type else {}
    event = {"httpMethod": "POST", "path": "/t/items", "headers": headers, "body": '{"name": "x"}'}
    status, body, _ = send("", "", event=event)
    assert status == 415 and body["code"] == "UNSUPPORTED_MEDIA_TYPE" and has_chinese(body["message"])
    assert calls == []


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=UTF-8", "application/merge-patch+json"])
def test_json_content_types_are_accepted(content_type):
    # wx.request sends application/json unless told otherwise; WeChat Pay's notifications are application/json.
    event = {"httpMethod": "POST", "path": "/t/items", "headers": {"Content-Type": content_type},
             "body": '{"name": "x"}'}
    assert send("", "", event=event)[0] == 201


def test_an_empty_body_needs_no_content_type():
    event = {"httpMethod": "PUT", "path": "/t/typed", "headers": {}, "body": ""}
    event["httpMethod"] = "POST"
    status, body, _ = send("", "", event=event)
    assert status == 200 and body["amount_fen"] == 0


def test_routes_without_a_body_ignore_one():
    # A body on a GET (or a POST that takes none) is not read: no 400, 413 or 415 for something the route ignores.
    event = function_url_event("GET", "/t/items/5", None, None, None, {"content-type": "text/plain"})
    event["body"] = "x" * (MAX_BODY_BYTES + 10)
    assert send("", "", event=event)[0] == 200
    event["body"], event["isBase64Encoded"] = "!!!", True
    assert send("", "", event=event)[0] == 200


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"amount_fen": "100"}, "amount_fen", "应为整数"),
    ({"amount_fen": 100.0}, "amount_fen", "应为整数"),
    ({"amount_fen": 50000.9}, "amount_fen", "应为整数"),
    ({"amount_fen": True}, "amount_fen", "应为整数"),
    ({"amount_fen": [1]}, "amount_fen", "应为整数"),
    ({"flag": "true"}, "flag", "应为布尔值"),
    ({"flag": 1}, "flag", "应为布尔值"),
    ({"ratio": "0.5"}, "ratio", "应为数字"),
    ({"day": 20200101}, "day", "应为日期"),
    ({"at": 1764036000}, "at", "应为日期时间"),
])
def test_body_types_are_strict(payload, field, message):
    status, body, _ = send("POST", "/t/typed", payload)
    assert status == 422, body
    assert {"field": field, "message": message} in body["errors"]


def test_strict_body_still_reads_json_dates_and_times():
    status, body, _ = send("POST", "/t/typed", {"amount_fen": 100, "flag": True, "ratio": 1, "day": "2026-01-02",
                                                "at": "2026-12-20T18:00:00+08:00"})
    assert status == 200, body
    assert body == {"amount_fen": 100, "flag": True, "ratio": 1.0, "day": "2026-01-02",
                    "at": "2026-12-20T18:00:00+08:00"}


@pytest.mark.parametrize("raw", ['{"ratio": NaN}', '{"ratio": Infinity}', '{"ratio": -Infinity}'])
def test_non_json_numbers_are_400(raw):
    status, body, _ = send("POST", "/t/typed", raw)
    assert status == 400 and body["code"] == "MALFORMED_JSON"


@pytest.mark.parametrize("value", [2**63, -(2**63), 10**30])
def test_integers_beyond_a_bigint_are_422_naming_the_field(value):
    status, body, _ = send("POST", "/t/typed", f'{{"amount_fen": {value}}}')
    assert status == 422 and body["errors"] == [{"field": "amount_fen", "message": "数值超出范围"}]
    assert send("POST", "/t/typed", {"amount_fen": 2**63 - 1})[0] == 200


def test_query_integers_beyond_a_bigint_are_422():
    status, body, _ = send("GET", "/t/range", query={"min_fen": str(2**64)})
    assert status == 422 and body["errors"] == [{"field": "min_fen", "message": "数值超出范围"}]


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59", "-23:59"])
def test_time_zone_offsets_postgresql_cannot_store_are_422(offset):
    status, body, _ = send("POST", "/t/typed", {"at": f"2026-12-20T00:00:00{offset}"})
    assert status == 422 and body["errors"] == [{"field": "at", "message": "时区偏移须在 -15:59 到 +15:59 之间"}]


@pytest.mark.parametrize("offset", ["+15:59", "-15:59", "Z", "+08:00"])
def test_time_zone_offsets_postgresql_stores_are_accepted(offset):
    assert send("POST", "/t/typed", {"at": f"2026-12-20T00:00:00{offset}"})[0] == 200


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+15:00", "9999-12-31T23:59:59-15:00"])
def test_instants_outside_pythons_range_in_utc_are_422(at):
    status, body, _ = send("POST", "/t/typed", {"at": at})
    assert status == 422 and body["errors"][0]["field"] == "at"


def test_enum_messages_are_chinese_without_english_or_quotes():
    status, body, _ = send("GET", "/t/range", query={"sort": "best"})
    assert status == 422
    assert body["errors"] == [{"field": "sort", "message": "取值应为 newest、reward、deadline 之一"}]


def test_database_unavailable_is_503_and_a_database_bug_is_500(caplog):
    status, body, _ = send("GET", "/t/db-down")
    assert status == 503 and body == {"code": "DATABASE_UNAVAILABLE", "message": "服务繁忙，请稍后再试"}
    status, body, _ = send("GET", "/t/integrity")
    assert status == 500 and body["code"] == "INTERNAL"


# --- messages ---


def test_field_path_drops_the_location_prefix():
    assert messages.field_path(("body", "links", 0, "url")) == "links.0.url"
    assert messages.field_path(("query", "limit")) == "limit"


def test_message_for_unknown_type_and_bad_context():
    assert messages.message_for({"type": "something_new"}) == "取值无效"
    # A template whose context is missing falls back to its text before the placeholder.
    assert messages.message_for({"type": "string_too_short", "ctx": {}}) == "长度至少为"
    assert messages.message_for({"type": "value_error", "ctx": {"error": "Value error, 手机号格式不正确"}}) == \
        "手机号格式不正确"


def test_every_message_is_chinese():
    for key, template in messages._MESSAGES.items():
        if key in ("value_error", "assertion_error"):
            continue
        assert has_chinese(template), key


# --- property: nothing a client sends makes a 500 ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15,
)
bodies = st.one_of(
    st.none(),
    st.text(max_size=60),
    json_values.map(json.dumps),
    st.dictionaries(st.sampled_from(["name", "count", "tags", "when", "x"]), json_values, max_size=5).map(json.dumps),
)
paths = st.one_of(
    st.sampled_from(["/t/items", "/t/items/1", "/t/search", "/t/me", "/t/maybe", "/t/admin", "/t/either",
                     "/t/slugs/x/detail", "/t/model", "/t/typed", "/t/range"]),
    st.text(max_size=30).map(lambda s: "/t/" + s),
    st.text(max_size=30),
)
queries = st.one_of(st.none(), st.text(max_size=40),
                    st.dictionaries(st.sampled_from(["q", "limit", "flag", "zz"]), st.text(max_size=10), max_size=4))
auth_headers = st.one_of(st.none(), st.text(max_size=30), st.text(max_size=30).map(lambda s: "Bearer " + s))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""]), path=paths,
       body=bodies, query=queries, authorization=auth_headers, b64=st.booleans(),
       content_type=st.sampled_from([None, "application/json", "application/json", "text/plain", ""]))
def test_random_requests_never_500(method, path, body, query, authorization, b64, content_type):
    raw = body
    if b64 and body is not None:
        raw = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    headers = {"authorization": authorization} if authorization is not None else {}
    if content_type is not None:
        headers["content-type"] = content_type
    event = {"httpMethod": method, "path": path, "headers": headers, "body": raw, "isBase64Encoded": b64,
             "queryString": query if query is not None else {}}
    answer = ROUTER.handler(event, None)
    assert answer["statusCode"] < 500 or path.endswith("/t/boom"), answer
    if answer["body"] and not answer["isBase64Encoded"]:
        payload = json.loads(answer["body"])
        if answer["statusCode"] >= 400:
            assert isinstance(payload["code"], str) and has_chinese(payload["message"])


@pytest.mark.parametrize("value", ["0.5", "1764036000", "1764036000.5", "tomorrow", "2026-12-20"])
def test_a_timestamp_is_iso_8601_not_unix_seconds(value):
    status, body, _ = send("POST", "/t/typed", {"at": value})
    assert status == 422 and body["errors"][0]["field"] == "at", body
