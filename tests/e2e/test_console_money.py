"""Money that needs a hand, acted on from the console in a real browser (Debian's Chromium under Playwright, like
tests/e2e/test_console.py): the operator retries a refund WeChat Pay ended ABNORMAL, settles one completed at WeChat
by hand, and re-sends a failed payout — each with a reason (refused without one) and a confirmation step — and every
result is checked on the page and in the database (the new attempt, the audit trail, the ledger)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

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


def test_mentor_challenges_are_published_and_closed_in_the_browser(browser, world, platform, db, site):
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    admin = world.admin()
    mentor = world.developer("王老师")
    assert call("POST", "/mentors/me/real-name", {"real_name": "王建国", "title": "资深后端工程师"},
                mentor.token).status == 200
    assert call("PUT", f"/admin/mentors/{mentor.user_id}/flag", {"mentor": True, "reason": "社区推荐"},
                admin.token).status == 200
    assert call("POST", f"/admin/mentors/{mentor.user_id}/real-name", {"approve": True}, admin.token).status == 200

    context, page, errors = open_console(browser, site, platform.fakes["sms"])
    page.click("nav.side a[data-nav='mentor-challenges']")
    page.wait_for_selector("#challenge-create")
    assert f"#{mentor.user_id}" in page.inner_text("#challenge-create select[name=mentor_id]")
    # Refused with the failing field: a brief too short, a bonus with three decimals.
    page.fill("#challenge-create input[name=title]", "限流中间件")
    page.fill("#challenge-create textarea[name=brief]", "太短")
    page.click("#challenge-create button")
    page.wait_for_selector("#challenge-create-errors .alert.error")
    assert "brief" in page.inner_text("#challenge-create-errors") or "要求" in page.inner_text(
        "#challenge-create-errors")
    page.fill("#challenge-create textarea[name=brief]", "实现令牌桶限流中间件，附单元测试与压测报告。")
    page.fill("#challenge-create input[name=bonus_yuan]", "1.005")
    page.click("#challenge-create button")
    expect(page.locator("#challenge-create-errors .alert.error")).to_contain_text("两位小数")
    assert one(db, "SELECT count(*) FROM mentor_challenges") == 0
    page.fill("#challenge-create input[name=bonus_yuan]", "200")
    page.fill("#challenge-create input[name=pass_score]", "70")
    page.click("#challenge-create button")
    page.wait_for_selector("#mentor-challenges .alert.ok")
    row = one(db, "SELECT id || ':' || mentor_id || ':' || bonus_fen || ':' || pass_score || ':' || status"
                  " FROM mentor_challenges")
    challenge_id = int(row.split(":")[0])
    assert row == f"{challenge_id}:{mentor.user_id}:20000:70:open"
    assert "¥200.00" in page.inner_text(f"#mentor-challenge-{challenge_id}")
    shot(page, "33-mentor-challenges")

    page.click(f"#close-{challenge_id} button")
    page.wait_for_selector(f"#mentor-challenge-{challenge_id}[data-status='closed']")
    assert "已结束报名" in page.inner_text(f"#mentor-challenge-{challenge_id}")
    assert one(db, "SELECT status FROM mentor_challenges WHERE id = :c", c=challenge_id) == "closed"
    assert page.locator(f"#close-{challenge_id}").count() == 0
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' IN"
                   " ('mentor_challenge.create', 'mentor_challenge.close') AND (data->>'entity_id')::bigint = :c",
               c=challenge_id) == 2
    assert errors == [], errors
    context.close()


def test_the_money_actions_refuse_visitors_and_forged_forms(browser, world, platform, db, site):
    stranger = browser.new_context()
    page = stranger.new_page()
    page.goto(site + "/mentor-challenges")
    assert "/login?next=" in page.url and page.locator("#login").count() == 1
    actions = {"/money/refunds/1/confirm": {"action": "retry", "reason": "无权操作"},
               "/money/refunds/1/retry": {"reason": "无权操作", "confirmed": "1"},
               "/money/refunds/1/completed-at-wechat": {"reason": "无权操作", "confirmed": "1"},
               "/money/payouts/1/confirm": {"reason": "无权操作", "attempt": "1"},
               "/money/payouts/1/resend": {"reason": "无权操作", "attempt": "1", "confirmed": "1"},
               "/mentor-challenges": {"mentor_id": "1", "title": "无权操作", "brief": "无权操作的特训要求说明"},
               "/mentor-challenges/1/close": {}}
    for path, form in actions.items():
        assert stranger.request.post(site + path, form=form).status == 401, path

    # An operator's own session, but the forms posted without their CSRF token (as another site would): refused.
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    context, _, _ = open_console(browser, site, platform.fakes["sms"])
    for path, form in actions.items():
        forged = context.request.post(site + path, form=form)
        assert forged.status == 403 and "CSRF_FAILED" in forged.text(), path
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' IN"
                   " ('refund.retry', 'refund.completed_at_wechat', 'payout.resend', 'mentor_challenge.create',"
                   " 'mentor_challenge.close')") == 0
    for c in (stranger, context):
        c.close()
