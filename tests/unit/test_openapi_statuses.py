"""Every status a route can answer — and every error code it can carry — is declared by its operation in the OpenAPI
document. The oracle is the code, not a list kept by hand: the router's steps for the route and the call graph of its
handler (shared/http/raising.py) say what can be raised; the document says what is declared (from the routes'
`errors=(…)`). A failure names the route, the status and code, and the call path that raises it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.errors import Conflict
from shared.http.openapi import ErrorTable, _operation, build_openapi, http_routers
from shared.http.raising import CallGraph, route_answers
from shared.http.router import Request, Router

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def graph() -> CallGraph:
    return CallGraph()


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_openapi()


def declared_codes(operation: dict[str, Any], status: int) -> set[str]:
    response = operation["responses"].get(str(status), {})
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            code = node.get("properties", {}).get("code", {})
            found |= set(code.get("enum", []))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def undeclared(graph: CallGraph, route: Any, operation: dict[str, Any]) -> list[str]:
    """What the route can answer that its operation does not declare, each with the call path that answers it."""
    problems: list[str] = []
    seen: set[tuple[int | None, str]] = set()
    for o in sorted(route_answers(graph, route), key=lambda o: (o.status or 0, o.code, o.where)):
        assert o.status is not None
        if (o.status, o.code) in seen:
            continue
        seen.add((o.status, o.code))
        where = " → ".join(graph.explain(route.handler, o)) or o.where
        if str(o.status) not in operation["responses"]:
            problems.append(f"{route.method} {route.path}: status {o.status} ({o.code or 'handler answer'}) "
                            f"is not declared; raised via {where}")
        elif o.code and o.code not in declared_codes(operation, o.status):
            problems.append(f"{route.method} {route.path}: error code {o.code} ({o.status}) is not declared — add it "
                            f"to errors=(…); raised via {where}")
    return problems


def api_routes(router):
    """The JSON API's routes; the console's HTML pages answer errors as pages and are not in the document."""
    return [route for route in router.routes if route.in_schema]


def test_every_status_and_code_a_route_can_answer_is_declared(graph, doc):
    problems = []
    for router in http_routers():
        for route in api_routes(router):
            problems += undeclared(graph, route, doc["paths"][route.openapi_path][route.method.lower()])
    assert not problems, "\n".join(problems)


def test_the_committed_document_declares_them_too(graph):
    committed = json.loads(DOC.read_text(encoding="utf-8"))
    problems = []
    for router in http_routers():
        for route in api_routes(router):
            operation = committed["paths"].get(route.openapi_path, {}).get(route.method.lower())
            assert operation is not None, f"{route.method} {route.path} missing: run `make openapi`"
            problems += undeclared(graph, route, operation)
    assert not problems, "run `make openapi`:\n" + "\n".join(problems)


def test_declared_codes_can_be_raised_on_the_route(graph):
    """A declared code the route can never raise is a stale (or misspelt) declaration."""
    stale = []
    for router in http_routers():
        for route in api_routes(router):
            reachable = {o.code for o in route_answers(graph, route)}
            stale += [f"{route.method} {route.path}: {code}" for code in route.errors if code not in reachable]
    assert not stale, "declared but never raised on these routes:\n" + "\n".join(stale)


@pytest.mark.parametrize("status", ["409", "413", "415", "422", "429", "503", "401", "403", "404", "400"])
def test_the_statuses_the_issue_names_are_declared_where_they_occur(doc, status):
    assert any(status in op["responses"] for path in doc["paths"].values() for op in path.values())


def test_a_route_that_raises_an_undeclared_status_fails_the_check():
    """The check itself: a handler that can raise a 409 its route does not declare is reported, with the path."""
    graph = CallGraph(packages=("shared", "functions", "tests"))
    router = Router("demo")

    @router.post("/demo/{item_id:int}/claim", summary="领取", auth=False)
    def claim(req: Request) -> None:
        _take(req.params["item_id"])

    [route] = router.routes
    operation = _operation(route, {}, ErrorTable(graph))
    problems = undeclared(graph, route, operation)
    assert len(problems) == 1 and "status 409" in problems[0] and "ITEM_TAKEN" in problems[0], problems
    assert "_take" in problems[0]
    router.routes.clear()

    @router.post("/demo/{item_id:int}/claim", summary="领取", auth=False, errors=("ITEM_TAKEN",))
    def claim_declared(req: Request) -> None:
        _take(req.params["item_id"])

    [route] = router.routes
    assert undeclared(graph, route, _operation(route, {}, ErrorTable(graph))) == []


def _take(item_id: int) -> None:
    raise Conflict("ITEM_TAKEN", "已被领取")
