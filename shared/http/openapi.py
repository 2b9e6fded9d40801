"""The OpenAPI 3.1 document, generated from the route definitions of every HTTP function.

Served by the local gateway at /openapi.json and kept in docs/openapi.json (`make openapi`);
tests/unit/test_openapi.py fails when the committed copy is stale.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from shared.http.router import Route, Router

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
_REF = "#/components/schemas/{model}"

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "稳定的错误码"},
        "message": {"type": "string", "description": "中文错误信息"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
_STATUS_TEXT = {400: "请求格式有误", 401: "未登录或登录已过期", 403: "无权操作", 404: "资源不存在",
                409: "状态冲突", 422: "参数校验失败", 429: "操作过于频繁"}


def http_routers() -> list[Router]:
    routers = []
    for index in sorted(FUNCTIONS_DIR.glob("*/index.py")):
        module = importlib.import_module(f"functions.{index.parent.name}.index")
        router = getattr(module, "router", None) or getattr(getattr(module, "main_handler", None), "__self__", None)
        if isinstance(router, Router):
            routers.append(router)
    return routers


def _schema(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(annotation).json_schema(ref_template=_REF, mode="serialization")
    defs.update(schema.pop("$defs", {}))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        defs[annotation.__name__] = schema
        return {"$ref": _REF.format(model=annotation.__name__)}
    return schema


def _operation(route: Route, defs: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": route.summary, "tags": list(route.tags),
                          "operationId": f"{route.handler.__module__.split('.')[1]}_{route.handler.__name__}"}
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "integer" if conv is int else "string"}}
              for name, conv in route.converters.items()]
    if route.query is not None:
        q = route.query.model_json_schema(ref_template=_REF)
        defs.update(q.pop("$defs", {}))
        for name, prop in q.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in q.get("required", []), "schema": prop,
                           **({"description": prop["description"]} if "description" in prop else {})})
    if params:
        op["parameters"] = params
    if route.body is not None and not route.raw_body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _schema(route.body, defs)}}}
    ok: dict[str, Any] = {"description": "成功"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(route.response, defs)}}
    responses: dict[str, Any] = {str(route.status): ok}
    errors = {422} if (route.body or route.query) else set()
    if route.body is not None:
        errors.add(400)
    if route.auth is True:
        errors.add(401)
    if route.roles:
        errors.add(403)
    if route.converters:
        errors.add(404)
    for status in sorted(errors):
        responses[str(status)] = {"description": _STATUS_TEXT[status],
                                  "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}}}
    op["responses"] = responses
    if route.errors:
        op["x-error-codes"] = list(route.errors)
    if route.auth is True:
        op["security"] = [{"bearer": []}]
    elif route.auth == "optional":
        op["security"] = [{"bearer": []}, {}]
    return op


def build_openapi() -> dict[str, Any]:
    defs: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for router in http_routers():
        for route in router.routes:
            if not route.in_schema:
                continue
            paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(route, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "CodeLink API", "version": "1.0.0",
                 "description": "程序员兼职任务平台。每个一级路径对应一个云函数（Function URL）。"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(defs.items())),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def render() -> str:
    return json.dumps(build_openapi(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
