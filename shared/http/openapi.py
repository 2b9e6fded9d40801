"""The OpenAPI 3.1 document, generated from the route definitions of every HTTP function.

Served by the local gateway at /openapi.json and kept in docs/openapi.json (`make openapi`);
tests/unit/test_openapi.py fails when the committed copy is stale.

Every operation lists every status it can answer, each with the error schema and the error codes it may carry (as
an enum, so a client generator — or the fuzzer — can check them) and an example per code:
- the statuses the router answers for the route (its pipeline: body → 400/413/415/422, token → 401, account and
  roles → 403, path parameters → 404, database → 503) come from shared/http/raising.py reading the router itself;
- the codes a route declares in `errors=(…)` get their statuses from where those codes are raised.
tests/unit/test_openapi_statuses.py checks the declarations against the call graph of each handler.
Descriptions are Chinese (shared/http/glossary.py); every request and response body has an example
(shared/http/examples.py).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from shared.http import glossary
from shared.http.examples import example
from shared.http.raising import CallGraph, Outcome, catalogue, route_answers
from shared.http.router import Route, Router, pipeline

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
_REF = "#/components/schemas/{model}"

_ERROR_SCHEMA = {
    "type": "object",
    "description": "错误响应：code 稳定，可据此分支处理；message 为中文，可直接展示给用户",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "稳定的错误码"},
        "message": {"type": "string", "description": "中文错误信息"},
        "errors": {"type": "array", "description": "逐字段的校验错误（422）", "items": {
            "type": "object", "properties": {"field": {"type": "string", "description": "出错的字段"},
                                             "message": {"type": "string", "description": "中文说明"}}}},
    },
}
STATUS_TEXT = {200: "成功", 201: "已创建", 400: "请求格式有误", 401: "未登录或登录已过期", 403: "无权操作",
               404: "资源不存在", 405: "不支持该请求方法", 409: "状态冲突", 413: "请求体过大",
               415: "请求体不是 JSON", 422: "参数校验失败", 429: "操作过于频繁", 500: "服务器错误",
               503: "服务暂时不可用，请稍后重试"}
SERVERS = [
    {"url": "https://{domain}", "description": "生产环境：自定义域名按一级路径转发到各云函数的函数 URL",
     "variables": {"domain": {"default": "api.codelink.example.com", "description": "自定义域名（见部署文档）"}}},
    {"url": "http://127.0.0.1:9000", "description": "本地开发（make dev；CODELINK_PORT_BASE 可改端口）"},
]
_ROLE_NAMES = {"developer": "开发者", "merchant": "商家", "admin": "管理员"}


def http_routers() -> list[Router]:
    routers = []
    for index in sorted(FUNCTIONS_DIR.glob("*/index.py")):
        module = importlib.import_module(f"functions.{index.parent.name}.index")
        router = getattr(module, "router", None) or getattr(getattr(module, "main_handler", None), "__self__", None)
        if isinstance(router, Router):
            routers.append(router)
    return routers


def _schema(annotation: Any, defs: dict[str, Any], mode: str = "serialization") -> dict[str, Any]:
    schema = TypeAdapter(annotation).json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
    defs.update(schema.pop("$defs", {}))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        defs[annotation.__name__] = schema
        return {"$ref": _REF.format(model=annotation.__name__)}
    return schema


def _input_schema(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    """A request model's schema as validation sees it (input mode: defaults are optional fields)."""
    schema = model.model_json_schema(ref_template=_REF, mode="validation", by_alias=True)
    defs.update(schema.pop("$defs", {}))
    return schema


class ErrorTable:
    """What each operation may answer: {status: {code: example message}}."""

    def __init__(self, graph: CallGraph | None = None) -> None:
        self.graph = graph or CallGraph()
        self.codes = catalogue(self.graph)

    def router_outcomes(self, route: Route) -> frozenset[Outcome]:
        return self.graph.answers(pipeline(route))

    def for_route(self, route: Route) -> dict[int, dict[str, str]]:
        table: dict[int, dict[str, str]] = {}
        for o in _ordered(self.router_outcomes(route)):  # the first raise site's message is the example
            table.setdefault(o.status or 0, {}).setdefault(o.code, o.message)
        found = _ordered(route_answers(self.graph, route))
        for code in route.errors:
            # A declared code has the statuses it is raised with on this route's paths (ACCOUNT_BANNED is 401 at
            # login, 403 from the router); a code the analysis cannot reach keeps the statuses it has anywhere.
            here: dict[int, str] = {}
            for o in found:
                if o.code == code and o.status is not None:
                    here.setdefault(o.status, o.message)
            for status, message in (here or self.codes.get(code, {})).items():
                table.setdefault(status, {}).setdefault(code, message)
        for status in route.answers:
            table.setdefault(status, {})
        return {status: dict(sorted(codes.items())) for status, codes in sorted(table.items())}


def _ordered(outcomes: frozenset[Outcome]) -> list[Outcome]:
    return sorted(outcomes, key=lambda o: (o.status or 0, o.code, o.where, o.message))


def _error_response(status: int, codes: dict[str, str], route: Route, defs: dict[str, Any]) -> dict[str, Any]:
    names = [c for c in codes if c]
    own = route.answers.get(status)
    description = own or STATUS_TEXT.get(status, "错误")
    if names:
        description += "。错误码：" + "、".join(names)
    error_schema: dict[str, Any] = {"$ref": _REF.format(model="Error")}
    if names:
        error_schema = {"allOf": [error_schema, {"properties": {"code": {"enum": names}}}]}
    examples: dict[str, Any] = {}
    for code, message in codes.items():
        if not code:
            continue
        value: dict[str, Any] = {"code": code, "message": message}
        if status == 422:
            value["errors"] = [{"field": "cursor" if code == "INVALID_CURSOR" else "reward_fen",
                                "message": "分页游标无效" if code == "INVALID_CURSOR" else "应为整数"}]
            if code == "VALIDATION_FAILED":
                value["message"] = "参数校验失败：reward_fen 应为整数"
        # One shared example per code (components/examples), referenced by every operation that may answer it.
        defs.setdefault("#examples", {}).setdefault(code, {"summary": message, "value": value})
        examples[code] = {"$ref": f"#/components/examples/{code}"}
    if own is not None and route.response is not None:
        # The handler answers this status itself, in its own response shape (the WeChat Pay webhook's FAIL).
        own_schema = _schema(route.response, defs)
        schema = {"anyOf": [own_schema, error_schema]} if names else own_schema
        examples["FAIL"] = {"summary": own, "value": {"code": "FAIL", "message": own}}
    else:
        schema = error_schema
    return {"description": description, "content": {"application/json": {"schema": schema, "examples": examples}}}


def _description(route: Route) -> str:
    parts = []
    doc = (route.handler.__doc__ or "").strip()
    if doc and any("\u4e00" <= ch <= "\u9fff" for ch in doc):
        parts.append(doc.splitlines()[0])
    if route.auth is True:
        parts.append("需要登录：请求头 Authorization: Bearer <access_token>。")
    elif route.auth == "optional":
        parts.append("可不登录；带上登录凭证时按当前用户的权限返回。")
    else:
        parts.append("无需登录。")
    if route.roles:
        parts.append(f"仅限{'或'.join(_ROLE_NAMES.get(r, r) for r in route.roles)}。")
    if route.body is not None and not route.raw_body:
        parts.append("请求体为 JSON（Content-Type: application/json），类型严格："
                     "整数须为 JSON 整数，不接受字符串或小数。")
    return "".join(parts)


def _describe(schema: dict[str, Any], name: str) -> None:
    if "description" not in schema and name in glossary.FIELDS:
        schema["description"] = glossary.FIELDS[name]


def _operation(route: Route, defs: dict[str, Any], errors: ErrorTable) -> dict[str, Any]:
    module = route.handler.__module__.split(".")[1]
    op: dict[str, Any] = {"summary": route.summary, "description": _description(route), "tags": list(route.tags),
                          "operationId": f"{module}_{route.handler.__name__}"}
    params: list[dict[str, Any]] = []
    for name, conv in route.converters.items():
        schema = ({"type": "integer", "minimum": 0, "maximum": 10**18 - 1} if conv is int
                  else {"type": "string", "minLength": 1, "pattern": "^[^/]+$"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema,
                       "description": glossary.PATH_PARAMS.get(name, name),
                       "example": 1001 if conv is int else ("2026-11-24" if name == "bill_date" else "示例")})
    if route.query is not None:
        q = _input_schema(route.query, defs)
        for name, prop in q.get("properties", {}).items():
            _describe(prop, name)
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in q.get("required", []),
                                     "schema": prop, "description": prop.get("description", name)}
            if prop.get("type") == "array" or any(o.get("type") == "array" for o in prop.get("anyOf", [])):
                param.update(style="form", explode=False)  # tags=python,vue
            params.append(param)
    if route.headers is not None:
        h = _input_schema(route.headers, defs)
        for name, prop in h.get("properties", {}).items():
            params.append({"name": name, "in": "header", "required": name in h.get("required", []),
                           "schema": {k: v for k, v in prop.items() if k not in ("examples", "title")},
                           "description": prop.get("description", name),
                           **({"example": prop["examples"][0]} if prop.get("examples") else {})})
    if params:
        op["parameters"] = params
    if route.body is not None:
        body_schema = _schema(route.body, defs, mode="validation")
        # An empty body reads as {}: the body is required only when {} would not do (the model has required fields).
        needed = route.raw_body or bool(route.body.model_json_schema(mode="validation").get("required"))
        op["requestBody"] = {"required": needed, "description": "JSON 请求体（可省略时按 {} 处理）" if not needed
                             else "JSON 请求体",
                             "content": {"application/json": {"schema": body_schema,
                                                              "example": example(body_schema, defs)}}}
    ok: dict[str, Any] = {"description": STATUS_TEXT.get(route.status, "成功")}
    if route.response is not None:
        schema = _schema(route.response, defs)
        value = example(schema, defs)
        if route.raw_body and isinstance(value, dict) and "code" in value:
            value = {"code": "SUCCESS"}
        ok["content"] = {"application/json": {"schema": schema, "example": value}}
    responses: dict[str, Any] = {str(route.status): ok}
    for status, codes in errors.for_route(route).items():
        if status != route.status:
            responses[str(status)] = _error_response(status, codes, route, defs)
    op["responses"] = dict(sorted(responses.items()))
    if route.errors:
        op["x-error-codes"] = list(route.errors)
    if route.auth is True:
        op["security"] = [{"bearer": []}]
    elif route.auth == "optional":
        op["security"] = [{"bearer": []}, {}]
    return op


def _describe_properties(defs: dict[str, Any]) -> None:
    for schema in defs.values():
        for name, prop in schema.get("properties", {}).items():
            _describe(prop, name)
        if "description" not in schema and schema.get("title"):
            schema["description"] = glossary.FIELDS.get(schema["title"], schema.get("description", ""))
            if not schema["description"]:
                del schema["description"]


def build_openapi() -> dict[str, Any]:
    defs: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    errors = ErrorTable()
    routers = http_routers()
    for router in routers:
        for route in router.routes:
            if not route.in_schema:  # the console's HTML pages (shared/console) are not the JSON API
                continue
            paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(route, defs, errors)
    examples = defs.pop("#examples", {})
    _describe_properties(defs)
    tags = sorted({t for r in routers for t in r.tags})
    return {
        "openapi": "3.1.0",
        "info": {"title": "CodeLink API", "version": "1.0.0",
                 "description": "程序员兼职任务平台的后端接口。每个一级路径对应一个云函数（函数 URL），生产环境经同一个"
                                "自定义域名按路径转发。金额一律为整数“分”，时间为带时区的 ISO 8601。错误响应为 "
                                "{code, message}：code 稳定，message 为中文。"},
        "servers": SERVERS,
        "tags": [{"name": t, "description": glossary.TAGS.get(t, t)} for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(defs.items())), "examples": dict(sorted(examples.items())),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "登录接口返回的 access_token"}}},
    }


def render() -> str:
    return json.dumps(build_openapi(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
