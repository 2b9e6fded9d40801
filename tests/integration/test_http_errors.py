"""How the real functions answer bad requests: status, stable code, Chinese message, the failing field. And a
property: whatever junk a client sends (body, path, query, token), no function answers 500."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from shared.auth import tokens
from shared.http.router import MAX_BODY_BYTES
from tests.support.api import call, function_url_event
from tests.support.db import uniq


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(r, status: int, code: str | None = None) -> None:
    assert r.status == status, r.body
    assert isinstance(r.body, dict) and isinstance(r["code"], str) and r["code"]
    assert chinese(r["message"]), r.body
    assert r.headers["content-type"].startswith("application/json")
    if code is not None:
        assert r["code"] == code


@pytest.fixture
def dev(world):
    return world.developer(uniq("dev"))


# --- 400 ---


@pytest.mark.parametrize(("path", "raw"), [("/auth/wechat", "{"), ("/auth/sms/send", "{'phone': '1'}"),
                                           ("/auth/refresh", "refresh_token=abc"), ("/auth/wechat", "{\"code\": }")])
def test_malformed_json_is_400(world, path, raw):
    r = call("POST", path, raw)
    assert_error(r, 400, "MALFORMED_JSON")
    assert r["message"] == "请求体不是合法的 JSON"


def test_malformed_json_with_token_is_400(world, dev):
    r = call("PUT", "/profiles/developer", "{\"display_name\": \"x\"", dev.token)
    assert_error(r, 400, "MALFORMED_JSON")


@pytest.mark.parametrize("raw", ["[\"13800138000\"]", "\"13800138000\"", "13800138000", "null", "true"])
def test_body_that_is_not_an_object_is_400(world, raw):
    r = call("POST", "/auth/sms/send", raw)
    assert_error(r, 400, "MALFORMED_JSON")
    assert r["message"] == "请求体应为 JSON 对象"


def test_absurdly_nested_json_is_400_not_500(world, dev):
    r = call("PUT", "/profiles/developer", "[" * 50_000, dev.token)
    assert_error(r, 400, "MALFORMED_JSON")
    r = call("POST", "/auth/wechat", "{\"code\": " * 20_000)
    assert_error(r, 400, "MALFORMED_JSON")


# --- 422 ---


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/auth/sms/send", {"phone": 13800138000}, "phone", "应为字符串"),
        ("/auth/sms/send", {}, "phone", "必填"),
        ("/auth/sms/login", {"phone": "13800138000"}, "code", "必填"),
        ("/auth/sms/login", {"phone": "13800138000", "code": 123456}, "code", "应为字符串"),
        ("/auth/refresh", {}, "refresh_token", "必填"),
        ("/auth/refresh", {"refresh_token": "short"}, "refresh_token", "长度至少为 10"),
        ("/auth/wechat", {"code": None}, "code", "应为字符串"),
        ("/auth/wechat", {"code": ["a"]}, "code", "应为字符串"),
    ],
)
def test_wrong_type_or_missing_field_is_422_naming_it(world, path, body, field, message):
    r = call("POST", path, body)
    assert_error(r, 422, "VALIDATION_FAILED")
    assert {"field": field, "message": message} in r["errors"]
    assert r["message"] == f"参数校验失败：{r['errors'][0]['field']} {r['errors'][0]['message']}"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"display_name": "x", "skills": ["python"], "years_experience": "很多"}, "years_experience", "应为整数"),
        ({"display_name": "x", "skills": "python"}, "skills", "应为数组"),
        ({"display_name": "x", "skills": [1]}, "skills.0", "应为字符串"),
        ({"display_name": "x", "skills": ["python"], "links": {"title": "x"}}, "links", "应为数组"),
        ({"display_name": "x", "skills": ["python"], "links": ["https://x.com"]}, "links.0", "应为对象"),
        ({"skills": ["python"]}, "display_name", "必填"),
        ({"display_name": "x", "skills": ["python"], "experience": [{"title": "t", "start": "2020-13-01"}]},
         "experience.0.start", None),
    ],
)
def test_profile_field_errors_name_the_nested_field(world, dev, body, field, message):
    r = call("PUT", "/profiles/developer", body, dev.token)
    assert_error(r, 422, "VALIDATION_FAILED")
    errors = {e["field"]: e["message"] for e in r["errors"]}
    assert field in errors, r["errors"]
    assert chinese(errors[field])
    if message is not None:
        assert errors[field] == message


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("PUT", "/profiles/developer", {"display_name": "a\x00b", "skills": ["python"]}),
     ("PUT", "/profiles/merchant", {"name": "店\x00"}),
     ("POST", "/notifications/subscriptions", {"template_ids": ["tmpl\x00"]}),
     ("PUT", "/profiles/developer", {"display_name": "x", "skills": ["python"], "bio": "\ud800"})],
)
def test_text_postgres_cannot_store_is_422_not_500(world, dev, method, path, body):
    r = call(method, path, json.dumps(body), dev.token)
    assert_error(r, 422, "VALIDATION_FAILED")


def test_query_errors_are_422(world, dev):
    r = call("GET", "/notifications", token=dev.token, query={"limit": "lots"})
    assert_error(r, 422, "VALIDATION_FAILED")
    assert r["errors"] == [{"field": "limit", "message": "应为整数"}]


# --- 404 / 405 / 413 ---


@pytest.mark.parametrize("path", ["/auth/nothing", "/auth", "/auth/wechat/extra", "/profiles/unknown",
                                  "/profiles/developers/abc", "/notifications/1/unread", "/notifications/x/read"])
def test_unknown_route_is_404(world, path):
    method = "GET" if "read" not in path else "POST"
    r = call(method, path)
    assert_error(r, 404, "NOT_FOUND")
    assert r["message"] == "接口不存在"


@pytest.mark.parametrize(("method", "path"), [("GET", "/auth/wechat"), ("PUT", "/auth/sms/send"),
                                              ("DELETE", "/auth/me"), ("POST", "/profiles/skills"),
                                              ("DELETE", "/notifications"), ("GET", "/notifications/read-all"),
                                              ("PATCH", "/profiles/developer")])
def test_wrong_method_is_405(world, method, path):
    r = call(method, path)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")


def test_huge_body_is_413(world, dev):
    big = {"display_name": "x", "skills": ["python"], "bio": "长" * (MAX_BODY_BYTES // 3 + 1)}
    r = call("PUT", "/profiles/developer", big, dev.token)
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    r = call("POST", "/auth/wechat", {"code": "x" * (MAX_BODY_BYTES + 1)})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


# --- 401 / 403 ---


@pytest.mark.parametrize(("method", "path"), [("GET", "/auth/me"), ("PUT", "/profiles/developer"),
                                              ("GET", "/profiles/merchant"), ("GET", "/notifications"),
                                              ("POST", "/notifications/subscriptions"), ("POST", "/tasks"),
                                              ("GET", "/admin/rules")])
def test_missing_token_is_401(world, method, path):
    r = call(method, path, {})
    assert_error(r, 401, "UNAUTHORIZED")
    assert r["message"] == "请先登录"


def test_garbage_token_is_401(world):
    for token in ("garbage", "a.b.c", "签名.签名.签名"):
        r = call("GET", "/auth/me", token=token)
        assert_error(r, 401, "INVALID_TOKEN")
    r = call("GET", "/auth/me", headers={"authorization": "Basic dXNlcjpwYXNz"})
    assert_error(r, 401, "INVALID_TOKEN")


def test_wrong_role_is_403(world, dev):
    r = call("POST", "/tasks", world.task_body(), dev.token)
    assert_error(r, 403, "ROLE_REQUIRED")
    assert r["message"].startswith("需要商家") and r["message"].endswith("身份")
    r = call("GET", "/admin/rules", token=dev.token)
    assert_error(r, 403, "ROLE_REQUIRED")
    assert r["message"] == "需要管理员身份"


def test_fresh_user_without_any_role_is_403_on_merchant_routes(world):
    actor = world.login_wechat(uniq("nobody"))
    r = call("GET", "/tasks/mine", token=actor.token)
    assert_error(r, 403, "ROLE_REQUIRED")


# --- property: no junk ever produces a 500 ---

FIELDS = ["code", "phone", "refresh_token", "display_name", "headline", "bio", "city", "skills", "links",
          "experience", "public_fields", "years_experience", "name", "company", "description", "template_ids",
          "title", "url", "start", "end"]
ROUTES = {
    "auth": [("POST", "/auth/wechat"), ("POST", "/auth/sms/send"), ("POST", "/auth/sms/login"),
             ("POST", "/auth/phone/sms"), ("POST", "/auth/phone/wechat"), ("POST", "/auth/refresh"),
             ("POST", "/auth/logout"), ("GET", "/auth/me")],
    "profiles": [("GET", "/profiles/skills"), ("PUT", "/profiles/developer"), ("GET", "/profiles/developer"),
                 ("GET", "/profiles/developers/{n}"), ("PUT", "/profiles/merchant"), ("GET", "/profiles/merchant"),
                 ("GET", "/profiles/merchants/{n}")],
    "notifications": [("GET", "/notifications"), ("POST", "/notifications/{n}/read"),
                      ("POST", "/notifications/read-all"), ("POST", "/notifications/subscriptions")],
}
ALL_ROUTES = [route for routes in ROUTES.values() for route in routes]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["python", "13800138000", "https://example.com", "2020-01-01", "赌博", "\x00", "",
                              "tmpl-task-update", "display_name"]))
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), c,
                                                                                         max_size=4), max_leaves=12)
objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)
texts = st.text(max_size=40) | st.sampled_from(["小王", "全栈工程师", "赌博", "加微信 abc123", "a\x00b", " ", "\ud800"])
dates = st.dates().map(str) | st.text(max_size=12)
plausible = st.fixed_dictionaries({}, optional={
    "code": st.text(alphabet="0123456789", min_size=5, max_size=7) | texts,
    "phone": st.sampled_from(["13800138000", "+8613912345678", "12345"]) | texts,
    "refresh_token": st.text(min_size=10, max_size=60),
    "display_name": texts, "headline": texts, "bio": texts, "city": texts,
    "name": texts, "company": texts, "description": texts,
    "skills": st.lists(st.sampled_from(["python", "vue", "go", "cobol"]) | texts, max_size=4),
    "links": st.lists(st.fixed_dictionaries(
        {"title": texts, "url": st.sampled_from(["https://example.com", "ftp://x", "http://"]) | texts}), max_size=2),
    "experience": st.lists(st.fixed_dictionaries({"title": texts, "start": dates}, optional={
        "end": dates | st.none(), "organization": texts, "description": texts}), max_size=2),
    "public_fields": st.lists(st.sampled_from(["display_name", "bio", "rating", "phone"]), max_size=3),
    "years_experience": st.integers(-5, 70),
    "template_ids": st.lists(st.sampled_from(["tmpl-task-update", "tmpl-application-update"]) | texts, max_size=3),
})
bodies = st.one_of(
    st.none(),
    plausible.map(json.dumps),
    plausible.map(json.dumps),
    st.text(max_size=80),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    json_values.map(json.dumps),
    objects.map(lambda o: json.dumps(o, ensure_ascii=False)),
    objects.map(json.dumps),
)
segments = st.one_of(st.integers(min_value=0, max_value=20).map(str),
                     st.integers(min_value=-5, max_value=10**19).map(str),
                     st.text(max_size=12))


@st.composite
def requests(draw: Any) -> tuple[str, str]:
    """(method, path): mostly a real route with its own method, sometimes a near miss or plain junk."""
    method, template = draw(st.sampled_from(ALL_ROUTES))
    path = template.replace("{n}", draw(segments))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(METHODS)), path.split("/")[1] and "/" + path.split("/")[1] + "/" + draw(
            st.text(max_size=20))
    if kind == 1:
        return draw(st.sampled_from(METHODS)), path + draw(st.sampled_from(["/", "/x", "//"]))
    if kind == 2:
        return draw(st.sampled_from(METHODS)), path
    return method, path


queries = st.dictionaries(st.sampled_from(["limit", "cursor", "unread_only", "x"]) | st.text(max_size=6),
                          st.text(max_size=20) | st.integers().map(str), max_size=4)


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests(), body=bodies, query=queries,
       auth=st.sampled_from(["none", "valid", "valid", "junk", "forged"]), junk=st.text(max_size=40))
def test_random_junk_never_produces_a_500(world, request, body, query, auth, junk):
    method, path = request
    actor = _shared_actor(world)
    if auth == "valid":
        token = actor.token
    elif auth == "junk":
        token = junk or "x"
    elif auth == "forged":
        token = f"{tokens._HEADER}.{junk}.{junk[::-1]}"
    else:
        token = None
    event = function_url_event(method, path, None, token, query)
    event["body"] = body if body is not None else ""
    function = path.strip("/").split("/")[0]
    module = importlib.import_module(f"functions.{function}.index")
    answer = module.main_handler(event, None)
    status = answer["statusCode"]
    note = json.loads(answer["body"]) if answer.get("body") else None
    event_note(f"{status} {note.get('code') if isinstance(note, dict) else ''}")
    assert status < 500, (method, path, body, query, auth, answer)
    text = answer.get("body") or ""
    if status >= 400:
        payload = json.loads(text)
        assert isinstance(payload.get("code"), str) and chinese(payload.get("message", "")), payload


_actors: dict[int, Any] = {}


def _shared_actor(world: Any) -> Any:
    """One logged-in developer per test run of the property (the `world` fixture is set up once for it)."""
    key = id(world)
    if key not in _actors:
        _actors.clear()
        _actors[key] = world.developer(uniq("fuzz"))
    return _actors[key]
