"""Examples for the OpenAPI document: one for every request and response body, built from each body's JSON schema.

A field's example is, in order: the model's own `examples` (pydantic `json_schema_extra` or `Field(examples=…)`),
a whole-model example from MODELS, a value named after the field (NAMED: `reward_fen` → 50000, `deadline` → a Beijing
time), or a value of the field's type and format that meets its constraints. tests/unit/test_openapi.py validates
every example against its model the way the router validates a request (strict JSON), so an example can never show
something the API would refuse.
"""

from __future__ import annotations

import copy
import re
from typing import Any

# Values by field name, in the shapes the API uses (fen, Beijing times, slugs of the skill taxonomy).
NAMED: dict[str, Any] = {
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJl",
    "refresh_token": "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJyMSJ9.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 7200,
    "nickname": "小王",
    "display_name": "小王",
    "headline": "全栈工程师，擅长小程序与 Python 后端",
    "bio": "五年 Web 开发经验，做过电商与 SaaS 项目。",
    "city": "杭州",
    "company": "杭州示例科技有限公司",
    "organization": "杭州示例科技有限公司",
    "name": "示例科技",
    "real_name": "王小明",
    "real_name_masked": "*小明",
    "phone": "13800138000",
    "title": "开发一个小程序登录页",
    "description": "使用 Taro 实现微信登录和手机号绑定页面，含单元测试。",
    "content": "登录页与手机号绑定已完成，测试报告见链接。",
    "note": "辛苦了，按时交付。",
    "reason": "需求已变更",
    "comment": "沟通顺畅，交付质量高。",
    "text": "登录页在 iOS 上无法打开，见截图。",
    "url": "https://example.com/demo",
    "skill_tags": ["python", "vue"],
    "skills": ["python", "vue"],
    "tags": ["python", "vue"],
    "template_ids": ["tmpl-task-update"],
    "roles": ["developer"],
    "public_fields": ["display_name", "headline", "skills"],
    "difficulty": 3,
    "difficulty_min": 1,
    "difficulty_max": 5,
    "stars": 5,
    "years_experience": 5,
    "reward_fen": 50000,
    "amount_fen": 50000,
    "price_fen": 3000,
    "payout_fen": 30000,
    "promotion_fee_fen": 0,
    "commission_fen": 7500,
    "days": 3,
    "promotion_days": 3,
    "months": 1,
    "limit": 20,
    "count": 1,
    "unread": 2,
    "deadline": "2026-12-20T18:00:00+08:00",
    "bill_date": "2026-11-24",
    "launch_date": "2026-09-01",
    "start": "2021-07-01",
    "end": "2024-06-30",
    "out_trade_no": "CL20261125100000123456",
    "out_refund_no": "RF20261125100000123456",
    "out_bill_no": "PO12A1",
    "code": "0a3Xy41w3rKxCZ0ZSm2w3nHjXx0Xy41y",
    "refund_id": "50300100002026112500000000001",
    "reference": "BANK-20261125-001",
    "plan": "premium",
    "plan_name": "高级会员",
    "outcome": "split",
    "sort": "newest",
    "tag_mode": "any",
    "status": "open",
    "status_name": "招募中",
    "state": "paid",
    "state_name": "已支付",
    "kind": "application_accepted",
    "purpose": "task_escrow",
    "slug": "python",
    "category": "backend",
    "level": "low",
    "merchant_response_rate": 0.95,
    "response_rate": 0.95,
    "rating_average": 4.8,
    "commission_tier": "standard",
    "for_role": "developer",
    "role": "developer",
    "hint": "升级高级会员每日可投递 30 次",
    "message": "参数校验失败：reward_fen 应为整数",
    "timeStamp": "1764036000",
    "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    "package": "prepay_id=wx2026112510000000000000000000001",
    "signType": "RSA",
    "paySign": "oR9d8PuhnIc+YZ8cBHFCwfgpaK9gd7vaRvkYD7rthRAZ",
    "package_info": "affffddafdfafddffda==",
    "value": 5,
    "value_json": 5,
    "request_key": "withdraw-3f2b",
    "event_type": "TRANSACTION.SUCCESS",
    "remaining": {"tmpl-task-update": 2},
    "next_cursor": "WyIyMDI2LTExLTI1VDAyOjAwOjAwKzAwOjAwIiwgMTAwMV0=",
    "daily_cap": 5,
    "used_today": 2,
    "available_fen": 30000,
    "queued_fen": 0,
    "in_flight_fen": 20000,
    "paid_total_fen": 150000,
    "payable_fen": 50000,
    "real_name_required_from_fen": 200000,
    "applications_count": 3,
    "revision_count": 0,
    "totals": {"wechatpay:clearing": 150000, "escrow": 100000},
    "promotion_prices_fen": {"1": 3000, "3": 5000, "7": 8000},
    "growth_difficulty_weights": {"1": 2, "2": 4, "3": 6, "4": 8, "5": 10},
    "growth_rating_factors_bp": {"1": 0, "3": 5000, "4": 10000},
    "growth_xp_table": {"task_per_star_difficulty": 10, "challenge_bp": 10000, "mentor_review": 50,
                        "mentor_letter": 20},
    "growth_level_thresholds": {
        "B": {"tasks": 3, "avg_rating": 4.0, "merchants": 0, "categories": 0},
        "A": {"tasks": 10, "avg_rating": 4.5, "merchants": 3, "categories": 2},
        "S": {"tasks": 30, "avg_rating": 4.7, "merchants": 10, "categories": 2}},
    "growth_points_daily_caps": {"challenge": 200},
    "growth_match_level_difficulty": {"C": 2, "B": 3, "A": 4, "S": 5},
    "feedback_reminder_hours": [24, 40],
    "data": {"task_id": 1001},
    "payload": {"task_id": 1001},
    "problems": [],
    "reasons": ["近 30 天无纠纷"],
    "perks": ["每日投递 30 次"],
}

# Whole-model examples for the requests the mini-program sends most (they read better than assembled fields).
MODELS: dict[str, Any] = {
    "TaskCreate": {"title": "开发一个小程序登录页",
                   "description": "使用 Taro 实现微信登录和手机号绑定页面，含单元测试。",
                   "skill_tags": ["python", "vue"], "difficulty": 3, "reward_fen": 50000,
                   "deadline": "2026-12-20T18:00:00+08:00"},
    "TaskUpdate": {"reward_fen": 60000, "deadline": "2026-12-25T18:00:00+08:00"},
    "ApplyIn": {"task_id": 1001, "note": "做过三个类似的小程序登录模块，三天可交付。"},
    "WeChatLogin": {"code": "0a3Xy41w3rKxCZ0ZSm2w3nHjXx0Xy41y"},
    "SmsSend": {"phone": "13800138000"},
    "SmsLogin": {"phone": "13800138000", "code": "123456"},
    "RefreshRequest": {"refresh_token": "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJyMSJ9.c2lnbmF0dXJl"},
    "FundIn": {"promotion_days": 3},
    "RulingIn": {"outcome": "split", "payout_fen": 30000, "note": "双方证据已核实，按完成度支付 60%。"},
    "RuleIn": {"value": 5},
}

_TIME = "2026-11-25T10:00:00+08:00"
_DATE = "2026-11-25"


def example(schema: dict[str, Any], defs: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """An example value for `schema` (refs resolved against `defs`), for a field called `name`."""
    if depth > 40:  # recursive schemas end here
        return None
    if "$ref" in schema:
        model = schema["$ref"].rsplit("/", 1)[-1]
        if model in MODELS:
            return copy.deepcopy(MODELS[model])
        return example(defs.get(model, {}), defs, name, depth + 1)
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return name_value(name, schema) if name_value(name, schema) in schema["enum"] else schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], defs, name, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example(part, defs, name, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    named = name_value(name, schema)
    if named is not None:
        return named
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if props:
            return {p: example(s, defs, p, depth + 1) for p, s in props.items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return {"key": example(extra, defs, "", depth + 1)}
        return {}
    if kind == "array":
        item = schema.get("items", {})
        n = max(1, schema.get("minItems", 0))
        values = [example(item, defs, _singular(name), depth + 1) for _ in range(n)]
        if schema.get("uniqueItems") or n > 1:
            values = _distinct(values, item, defs)
        return values
    if kind == "string":
        return _string(schema, name)
    if kind == "integer":
        return _number(schema, name, integer=True)
    if kind == "number":
        return _number(schema, name, integer=False)
    if kind == "boolean":
        return not name.startswith("is_") and name not in ("reused", "unread_only", "posted")
    return None


def name_value(name: str, schema: dict[str, Any]) -> Any:
    """The NAMED value for a field, if it meets the schema's constraints."""
    candidates = []
    if name in NAMED:
        candidates.append(NAMED[name])
    if name.endswith("_fen"):
        candidates.append(50000)
    if name == "id" or name.endswith("_id"):
        candidates.append(1001)
    if name.endswith(("_at", "_until", "_by")) or name in ("until", "deadline_after", "deadline_before"):
        candidates.append(_TIME)
    if name.endswith("_date"):
        candidates.append(_DATE)
    if name.endswith("_name"):
        candidates.append("示例")
    for value in candidates:
        if _fits(value, schema):
            return copy.deepcopy(value)
    return None


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for option in schema.get("anyOf", []):
        t = option.get("type")
        kinds |= set(t) if isinstance(t, list) else {t} if t else set()
        if "$ref" in option or option.get("type") == "object":
            return False  # a model: build it from its own schema
    python = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    actual = python.get(type(value))
    if kinds and actual not in kinds and not (actual == "integer" and "number" in kinds):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, list):
        options = [o["items"] for o in schema.get("anyOf", []) if "items" in o]
        items: dict[str, Any] = schema.get("items") or (options[0] if options else {})
        if "$ref" in items or items.get("type") == "object":
            return False  # a list of models: build it from their schema
        if not all(_fits(v, items) for v in value):
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if ("minimum" in schema and value < schema["minimum"]) or ("maximum" in schema and value > schema["maximum"]):
            return False
        if ("exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]) or (
                "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]):
            return False
    return True


def _string(schema: dict[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return _TIME
    if fmt == "date":
        return _DATE
    if fmt in ("uri", "url"):
        return "https://example.com/demo"
    pattern = schema.get("pattern")
    if pattern == r"^\d{6}$":
        return "123456"
    if pattern:
        for candidate in ("requested", "ABC-123", "abc"):
            if re.search(pattern, candidate):
                return candidate
    text = "示例"
    low, high = schema.get("minLength", 0), schema.get("maxLength", 10**9)
    while len(text) < low:
        text += "示例"
    return text[:high]


def _number(schema: dict[str, Any], name: str, *, integer: bool) -> int | float:
    value: int | float = 1 if integer else 0.5
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + (1 if integer else 0.5))
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema:
        value = min(value, schema["exclusiveMaximum"] - (1 if integer else 0.5))
    return value


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _distinct(values: list[Any], item: dict[str, Any], defs: dict[str, Any]) -> list[Any]:
    choices = item.get("enum") or defs.get(item.get("$ref", "").rsplit("/", 1)[-1], {}).get("enum")
    if choices:
        return [choices[i % len(choices)] for i in range(len(values))]
    if all(isinstance(v, str) for v in values):
        return [f"{v}{i + 1}" if i else v for i, v in enumerate(values)]
    return values
