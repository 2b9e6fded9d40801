"""Opaque keyset cursors: the sort key and id of the last row, base64 JSON. Keyset (not OFFSET) pagination is
stable under concurrent inserts and costs the same on page 1 and page 1,000.

A cursor comes back from the client, so it is input like any other: `decode_cursor(cursor, *kinds)` checks that it
holds exactly one value per sort key and that each value has the type of its key (an id is a positive bigint, a
time is an ISO 8601 instant PostgreSQL can store, …). Anything else — tampered, truncated, or a cursor of another
sort — is `InvalidCursor`: 422 with the stable code INVALID_CURSOR, so the client can start again from page one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from shared.errors import ValidationFailed

BIGINT_MAX = 2**63 - 1


class InvalidCursor(ValidationFailed):
    code = "INVALID_CURSOR"

    def __init__(self) -> None:
        super().__init__([{"field": "cursor", "message": "分页游标无效"}],
                         message="分页游标无效，请从第一页重新加载")


# A key kind turns one decoded JSON value into the value the query binds, or raises ValueError.
Kind = Callable[[Any], Any]


def ID(value: Any) -> int:  # upper case: reads as a type in decode_cursor(cursor, ID)
    """A row id: a JSON integer in 1..2^63-1 (not a bool, not a float, not a numeric string)."""
    if type(value) is not int or not 0 < value <= BIGINT_MAX:
        raise ValueError("not an id")
    return value


def INT(value: Any) -> int:
    """An integer sort key that fits a bigint column (an amount in fen)."""
    if type(value) is not int or not -BIGINT_MAX <= value <= BIGINT_MAX:
        raise ValueError("not a bigint")
    return value


def TIME(value: Any) -> datetime:
    """A timestamptz sort key, written by encode_cursor as ISO 8601 with its offset."""
    if type(value) is not str or len(value) > 40:
        raise ValueError("not a timestamp")
    from shared.http.fields import check_timestamp

    moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return check_timestamp(moment)


def DATE(value: Any) -> date:
    if type(value) is not str or len(value) != 10:
        raise ValueError("not a date")
    return date.fromisoformat(value)


def literal(expected: str) -> Kind:
    def check(value: Any) -> str:
        if value != expected:
            raise ValueError(f"not {expected!r}")
        return expected

    return check


def encode_cursor(*values: Any) -> str:
    values = tuple(v.isoformat() if isinstance(v, date | datetime) else v for v in values)
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()


def cursor_values(cursor: str) -> list[Any]:
    """The raw JSON list inside a cursor (no type checks: use decode_cursor)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")), parse_constant=_no_constant)
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise InvalidCursor() from None
    if not isinstance(values, list):
        raise InvalidCursor()
    return values


def check_cursor(values: list[Any], *kinds: Kind) -> tuple[Any, ...]:
    if len(values) != len(kinds):
        raise InvalidCursor()
    try:
        return tuple(kind(value) for kind, value in zip(kinds, values, strict=True))
    except (ValueError, TypeError, OverflowError):
        raise InvalidCursor() from None


def decode_cursor(cursor: str, *kinds: Kind) -> tuple[Any, ...]:
    """The cursor's values, one per kind, each checked and converted (`decode_cursor(c, TIME, ID)`)."""
    return check_cursor(cursor_values(cursor), *kinds)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
