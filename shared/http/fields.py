"""Field types for request models: values the database can store, refused at validation otherwise.

Pydantic (like Python) accepts time-zone offsets up to ±23:59, PostgreSQL only up to ±15:59: a deadline of
`2026-12-20T00:00:00+16:00` passed validation and then failed in the database with a 500. Every instant a client
sends goes through `Timestamp` (tests/unit/test_request_fields.py checks that every request model does).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, TypeAdapter, ValidationError

# PostgreSQL's timestamptz input refuses an offset of 16 hours or more (src/include/datatype/timestamp.h:
# TZDISP_LIMIT = (MAX_TZDISP_HOUR + 1) * SECS_PER_HOUR with MAX_TZDISP_HOUR 15).
OFFSET_LIMIT = timedelta(hours=16)


# ISO 8601 as the document says. Pydantic (even in strict JSON mode) also reads "1764036000" or "0.5" as Unix
# seconds, which the document does not allow. The text is checked and parsed here; what follows sees a datetime, so
# the strict validation of request bodies still refuses a JSON number.
_ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_PARSE = TypeAdapter(datetime)
_NOT_ISO = "日期时间格式不正确（ISO 8601，如 2026-12-20T18:00:00+08:00）"


def _iso_8601(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _ISO_8601.match(value):
        raise ValueError(_NOT_ISO)
    try:
        return _PARSE.validate_python(value)
    except ValidationError:
        raise ValueError(_NOT_ISO) from None


def check_timestamp(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("日期时间须带时区")
    if abs(offset) >= OFFSET_LIMIT:
        raise ValueError("时区偏移须在 -15:59 到 +15:59 之间")
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("日期时间超出范围") from None
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601),
    AfterValidator(check_timestamp),
    Field(description="ISO 8601 日期时间，须带时区（如 2026-12-20T18:00:00+08:00），时区偏移不超过 ±15:59"),
]
