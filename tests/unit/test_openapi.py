"""The OpenAPI document is valid 3.1, covers every route, and the committed copy in docs/ is current."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from shared.http.openapi import build_openapi, http_routers, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_document_is_valid_openapi_31():
    doc = build_openapi()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_route_is_documented_with_errors():
    doc = build_openapi()
    for router in http_routers():
        for route in router.routes:
            if not route.in_schema:  # the console's HTML pages (shared/console) are not the JSON API
                assert route.path.startswith("/admin/console")
                assert not any(p.startswith("/admin/console") for p in doc["paths"])
                continue
            op = doc["paths"][route.openapi_path][route.method.lower()]
            assert op["summary"] == route.summary
            if route.body is not None and not route.raw_body:
                assert "422" in op["responses"] and "400" in op["responses"]
            if route.auth is True:
                assert "401" in op["responses"]


def test_committed_copy_is_current():
    assert DOC.exists(), "run `make openapi`"
    assert json.loads(DOC.read_text(encoding="utf-8")) == json.loads(render()), (
        "docs/openapi.json is stale: run `make openapi` and commit it")
