"""The operators' web console in a real browser: Playwright (Python) drives Debian's Chromium (/usr/bin/chromium,
headless, a fresh temporary profile per launch) against the local platform this test session started (the gateway on
an ephemeral port, the fakes of WeChat, SMS and WeChat Pay). The operator signs in by SMS, walks every page, performs
every action, and each result is checked on the page and in the database. Screenshots land in build/console/.

`make test` installs Chromium and the CJK fonts from Debian (infra/setup/ensure-apt.sh) and the playwright package
from requirements-dev.txt; `playwright install` is never needed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from shared import jobs
from shared.auth import moderation
from shared.auth.service import make_admin
from shared.ledger.check import check_ledger
from shared.uow import run
from tests.support.api import call
from tests.support.console import ADMIN_PHONE, BASE, one, shot, sign_in, work_off_jobs
from tests.support.db import wait_until
from tests.support.payouts import accept, delivered_task

pytestmark = pytest.mark.e2e

# --- the data an operator's morning finds --------------------------------------------------------------------------


def morning(world: Any, platform: Any) -> dict[str, Any]:
    """Built through the real API and the fakes: two tasks waiting for review, a dispute with evidence, a payout whose
    transfer failed, a refund WeChat Pay ended ABNORMAL, a job in the dead-letter queue; the events worked off."""
    pay = platform.fakes["wechatpay"]
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    world.admin()
    newcomer = world.merchant("新商家小王")
    review = []
    for title in ("搭建企业官网", "开发抽奖小程序"):
        r = call("POST", "/tasks", world.task_body(title=title), newcomer.token)
        assert r.status == 201 and r["status"] == "pending_review", r.body
        review.append(r["id"])

    merchant, developer = world.merchant("老客户李总"), world.developer("开发者张三")
    disputed = delivered_task(world, merchant, developer, reward_fen=80_000)
    r = call("POST", "/disputes", {"task_id": disputed["id"], "reason": "交付的页面无法在手机上打开，与需求不符。",
                                   "links": [{"title": "截图", "url": "https://img.example.com/1.png"}]},
             merchant.token)
    assert r.status == 201, r.body
    dispute_id = r["id"]
    r = call("POST", f"/disputes/{dispute_id}/evidence",
             {"text": "已按需求完成，手机兼容问题是商家后加的要求。", "links": []}, developer.token)
    assert r.status == 201, r.body

    other = world.developer("开发者赵六")
    paid = delivered_task(world, merchant, other, reward_fen=50_000)
    accept(merchant, paid["id"])
    jobs.work()  # payout_start: the transfer waits for the developer, who cannot receive it
    out_bill_no = one_value("SELECT out_bill_no FROM payout_transfers ORDER BY id DESC LIMIT 1")
    pay.fail_transfer(out_bill_no, "PAYEE_ACCOUNT_ABNORMAL")
    wait_until(lambda: one_value("SELECT state FROM payouts WHERE task_id = :t", t=paid["id"]) == "failed",
               what="the failed transfer settled")

    previous, pay.refund_delay = pay.refund_delay, None
    try:
        cancelled = world.open_task(merchant, title="取消的任务")
        assert call("POST", f"/tasks/{cancelled['id']}/cancel", {"reason": "需求取消"}, merchant.token).status == 200
        jobs.work()  # refund_start: WeChat Pay accepts the refund …
        no = one_value("SELECT out_refund_no FROM refunds WHERE task_id = :t", t=cancelled["id"])
        pay.complete_refund(no, "ABNORMAL")  # … and ends it ABNORMAL (the payer's account cannot take it)
        wait_until(lambda: one_value("SELECT state FROM refunds WHERE out_refund_no = :n", n=no) == "failed",
                   what="REFUND.ABNORMAL handled")
    finally:
        pay.refund_delay = previous

    run(lambda uow: uow.enqueue("report_export", {"user_id": developer.user_id}))  # no handler yet: dead letter
    work_off_jobs()
    return {"review": review, "dispute": dispute_id, "disputed_task": disputed["id"], "developer": developer,
            "merchant": merchant, "refund": no, "failed_payout_task": paid["id"]}


def one_value(sql: str, **params: Any) -> Any:
    from shared.db import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).scalar()


# --- the walk ------------------------------------------------------------------------------------------------------


def test_an_operator_runs_the_platform_from_the_console(browser, world, platform, db, site):
    data = morning(world, platform)
    sms = platform.fakes["sms"]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []  # script exceptions and CSP refusals (the 422s of refused forms are logged, and expected)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and (
        "Content Security Policy" in msg.text or "Refused" in msg.text or "Uncaught" in msg.text) else None)

    # Sign in by SMS.
    page.goto(site)
    assert "/login?next=" in page.url
    shot(page, "01-login")
    sign_in(page, site, sms, ADMIN_PHONE)
    page.wait_for_url(re.compile(r"/admin/console$"))
    cookie = next(c for c in context.cookies() if c["name"] == "codelink-console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == BASE

    # The dashboard: KPIs from the aggregates, six charts drawn, the plan's stages, cohorts.
    page.wait_for_selector("body[data-charts='6']")
    assert page.locator("#chart-box-revenue canvas").count() == 1
    from shared.clock import now, shanghai_date
    from shared.metrics import queries

    d = run(lambda uow: queries.dashboard(uow, shanghai_date(now())))
    assert d.users_total == 4 and d.monthly["tasks_published"][-1] == 5  # operators are not users
    assert page.inner_text("#kpi-users") == "4"
    assert page.inner_text("#kpi-dau") == "4" == str(d.dau_today)
    assert page.inner_text("#kpi-revenue") == "¥75.00"  # the commission on the ¥500 task accepted
    assert page.locator("#stages tr[data-state='进行中']").inner_text().startswith("MVP 上线")
    assert "第 0 周" in page.inner_text("#cohorts")
    shot(page, "02-dashboard")

    # Users: search, the developer's page and timeline, ban with a reason (refused without one), unban.
    dev = data["developer"]
    page.click("nav.side a[data-nav='users']")
    page.fill("#q", "张三")
    expect(page.locator("#user-rows tr")).to_have_count(1)  # the search answers as you type (htmx)
    expect(page.locator(f"#user-rows tr[data-user='{dev.user_id}']")).to_be_visible()
    shot(page, "03-users")
    page.click(f"#user-rows tr[data-user='{dev.user_id}'] a >> nth=0")
    page.wait_for_selector("#timeline tr[data-event='DisputeOpened']")
    assert "未填写" in page.inner_text("#real-name")
    page.click("#ban button[type=submit]")
    page.wait_for_selector("#ban-errors .alert.error")
    assert "原因" in page.inner_text("#ban-errors")
    page.fill("#ban textarea[name=reason]", "冒用他人身份接单")
    page.click("#ban button[type=submit]")
    page.wait_for_selector("#status-badge.bad")
    assert "已停用" in page.inner_text("#user-status")
    shot(page, "04-user-banned")
    assert one(db, "SELECT status FROM users WHERE id = :u", u=dev.user_id) == "banned"
    assert one(db, "SELECT count(*) FROM refresh_tokens WHERE user_id = :u AND revoked_at IS NULL",
               u=dev.user_id) == 0
    assert call("GET", "/auth/me", token=dev.token).status == 403  # refused on the very next request
    page.fill("#unban textarea[name=reason]", "核实为本人，恢复")
    page.click("#unban button[type=submit]")
    page.wait_for_selector("#status-badge.ok")
    assert one(db, "SELECT status FROM users WHERE id = :u", u=dev.user_id) == "active"

    # Tasks: approve one, reject the other with a reason; any task's history.
    page.click("nav.side a[data-nav='tasks']")
    first, second = data["review"]
    page.wait_for_selector(f"#review-{first}")
    shot(page, "05-review-queue")
    page.fill(f"#approve-{first} input[name=reason]", "内容合规")
    page.click(f"#approve-{first} button")
    page.wait_for_selector(f"#review-{first} .alert.ok")
    assert "待托管赏金" in page.inner_text(f"#review-{first}")
    page.click(f"#reject-{second} button")  # no reason: refused, the form stays
    page.wait_for_selector(f"#reject-{second}-errors .alert.error")
    page.fill(f"#reject-{second} input[name=reason]", "涉及违规抽奖，不予发布")
    page.click(f"#reject-{second} button")
    page.wait_for_selector(f"#review-{second} .alert.ok")
    assert one(db, "SELECT status FROM tasks WHERE id = :t", t=first) == "awaiting_funding"
    assert one(db, "SELECT status || ':' || review_reason FROM tasks WHERE id = :t",
               t=second) == "rejected:涉及违规抽奖，不予发布"
    page.goto(f"{site}/tasks/{data['disputed_task']}")
    page.wait_for_selector("#history tr[data-event='EscrowFunded']")
    assert page.locator("#history tr[data-event='DisputeOpened']").count() == 1
    shot(page, "06-task-history")

    # Disputes: the evidence, the risk with its reasons, a split previewed, then confirmed and executed.
    page.click("nav.side a[data-nav='disputes']")
    page.click(f"#dispute-rows tr[data-dispute='{data['dispute']}'] a >> nth=0")
    page.wait_for_selector("#risk")
    assert page.locator("#entries li").count() == 2 and "截图" in page.inner_text("#entries")
    assert "风险评估" in page.inner_text("#risk") and page.locator("#risk li").count() >= 2
    page.check("input[name=outcome][value=split]")
    page.fill("#payout-yuan", "300")
    page.fill("#ruling-form textarea[name=note]", "页面基本完成但移动端适配不足，按完成度六成分配。")
    page.click("#ruling-form button[type=submit]")
    page.wait_for_selector("#ruling-confirm")
    assert page.inner_text("#confirm-share") == "¥255.00" and page.inner_text("#confirm-refund") == "¥500.00"
    shot(page, "07-dispute-confirm")
    assert one(db, "SELECT status FROM disputes WHERE id = :d", d=data["dispute"]) == "open"  # nothing yet
    page.click("#ruling-execute button")
    page.wait_for_selector("#ruling-summary")
    assert page.inner_text("#dispute-status") == "已裁决"
    shot(page, "08-dispute-ruled")
    ruled = one(db, "SELECT outcome || ':' || payout_gross_fen || ':' || refund_fen || ':' || commission_fen"
                    " FROM disputes WHERE id = :d", d=data["dispute"])
    assert ruled == "split:30000:50000:4500"
    with db.connect() as conn:
        assert check_ledger(conn).ok

    # Money that needs a hand: the ABNORMAL refund, the failed transfer, the dead letter (retried), a reconciliation
    # re-run and the ledger check.
    page.click("nav.side a[data-nav='money']")
    assert data["refund"] in page.inner_text("#refunds")
    assert "PAYEE_ACCOUNT_ABNORMAL" in page.inner_text("#payouts")
    job_id = one(db, "SELECT id FROM jobs WHERE kind = 'report_export' AND status = 'failed'")
    assert job_id
    shot(page, "09-money")
    page.click(f"#retry-{job_id} button")
    page.wait_for_selector(f"#job-{job_id} .alert.ok")
    assert one(db, "SELECT status FROM jobs WHERE id = :j", j=job_id) == "queued"
    page.click("#reconcile button")
    page.wait_for_selector("#reconciliation-runs .alert.ok")
    assert one(db, "SELECT count(*) FROM reconciliation_runs") == 1
    page.click("#ledger-check button")
    page.wait_for_selector("#ledger-verdict")
    assert page.inner_text("#ledger-verdict").startswith("账本核对通过")

    # Operator rules: a bad value is refused with the reason, a good one is saved with the old value shown.
    page.click("nav.side a[data-nav='rules']")
    row = "#rule-max_revisions"
    page.fill(f"{row} input[name=value]", "99")
    page.click(f"{row} button")
    page.wait_for_selector("#rule-form-max_revisions-errors .alert.error")
    assert one(db, "SELECT count(*) FROM config_values WHERE key = 'max_revisions'") == 0
    page.fill(f"{row} input[name=value]", "3")
    page.click(f"{row} button")
    page.wait_for_selector(f"{row} .alert.ok")
    assert page.inner_text(f"{row} .alert.ok") == "已修改：2 → 3"
    assert one(db, "SELECT value::text FROM config_values WHERE key = 'max_revisions'") == "3"
    shot(page, "10-rules")

    # The audit trail: every action above, searchable.
    page.click("nav.side a[data-nav='audit']")
    page.select_option("#audit-search select[name=action]", "user.")
    page.click("#audit-search button")
    page.wait_for_selector("#audit tr[data-action='user.ban']")
    assert "冒用他人身份接单" in page.inner_text("#audit")
    assert page.locator("#audit tr[data-action='task.approve']").count() == 0
    page.select_option("#audit-search select[name=action]", "")
    page.click("#audit-search button")
    page.wait_for_selector("#audit tr[data-action='dispute.rule']")
    actions = set(page.eval_on_selector_all("#audit tr[data-action]", "rows => rows.map(r => r.dataset.action)"))
    assert {"console.login", "user.ban", "user.unban", "task.approve", "task.reject", "dispute.rule", "job.retry",
            "reconciliation.run", "ledger.check", "rule.change"} <= actions
    shot(page, "11-audit")
    audited = one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = 'rule.change'"
                      " AND data->'before' = '{\"max_revisions\": 2}' AND data->'after' = '{\"max_revisions\": 3}'")
    assert audited == 1

    # Sign out: the session row is revoked and the pages are closed again.
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))
    assert one(db, "SELECT count(*) FROM web_sessions WHERE revoked_reason = 'logout'") == 1
    page.goto(site + "/users")
    assert "/login?next=" in page.url
    assert errors == [], errors  # no script error, no CSP violation
    context.close()


def test_visitors_and_non_admins_are_refused_in_the_browser(browser, world, platform, db, site):
    sms = platform.fakes["sms"]
    stranger = browser.new_context(viewport={"width": 1280, "height": 800})
    page = stranger.new_page()
    for path in ("", "/users", "/users/1", "/tasks", "/tasks/1", "/disputes", "/disputes/1", "/money", "/rules",
                 "/audit", "/community", "/growth", "/challenges", "/challenges/welcome", "/badges", "/badges/x"):
        page.goto(site + path)
        assert "/login?next=" in page.url, path
        assert page.locator("#login").count() == 1
    answer = stranger.request.post(site + "/users/1/ban", form={"reason": "无权操作"})
    assert answer.status == 401

    # A developer's phone: the SMS code is right, but the console is for operators only.
    developer = world.developer("普通开发者")
    run(lambda uow: uow.execute("UPDATE users SET phone = '+8613700000009' WHERE id = :u", {"u": developer.user_id}))
    sign_in(page, site, sms, "13700000009")
    page.wait_for_selector("#login-errors .alert.error")
    assert "没有运营后台权限" in page.inner_text("#login-errors")
    shot(page, "12-login-refused")
    assert one(db, "SELECT count(*) FROM web_sessions") == 0

    # An operator's own session, but a form posted without its CSRF token (as another site would): refused.
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    admin = browser.new_context()
    mine = admin.new_page()
    sign_in(mine, site, sms, ADMIN_PHONE)
    mine.wait_for_url(re.compile(r"/admin/console$"))
    for headers in ({}, {"HX-Request": "true"}):
        forged = admin.request.post(f"{site}/users/{developer.user_id}/ban", form={"reason": "伪造的请求"},
                                    headers=headers)
        assert forged.status == 403 and "CSRF_FAILED" in forged.text()
    assert one(db, "SELECT status FROM users WHERE id = :u", u=developer.user_id) == "active"

    # A second operator is banned by the first: their open console is closed at once.
    run(lambda uow: make_admin(uow, "+8613900000001"))
    other = browser.new_context()
    theirs = other.new_page()
    sign_in(theirs, site, sms, "13900000001")
    theirs.wait_for_url(re.compile(r"/admin/console$"))
    first_admin = one(db, "SELECT id FROM users WHERE phone = :p", p="+86" + ADMIN_PHONE)
    second_admin = one(db, "SELECT id FROM users WHERE phone = '+8613900000001'")
    run(lambda uow: moderation.ban_user(uow, first_admin, second_admin, "离职，收回权限"))
    theirs.goto(site + "/users")
    assert "/login?next=" in theirs.url
    assert one(db, "SELECT revoked_reason FROM web_sessions WHERE user_id = :u", u=second_admin) == "banned"
    for c in (stranger, admin, other):
        c.close()
