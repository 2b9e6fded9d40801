"""Every instant a client sends goes through shared.http.fields.Timestamp (ISO 8601, an offset PostgreSQL stores):
a new request model with a plain `datetime` field would bring back the 500 an offset of +16:00 used to cause."""

from __future__ import annotations

import typing
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, FutureDatetime, NaiveDatetime, PastDatetime

from shared.http.fields import check_timestamp
from shared.http.openapi import http_routers


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


INSTANTS = (datetime, AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


def _checked(metadata: typing.Iterable[object]) -> bool:
    return any(getattr(m, "func", None) is check_timestamp for m in metadata)


def _unchecked(annotation: object) -> bool:
    """Does the annotation hold an instant that is not a Timestamp (at any depth: X | None, list[X], …)?"""
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        return not _checked(metadata) and _unchecked(inner)
    if annotation in INSTANTS or (isinstance(annotation, type) and issubclass(annotation, datetime)):
        return True
    return any(_unchecked(a) for a in typing.get_args(annotation))


def _unchecked_instants(model: type[BaseModel], seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        if not _checked(info.metadata) and _unchecked(info.annotation):
            found.append(f"{model.__name__}.{name}")
        for inner in _models(info.annotation):
            found += _unchecked_instants(inner, seen)
    return found


def test_every_request_instant_is_a_timestamp():
    seen: set[type] = set()
    unchecked = []
    for router in http_routers():
        for route in router.routes:
            for model in (route.body, route.query):
                if model is not None and not route.raw_body:
                    unchecked += _unchecked_instants(model, seen)
    assert not unchecked, f"use shared.http.fields.Timestamp for: {unchecked}"
    assert seen, "no request models found"


def test_the_check_sees_a_plain_datetime_and_accepts_a_timestamp():
    from shared.http.fields import Timestamp

    class Plain(BaseModel):
        at: datetime | None = None
        aware: AwareDatetime
        many: list[AwareDatetime] = []
        fine: Timestamp
        fine_too: Timestamp | None = None
        fine_list: list[Timestamp] = []

    assert _unchecked_instants(Plain, set()) == ["Plain.at", "Plain.aware", "Plain.many"]
