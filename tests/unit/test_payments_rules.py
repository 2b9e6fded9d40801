"""Pure parts of shared/payments: numbers WeChat accepts, milestone splits, the timer's close decision."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from shared.adapters.wechatpay import Order
from shared.errors import ValidationFailed
from shared.payments.checkout import new_out_trade_no
from shared.payments.milestones import check_milestones
from shared.payments.refunds import new_out_refund_no
from shared.payments.rules import close_reason
from shared.payments.schemas import FundIn, MilestoneIn

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
# WeChat Pay v3: out_trade_no 6-32 of [0-9A-Za-z_-|*], out_refund_no 1-64 of [0-9A-Za-z_-|*@].
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")


def test_order_and_refund_numbers_are_valid_for_wechat_and_never_repeat():
    trade = {new_out_trade_no(NOW) for _ in range(2000)}
    refund = {new_out_refund_no(NOW) for _ in range(2000)}
    assert len(trade) == len(refund) == 2000
    assert all(OUT_TRADE_NO.match(n) for n in trade) and all(OUT_REFUND_NO.match(n) for n in refund)
    assert next(iter(trade)).startswith("CL261125")  # the Beijing date, readable in the merchant console


def test_milestones_must_be_two_to_ten_and_add_up():
    two = [MilestoneIn(title="一期", reward_fen=20_000), MilestoneIn(title="二期", reward_fen=30_000)]
    check_milestones(two, 50_000)
    with pytest.raises(ValidationFailed) as exc:
        check_milestones(two, 50_001)
    assert exc.value.details["errors"][0]["field"] == "milestones"
    with pytest.raises(ValidationFailed):
        check_milestones(two[:1], 20_000)
    with pytest.raises(ValidationFailed):
        check_milestones([MilestoneIn(title=f"第{i}期", reward_fen=100) for i in range(11)], 1_100)


def test_fund_request_is_validated():
    assert FundIn.model_validate({}).promotion_days is None
    with pytest.raises(ValueError):
        FundIn.model_validate({"promotion_days": 0})
    with pytest.raises(ValueError):
        FundIn.model_validate({"amount_fen": 1})  # the client never chooses the amount


def _row(**over):
    base = {"expires_at": NOW + timedelta(minutes=20), "purpose": "task_escrow", "task_status": "awaiting_funding",
            "task_funded_at": None, "milestone_state": None}
    return SimpleNamespace(**{**base, **over})


def _order(state: str) -> Order:
    return Order.from_resource({"out_trade_no": "CL1", "trade_state": state, "amount": {"total": 1}})


@pytest.mark.parametrize(("row", "order", "reason"), [
    (_row(), _order("NOTPAY"), None),                                   # still payable: leave it
    (_row(), None, None),                                               # WeChat has not got it yet, not expired
    (_row(expires_at=NOW), _order("NOTPAY"), "expired"),
    (_row(expires_at=NOW - timedelta(seconds=1)), None, "expired"),
    (_row(), _order("CLOSED"), "closed_at_wechat"),
    (_row(task_status="cancelled"), _order("NOTPAY"), "not_needed"),
    (_row(task_status="pending_review", task_funded_at=NOW), _order("NOTPAY"), "not_needed"),
    (_row(purpose="milestone_escrow", milestone_state="funded"), _order("NOTPAY"), "not_needed"),
    (_row(purpose="milestone_escrow", milestone_state="awaiting_funding"), _order("NOTPAY"), None),
])
def test_timer_closes_only_orders_that_can_no_longer_be_wanted(row, order, reason):
    assert close_reason(row, order, NOW) == reason
