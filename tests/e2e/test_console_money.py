"""Money that needs a hand, acted on from the console in a real browser (Debian's Chromium under Playwright, like
tests/e2e/test_console.py): the operator retries a refund WeChat Pay ended ABNORMAL, settles one completed at WeChat
by hand, and re-sends a failed payout — each with a reason (refused without one) and a confirmation step — and every
result is checked on the page and in the database (the new attempt, the audit trail, the ledger)."""

from __future__ import annotations

from typing import Any

import pytest

from shared import jobs
from shared.auth.service import make_admin
from shared.ledger.check import check_ledger
from shared.rules_config import set_rule
from shared.uow import run
from tests.e2e.test_console import ADMIN_PHONE, one, shot
from tests.e2e.test_console_growth import open_console
from tests.support.api import call
from tests.support.db import wait_until
from tests.support.payouts import accept, delivered_task

pytestmark = pytest.mark.e2e


def abnormal_refund(world: Any, pay: Any, merchant: Any, title: str) -> tuple[int, str]:
    cancelled = world.open_task(merchant, title=title)
    assert call("POST", f"/tasks/{cancelled['id']}/cancel", {"reason": "需求取消"}, merchant.token).status == 200
    jobs.work()  # refund_start: WeChat Pay accepts the refund …
    no = one_value("SELECT out_refund_no FROM refunds WHERE task_id = :t", t=cancelled["id"])
    pay.complete_refund(no, "ABNORMAL")  # … and ends it ABNORMAL
    wait_until(lambda: one_value("SELECT state FROM refunds WHERE out_refund_no = :n", n=no) == "failed",
               what="REFUND.ABNORMAL handled")
    return one_value("SELECT id FROM refunds WHERE out_refund_no = :n", n=no), no


def one_value(sql: str, **params: Any) -> Any:
    from tests.e2e.test_console import one_value as value

    return value(sql, **params)


def test_refunds_and_payouts_that_need_a_hand_in_the_browser(browser, world, platform, db, site):
    pay = platform.fakes["wechatpay"]
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    run(lambda uow: set_rule(uow, "payout_max_attempts", 1, admin_id=world.admin().user_id))
    merchant, developer = world.merchant("老客户李总"), world.developer("开发者赵六")
    task = delivered_task(world, merchant, developer, reward_fen=50_000)
    accept(merchant, task["id"])
    jobs.work()
    first_bill = one_value("SELECT out_bill_no FROM payout_transfers ORDER BY id DESC LIMIT 1")
    pay.fail_transfer(first_bill, "PAYEE_ACCOUNT_ABNORMAL")
    wait_until(lambda: one_value("SELECT state FROM payouts WHERE task_id = :t", t=task["id"]) == "failed",
               what="the failed transfer settled")
    payout_id = one_value("SELECT id FROM payouts WHERE task_id = :t", t=task["id"])
    previous, pay.refund_delay = pay.refund_delay, None
    try:
        retried_id, retried_no = abnormal_refund(world, pay, merchant, "取消的任务一")
        by_hand_id, by_hand_no = abnormal_refund(world, pay, merchant, "取消的任务二")
    finally:
        pay.refund_delay = previous

    context, page, errors = open_console(browser, site, platform.fakes["sms"])
    page.click("nav.side a[data-nav='money']")
    assert retried_no in page.inner_text("#refunds") and by_hand_no in page.inner_text("#refunds")
    shot(page, "30-money-needs-a-hand")

    # Retry a refund: refused without a reason; then the confirmation; then one new attempt.
    form = f"#refund-{retried_id}"
    page.click(f"{form} button")
    page.wait_for_selector(f"{form}-errors .alert.error")
    assert "处理原因" in page.inner_text(f"{form}-errors")
    page.select_option(f"{form} select[name=action]", "retry")
    page.fill(f"{form} input[name=reason]", "用户银行卡已注销，改退微信零钱")
    page.click(f"{form} button")
    page.wait_for_selector(f"{form}-confirm")
    assert "500.00" in page.inner_text(f"{form}-confirm") and "新的退款单号" in page.inner_text(f"{form}-confirm")
    assert one(db, "SELECT count(*) FROM refunds WHERE request_key = :k", k=f"retry:{retried_no}") == 0  # not yet
    shot(page, "31-money-refund-confirm")
    page.click(f"{form}-execute button")
    page.wait_for_selector(f"{form}-done .alert.ok")
    new_no = one(db, "SELECT out_refund_no FROM refunds WHERE request_key = :k", k=f"retry:{retried_no}")
    assert new_no and new_no in page.inner_text(f"{form}-done")
    assert one(db, "SELECT state FROM refunds WHERE out_refund_no = :n", n=retried_no) == "failed"  # history
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = 'refund.retry'"
                   " AND data->>'reason' = '用户银行卡已注销，改退微信零钱'") == 1

    # Completed at WeChat by hand: refused while WeChat still says ABNORMAL, settled once it says SUCCESS.
    form = f"#refund-{by_hand_id}"
    page.select_option(f"{form} select[name=action]", "completed-at-wechat")
    page.fill(f"{form} input[name=reason]", "已在商户平台发起异常退款")
    page.click(f"{form} button")
    page.wait_for_selector(f"{form}-confirm")
    page.click(f"{form}-execute button")
    page.wait_for_selector(f"{form}-execute-errors .alert.error")
    assert "ABNORMAL" in page.inner_text(f"{form}-execute-errors")
    assert one(db, "SELECT state FROM refunds WHERE id = :i", i=by_hand_id) == "failed"
    pay.handle_abnormal_refund(by_hand_no)
    page.click(f"{form}-execute button")
    page.wait_for_selector(f"{form}-done .alert.ok")
    assert one(db, "SELECT state FROM refunds WHERE id = :i", i=by_hand_id) == "succeeded"

    # Re-send the failed payout: the confirmation names the next attempt; the new transfer waits for the developer.
    form = f"#payout-{payout_id}"
    page.fill(f"{form} input[name=reason]", "开发者已恢复微信账户")
    page.click(f"{form} button")
    page.wait_for_selector(f"{form}-confirm")
    assert "第 2 次转账" in page.inner_text(f"{form}-confirm")
    page.click(f"{form}-execute button")
    page.wait_for_selector(f"{form}-done .alert.ok")
    assert "第 2 次转账" in page.inner_text(f"{form}-done")
    assert one(db, "SELECT attempts || ':' || state FROM payouts WHERE id = :p", p=payout_id) == "2:wait_user_confirm"
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = 'payout.resend'"
                   " AND data->>'reason' = '开发者已恢复微信账户'") == 1
    shot(page, "32-money-acted")

    # Back on the page: nothing of it needs a hand any more; the retried refund goes on through the job.
    page.reload()
    assert retried_no not in page.inner_text("#refunds") and by_hand_no not in page.inner_text("#refunds")
    assert page.locator(f"#payouts tr[data-payout='{payout_id}']").count() == 0
    jobs.work()
    pay.complete_refund(new_no)
    wait_until(lambda: one_value("SELECT state FROM refunds WHERE out_refund_no = :n", n=new_no) == "succeeded",
               what="the retried refund succeeded")
    page.click("#ledger-check button")
    page.wait_for_selector("#ledger-verdict")
    assert page.inner_text("#ledger-verdict").startswith("账本核对通过")
    with db.connect() as conn:
        assert check_ledger(conn).ok
    assert errors == [], errors
    context.close()
