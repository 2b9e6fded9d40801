"""Chinese messages for pydantic's validation error types, so a 422 names the field and says what is wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_type": "应为字符串",
    "string_too_short": "长度至少为 {min_length}",
    "string_too_long": "长度最多为 {max_length}",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "list_type": "应为数组",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不正确（ISO 8601）",
    "datetime_from_date_parsing": "日期时间格式不正确（ISO 8601）",
    "datetime_object_invalid": "日期时间无效",
    "timezone_aware": "日期时间须带时区",
    "timezone_naive": "日期时间不应带时区",
    "date_type": "应为日期",
    "date_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "int_parsing_size": "数值超出范围",
    "finite_number": "应为有限的数值",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "none_required": "应为空",
    "string_unicode": "应为合法的 Unicode 字符串",
    "url_too_long": "链接过长",
    "url_syntax_violation": "链接格式不正确",
    "union_tag_invalid": "取值无效",
    "json_type": "应为 JSON 字符串",
    "enum": "取值应为 {expected} 之一",
    "literal_error": "取值应为 {expected} 之一",
    "extra_forbidden": "不支持的字段",
    "url_parsing": "链接格式不正确",
    "url_type": "链接格式不正确",
    "url_scheme": "链接须以 http 或 https 开头",
    "json_invalid": "JSON 格式不正确",
    "value_error": "{error}",
    "assertion_error": "{error}",
    "unique_items": "不能有重复项",
}


def field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query")]
    return ".".join(parts)


def _choices(expected: str) -> str:
    """pydantic writes the allowed values as "'newest', 'reward' or 'deadline'" (or "1, 2 or 3"): list them the
    Chinese way, newest、reward、deadline, without the English "or" and quotes."""
    parts = re.findall(r"'((?:[^'\\]|\\.)*)'", expected) or re.split(r",\s*|\s+or\s+", expected)
    return "、".join(p for p in parts if p)


def message_for(error: Mapping[str, Any]) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return "取值无效"
    ctx = dict(error.get("ctx") or {})
    if "expected" in ctx and error["type"] in ("enum", "literal_error"):
        ctx["expected"] = _choices(str(ctx["expected"]))
    if "error" in ctx:
        # Our own validators raise ValueError with a Chinese message: show it without Python's prefix.
        ctx["error"] = str(ctx["error"]).removeprefix("Value error, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].strip() or "取值无效"


def translate(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"field": field_path(tuple(e["loc"])), "message": message_for(e)} for e in errors]
