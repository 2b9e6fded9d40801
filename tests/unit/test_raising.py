"""The call-graph analysis behind the OpenAPI statuses (shared/http/raising.py), on code written to exercise each way
an error reaches a route (tests/unit/raising_sample.py)."""

from __future__ import annotations

import inspect

import pytest

from shared.http.raising import CallGraph
from tests.unit import raising_sample as sample

RAISE_LINE = inspect.getsourcelines(sample.direct)[1] + 1  # the raise in direct()


@pytest.fixture(scope="module")
def graph() -> CallGraph:
    return CallGraph(packages=("tests",))


def answered(graph: CallGraph, fn) -> set[tuple[int, str]]:
    return {(o.status, o.code) for o in graph.answers([fn])}


@pytest.mark.parametrize(("fn", "expected"), [
    (sample.direct, {(409, "ITEM_TAKEN")}),
    (sample.through_helper, {(409, "ITEM_TAKEN")}),
    (sample.through_typed_parameter, {(404, "ITEM_NOT_FOUND")}),
    (sample.through_unknown_object, {(429, "SLOW_DOWN")}),
    (sample.passed_as_value, {(409, "ITEM_TAKEN")}),
    (sample.in_lambda, {(409, "ITEM_TAKEN")}),
    (sample.with_local_import, {(403, "NOT_YOURS")}),
    (sample.caught_and_dropped, set()),
    (sample.caught_and_reraised, {(409, "ITEM_TAKEN")}),
    (sample.caught_and_translated, {(401, "TOKEN_EXPIRED"), (401, "TOKEN_FORGED")}),
    (sample.answers_itself, {(200, ""), (404, "")}),
    (sample.field_error, {(422, "VALIDATION_FAILED")}),
    (sample.recursive, {(409, "DEEP")}),
    (sample.shadowed, set()),
])
def test_outcomes_follow_the_call_graph(graph, fn, expected):
    assert answered(graph, fn) == expected


def test_messages_and_places_are_kept_for_the_document(graph):
    [o] = graph.answers([sample.direct])
    assert o.message == "物品 … 已被占用"
    assert o.where == f"tests/unit/raising_sample.py:{RAISE_LINE}"
    [t] = [o for o in graph.answers([sample.caught_and_translated]) if o.code == "TOKEN_EXPIRED"]
    assert t.message == "登录已过期"  # the caught exception's message, re-raised as Unauthorized


def test_explain_names_the_path(graph):
    [o] = graph.answers([sample.in_lambda])
    path = graph.explain(sample.in_lambda, o)
    assert path[0].endswith("in_lambda") and "through_helper" in path[1] and path[-1].endswith(f":{RAISE_LINE}")
