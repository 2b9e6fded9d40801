"""Which notifications are pushed as WeChat subscribe messages, and with which template."""

from __future__ import annotations

from shared.config import get_settings
from shared.notifications.service import template_for


def test_money_that_waits_for_the_user_is_pushed():
    s = get_settings()
    for kind in ("payout_confirm", "payout_failed", "payout_paid", "dispute_opened", "dispute_ruled"):
        assert template_for(kind) == s.wechat_template_money, kind
    assert template_for("application_received") == s.wechat_template_application
    assert template_for("work_delivered") == s.wechat_template_task


def test_refunds_memberships_and_promotions_stay_in_the_inbox():
    for kind in ("membership_expiring", "promotion_started", "escrow_refund_started", "refund_succeeded", "x"):
        assert template_for(kind) == "", kind
