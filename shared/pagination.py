"""Opaque keyset cursors: the sort key and id of the last row, base64 JSON. Keyset (not OFFSET) pagination is
stable under concurrent inserts and costs the same on page 1 and page 1,000."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.errors import ValidationFailed


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise ValidationFailed.field("cursor", "分页游标无效") from None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationFailed.field("cursor", "分页游标无效")
    return values
