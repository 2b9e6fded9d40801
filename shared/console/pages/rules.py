"""Operator rules (config_values behind shared/rules_config.py): every rule with its value in force, its default,
who changed it last; editing one validates it with the same model the use cases load (a bad value is refused with
the reason) and shows the old value next to the new one. The change is audited by set_rule (before/after)."""

from __future__ import annotations

import json
from typing import Any

from shared.console import web
from shared.rules_config import Rules, load_rules, set_rule
from shared.uow import UnitOfWork, run

web.nav("rules", "运营规则", "/rules", order=60)

LABELS = {
    "sms_code_ttl_seconds": "短信验证码有效期（秒）", "sms_max_attempts": "验证码最多尝试次数",
    "sms_resend_seconds": "验证码重发间隔（秒）", "sms_daily_limit": "每个手机号每日验证码上限",
    "daily_applications_free": "免费用户每日投递上限", "daily_applications_premium": "高级会员每日投递上限",
    "feedback_window_hours": "反馈保障时限（小时）", "feedback_reminder_hours": "提醒商家的时间点（小时）",
    "no_response_compensation_points": "超时未回复补偿积分", "max_revisions": "最多修改次数",
    "auto_accept_days": "自动验收天数", "commission_standard_bp": "标准佣金（基点，1500 = 15%）",
    "commission_enterprise_bp": "企业会员佣金（基点）", "commission_high_tier_bp": "高额部分佣金（基点）",
    "commission_high_tier_from_fen": "高额部分起点（分）", "payout_confirm_hours": "转账待确认时限（小时）",
    "payout_max_attempts": "打款自动重试次数", "payout_retry_minutes": "打款重试间隔（分钟）",
    "min_reward_fen": "最低赏金（分）", "max_reward_fen": "最高赏金（分）", "escrow_required": "必须托管赏金",
    "launch_date": "上线日期（冷启动免费期起点）", "free_period_months": "冷启动免费期（月）",
    "enterprise_price_fen": "企业会员月费（分）", "growth_pass_price_fen": "成长通行证月费（分）",
    "premium_price_fen": "高级会员月费（分）", "membership_reminder_days": "会员到期提前提醒（天）",
    "promotion_prices_fen": "置顶推荐价格表（天数: 分）",
    "growth_difficulty_weights": "技能分难度权重（难度: 分）",
    "growth_rating_factors_bp": "技能分评分系数（起始星级: 基点）",
    "growth_xp_table": "经验值表", "growth_level_thresholds": "等级门槛（B/A/S）",
    "growth_good_rating": "计为好评的最低星级", "growth_demotion_buffer_bp": "降级缓冲（基点，9000 = 90%）",
    "growth_demotion_grace_days": "降级宽限期（天）", "growth_points_daily_caps": "积分每日上限（来源: 分）",
    "growth_repeat_merchant_window_days": "同一商家重复评价窗口（天）",
    "growth_repeat_merchant_decay_bp": "同一商家重复评价递减（基点）",
    "growth_match_skill_weight_bp": "匹配排序：技能权重（基点）",
    "growth_match_level_weight_bp": "匹配排序：等级权重（基点）",
    "growth_match_full_skill_points": "匹配排序：技能满分", "growth_match_level_difficulty": "匹配排序：等级对应难度",
    "growth_fit_match_weight_bp": "投递者排序：任务匹配权重（基点）",
    "growth_fit_rating_weight_bp": "投递者排序：评分权重（基点）",
    "growth_fit_reliability_weight_bp": "投递者排序：可靠性权重（基点）",
    "growth_fit_full_completed": "投递者排序：可靠性满分任务数",
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    rules = load_rules(uow).model_dump(mode="json")
    defaults = Rules().model_dump(mode="json")
    changed = {r.key: r for r in uow.execute(
        "SELECT c.key, c.updated_at, c.updated_by, u.nickname FROM config_values c"
        " LEFT JOIN users u ON u.id = c.updated_by").all()}
    return [{"key": key, "label": LABELS.get(key, key), "value": _json(rules[key]), "default": _json(defaults[key]),
             "is_default": rules[key] == defaults[key], "changed": changed.get(key)} for key in rules]


@web.get("/rules", nav="rules")
def rules(page: web.Page) -> web.Answer:
    """运营规则"""
    return web.html(page, "rules.html", rows=run(_rows))


def parse_value(text: str) -> Any:
    """What an operator types: JSON (5, true, [24, 40], {"1": 3000}) or, failing that, the text itself (a date)."""
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


@web.post("/rules/{key:str}")
def change(page: web.Page) -> web.Answer:
    """修改规则"""
    key = page.params["key"]
    value = parse_value(page.form.get("value", ""))

    def use_case(uow: UnitOfWork) -> tuple[Any, Any]:
        before = load_rules(uow).model_dump(mode="json").get(key)
        after = set_rule(uow, key, value, admin_id=page.admin_id).model_dump(mode="json")[key]
        return before, after

    before, after = run(use_case)
    row = next(r for r in run(_rows) if r["key"] == key)
    return web.partial(page, "partials/rule_row.html", back=f"{web.BASE}/rules", row=row,
                       done=f"已修改：{_json(before)} → {_json(after)}")
