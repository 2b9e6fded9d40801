"""The OpenAPI document is valid 3.1, covers every route, and is something the mini-program team can build from:
`servers`, Chinese descriptions everywhere, an example for every request and response body (each one accepted by the
model it illustrates, validated the way the router validates), every error response with its schema, codes and an
example per code. The committed copy in docs/ is current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import TypeAdapter

from shared.http.openapi import build_openapi, http_routers, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_openapi()


def routes():
    """The JSON API's routes (the console's HTML pages are routes too, but not part of the document)."""
    return [route for router in http_routers() for route in router.routes if route.in_schema]


def test_the_console_pages_are_left_out_of_the_document(doc):
    pages = [r for router in http_routers() for r in router.routes if not r.in_schema]
    html = ("/admin/console", "/verify", "/reports/cards/")  # the console; the public report and resume card pages
    assert pages and all(r.path.startswith(html) for r in pages)
    # None of them is documented (the resume card's JSON twin, /reports/cards/{id}/data, is an API route and is).
    assert not any(r.method.lower() in doc["paths"].get(r.openapi_path, {}) for r in pages)


def operation(doc: dict[str, Any], route: Any) -> dict[str, Any]:
    return doc["paths"][route.openapi_path][route.method.lower()]


def test_document_is_valid_openapi_31(doc):
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_servers_name_production_and_local(doc):
    urls = [s["url"] for s in doc["servers"]]
    assert urls[0].startswith("https://") and any(u.startswith("http://127.0.0.1") for u in urls)
    assert all(chinese(s["description"]) for s in doc["servers"])


def test_every_route_is_documented_with_errors(doc):
    for route in routes():
        op = operation(doc, route)
        assert op["summary"] == route.summary
        if route.body is not None and not route.raw_body:
            assert {"400", "413", "415", "422"} <= set(op["responses"]), route.path
        if route.auth is True:
            assert "401" in op["responses"]
        assert "503" in op["responses"]  # every route reads the database


def test_descriptions_are_chinese(doc):
    assert chinese(doc["info"]["description"])
    assert all(chinese(t["description"]) for t in doc["tags"])
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            where = f"{method.upper()} {path}"
            assert chinese(op["summary"]) and chinese(op["description"]), where
            for param in op.get("parameters", []):
                assert chinese(param.get("description", "")), (where, param["name"])
            for status, response in op["responses"].items():
                assert chinese(response["description"]), (where, status)
    for name, schema in doc["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            assert chinese(spec.get("description", "")), f"{name}.{prop}: add Field(description=…) or a glossary entry"


def test_every_request_body_has_an_example_the_router_accepts(doc):
    for route in routes():
        if route.body is None:
            continue
        media = operation(doc, route)["requestBody"]["content"]["application/json"]
        assert "example" in media, route.path
        text = json.dumps(media["example"], ensure_ascii=False)
        if route.raw_body:
            route.body.model_validate_json(text)
        else:
            route.body.model_validate_json(text, strict=True)  # what the router does with a request body


def test_every_response_body_has_an_example_of_its_model(doc):
    for route in routes():
        ok = operation(doc, route)["responses"][str(route.status)]
        if route.response is None:
            continue
        media = ok["content"]["application/json"]
        assert "example" in media, route.path
        TypeAdapter(route.response).validate_json(json.dumps(media["example"], ensure_ascii=False))


def test_every_error_response_has_the_error_schema_codes_and_an_example_per_code(doc):
    own = {(r.openapi_path, r.method.lower(), str(s)) for r in routes() for s in r.answers}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            for status, response in op["responses"].items():
                if int(status) < 400:
                    continue
                media = response["content"]["application/json"]
                if (path, method, status) in own:  # the handler's own answer (the webhook's FAIL), in its own schema
                    assert media["examples"]["FAIL"]["value"]["code"] == "FAIL"
                    if "Error" not in json.dumps(media["schema"]):
                        continue
                assert "Error" in json.dumps(media["schema"]), (method, path, status)
                enum: list[str] = []
                stack: list[Any] = [media["schema"]]
                while stack:
                    node = stack.pop()
                    if isinstance(node, dict):
                        enum += node.get("properties", {}).get("code", {}).get("enum", [])
                        stack.extend(node.values())
                    elif isinstance(node, list):
                        stack.extend(node)
                assert enum, (method, path, status)
                for code in enum:
                    ref = media["examples"][code]["$ref"].rsplit("/", 1)[-1]
                    example = doc["components"]["examples"][ref]["value"]
                    assert example["code"] == code and chinese(example["message"]), (method, path, status, code)


def test_the_issue_6_codes_are_documented_where_they_happen(doc):
    def codes(path: str, method: str, status: str) -> set[str]:
        return set(doc["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"])


    assert "INVALID_CURSOR" in codes("/tasks", "get", "422")
    assert "INVALID_CURSOR" in codes("/disputes/queue", "get", "422")
    assert "UNSUPPORTED_MEDIA_TYPE" in codes("/tasks", "post", "415")
    assert "JOB_NOT_FOUND" in codes("/admin/jobs/{job_id}/retry", "post", "404")
    assert "DAILY_APPLICATION_CAP" in codes("/applications", "post", "429")
    assert "DATABASE_UNAVAILABLE" in codes("/tasks", "get", "503")
    assert "PAYLOAD_TOO_LARGE" in codes("/profiles/developer", "put", "413")


def test_the_webhook_documents_wechat_pays_headers_and_answers(doc):
    op = doc["paths"]["/payments/notify"]["post"]
    assert {p["name"] for p in op["parameters"] if p["in"] == "header"} == {
        "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"}
    assert {"200", "400", "401", "404", "415", "500"} <= set(op["responses"])
    assert op["responses"]["200"]["content"]["application/json"]["example"] == {"code": "SUCCESS"}


def test_committed_copy_is_current():
    assert DOC.exists(), "run `make openapi`"
    assert json.loads(DOC.read_text(encoding="utf-8")) == json.loads(render()), (
        "docs/openapi.json is stale: run `make openapi` and commit it")
