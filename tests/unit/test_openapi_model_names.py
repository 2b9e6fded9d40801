"""The OpenAPI document names each schema by its model's class name (components/schemas), so two models of the same
name in different areas would silently overwrite each other there (it happened: chat's and community's ReportOut).
Every model a route reads or answers, nested ones included, must have a name of its own."""

from __future__ import annotations

import typing
from collections import defaultdict

from pydantic import BaseModel

from shared.http.openapi import http_routers

# Clashes allowed: none (mentors' RealNameIn / ChallengeIn and admin's Count were renamed). It may only stay empty.
KNOWN: set[str] = set()


def _models(annotation: object, seen: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_every_schema_name_belongs_to_one_model():
    seen: set[type] = set()
    for router in http_routers():
        for route in router.routes:
            if route.in_schema:
                for model in (route.body, route.query, route.response):
                    _models(model, seen)
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in seen:
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert set(clashes) <= KNOWN, {k: v for k, v in clashes.items() if k not in KNOWN}
    assert len(seen) > 50  # the walk reaches the routes' models
