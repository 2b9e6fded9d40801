"""The console's community, growth, challenge, badge and mentor pages in a real browser (Debian's Chromium driven by
Playwright, like tests/e2e/test_console.py, with the same fixtures in tests/e2e/conftest.py and helpers in
tests/support/console.py): the operator signs in by SMS, performs each action — refused first where a reason or a valid
value is missing —, and every result is checked on the page and in the database, the audit trail included.
Screenshots land in build/console/."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from shared.auth.service import make_admin
from shared.uow import run
from tests.support.api import call
from tests.support.challenges import seed_challenges
from tests.support.console import ADMIN_PHONE, one, shot, sign_in, work_off_jobs
from tests.support.payouts import accept, delivered_task

pytestmark = pytest.mark.e2e


def audited(db: Any, action: str, **match: Any) -> int:
    """AdminAudited events of `action` whose `after` contains `match`."""
    return one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = :a"
                   " AND data->'after' @> CAST(:m AS jsonb)", a=action, m=json.dumps(match))


def open_console(browser: Any, site: str, sms: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")  # a laptop screen
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and (
        "Content Security Policy" in msg.text or "Refused" in msg.text or "Uncaught" in msg.text) else None)
    sign_in(page, site, sms, ADMIN_PHONE)
    page.wait_for_url(re.compile(r"/admin/console$"))
    return context, page, errors


def balance(db: Any, user_id: int) -> int:
    return one(db, "SELECT coalesce(sum(delta), 0) FROM points_entries WHERE user_id = :u", u=user_id)


def test_moderation_points_fair_play_and_mentors_in_the_browser(browser, world, platform, db, site):
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    author, reporter = world.developer("作者小明"), world.developer("热心网友")
    r = call("POST", "/community/posts", {"body": "加我微信私聊接单，价格好商量", "tags": ["接单"]}, author.token)
    assert r.status == 201, r.body
    post_id = r["id"]
    assert call("POST", f"/community/posts/{post_id}/report", {"reason": "引导站外交易"}, reporter.token).status == 200

    # A merchant and a developer sharing a WeChat unionid complete a task: growth flags the pair.
    merchant, twin = world.merchant("同一人商家"), world.developer("同一人开发者")
    with db.begin() as conn:
        conn.execute(text("UPDATE users SET unionid = 'u-same' WHERE id IN (:m, :d)"),
                     {"m": merchant.user_id, "d": twin.user_id})
    task = delivered_task(world, merchant, twin)
    accept(merchant, task["id"])
    rated = call("POST", f"/work/{task['id']}/ratings", {"stars": 5, "comment": "不错"}, merchant.token)
    assert rated.status in (200, 201), rated.body
    mentor = world.developer("王老师")
    assert call("POST", "/mentors/me/real-name", {"real_name": "王建国", "title": "资深后端工程师"},
                mentor.token).status == 200
    work_off_jobs()

    context, page, errors = open_console(browser, site, platform.fakes["sms"])

    # Community: the reported post with what the reporter said; hiding needs a reason; then restored.
    page.click("nav.side a[data-nav='community']")
    card = f"#post-{post_id}"
    page.wait_for_selector(f"#reported {card}")
    assert "引导站外交易" in page.inner_text(card) and "举报 1 次" in page.inner_text(card)
    assert "热心网友" in page.inner_text(card)  # who reported it
    shot(page, "20-community-reports")
    page.click(f"#hide-{post_id} button")
    page.wait_for_selector(f"#hide-{post_id}-errors .alert.error")
    assert one(db, "SELECT status FROM posts WHERE id = :p", p=post_id) == "visible"
    page.fill(f"#hide-{post_id} input[name=reason]", "含站外联系方式")
    page.click(f"#hide-{post_id} button")
    page.wait_for_selector(f"{card}[data-status='hidden'] .alert.ok")
    hidden = one(db, "SELECT status || ':' || hidden_reason FROM posts WHERE id = :p", p=post_id)
    assert hidden == "hidden:含站外联系方式"
    assert one(db, "SELECT count(*) FROM notifications WHERE user_id = :u", u=author.user_id) >= 1
    page.reload()
    page.wait_for_selector(f"#hidden {card}")  # off the queue, in the hidden list
    assert page.locator(f"#reported {card}").count() == 0
    page.fill(f"#restore-{post_id} input[name=reason]", "复核后确认为误判")
    page.click(f"#restore-{post_id} button")
    page.wait_for_selector(f"{card}[data-status='visible'] .alert.ok")
    assert one(db, "SELECT status FROM posts WHERE id = :p", p=post_id) == "visible"
    assert audited(db, "post.hide", status="hidden") == 1 and audited(db, "post.restore", status="visible") == 1
    shot(page, "21-community-restored")

    # Growth: a user's points; a bad amount refused; grant, deduct, reverse the grant; the fair-play flag listed.
    page.click("nav.side a[data-nav='growth']")
    expect(page.locator(f"#fair-play tr[data-flag='{merchant.user_id}-{twin.user_id}']")).to_be_visible()
    assert "相同微信 unionid" in page.inner_text("#fair-play")
    start = balance(db, author.user_id)
    page.fill("#points-user", str(author.user_id))
    page.click("#points-search button")
    page.wait_for_selector(f"#points-panel[data-user='{author.user_id}']")
    assert page.inner_text("#points-balance") == str(start)
    page.fill("#points-adjust input[name=delta]", "0")
    page.fill("#points-adjust input[name=reason]", "测试")
    page.click("#points-adjust button")
    page.wait_for_selector("#points-adjust-errors .alert.error")
    assert "不能为 0" in page.inner_text("#points-adjust-errors")
    page.fill("#points-adjust input[name=delta]", "80")
    page.fill("#points-adjust input[name=reason]", "社区活动奖励")
    page.click("#points-adjust button")
    page.wait_for_selector("#points-panel .alert.ok")
    assert page.inner_text("#points-balance") == str(start + 80) and balance(db, author.user_id) == start + 80
    grant = one(db, "SELECT id FROM points_entries WHERE user_id = :u AND source_class = 'admin' AND delta = 80",
                u=author.user_id)
    page.fill("#points-adjust input[name=delta]", "-30")
    page.fill("#points-adjust input[name=reason]", "违规发帖扣分")
    page.click("#points-adjust button")
    page.wait_for_selector("#points-panel .alert.ok >> text=已扣除 30 积分")
    assert balance(db, author.user_id) == start + 50
    assert page.locator("#points-history tr[data-source='admin']").count() == 2
    page.fill(f"#reverse-{grant} input[name=reason]", "误发，冲正")
    page.click(f"#reverse-{grant} button")
    page.wait_for_selector("#points-panel .alert.ok >> text=已冲正")
    assert balance(db, author.user_id) == start - 30
    assert one(db, "SELECT delta FROM points_entries WHERE reverses_id = :e", e=grant) == -80
    assert f"#{grant}" in page.inner_text(f"#entry-{grant}") and "已冲正" in page.inner_text(f"#entry-{grant}")
    assert audited(db, "points.grant", delta=80) == 1 and audited(db, "points.deduct", delta=-30) == 1
    assert audited(db, "points.reverse", delta=-80) == 1
    shot(page, "22-growth-points")

    # Users: the mentor real-name queue; a rejection needs a reason; approve, then set the mentor flag.
    page.click("nav.side a[data-nav='users']")
    row = f"#mentor-queue tr[data-mentor='{mentor.user_id}']"
    page.wait_for_selector(row)
    assert "王建国" in page.inner_text(row)
    page.click(f"{row} a >> nth=0")
    page.wait_for_selector("#mentor-real-name[data-status='pending']")
    page.click("#mentor-reject")
    page.wait_for_selector("#mentor-real-name-form-errors .alert.error")
    assert one(db, "SELECT real_name_status FROM mentors WHERE user_id = :u", u=mentor.user_id) == "pending"
    page.click("#mentor-approve")
    page.wait_for_selector("#mentor-real-name[data-status='approved']")
    assert one(db, "SELECT real_name_status FROM mentors WHERE user_id = :u", u=mentor.user_id) == "approved"
    page.click("#mentor-flag button")  # no reason: refused
    page.wait_for_selector("#mentor-flag-errors .alert.error")
    page.fill("#mentor-flag input[name=reason]", "社区认可的资深工程师")
    page.click("#mentor-flag button")
    page.wait_for_selector("#mentor-badge.ok")
    assert page.inner_text("#mentor-badge") == "有效导师"
    assert one(db, "SELECT flagged FROM mentors WHERE user_id = :u", u=mentor.user_id) is True
    assert audited(db, "mentor.real_name_approved", real_name_status="approved") == 1
    assert audited(db, "mentor.flag", flagged=True) == 1
    shot(page, "23-user-mentor")

    # The audit trail names every one of these actions.
    page.click("nav.side a[data-nav='audit']")
    page.wait_for_selector("#audit tr[data-action='mentor.flag']")
    actions = set(page.eval_on_selector_all("#audit tr[data-action]", "rows => rows.map(r => r.dataset.action)"))
    assert {"post.hide", "post.restore", "points.grant", "points.deduct", "points.reverse",
            "mentor.real_name_approved", "mentor.flag"} <= actions
    assert errors == [], errors
    context.close()


def test_challenges_and_badge_rules_in_the_browser(browser, world, platform, db, site):
    seed_challenges()
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    merchant, dev = world.merchant("老客户"), world.developer("完成任务的开发者")
    accept(merchant, delivered_task(world, merchant, dev)["id"])
    work_off_jobs()
    context, page, errors = open_console(browser, site, platform.fakes["sms"])

    # Challenges: a definition the rules refuse is shown with its reason and saves nothing; a good one is saved.
    page.click("nav.side a[data-nav='challenges']")
    page.wait_for_selector("#challenges tr[data-challenge='welcome']")
    shot(page, "24-challenges")
    page.click("#challenges a[data-edit='welcome']")
    page.wait_for_selector("#challenge-form")
    definition = json.loads(page.input_value("#challenge-form textarea[name=definition]"))
    assert definition["rewards"]["points"] == 100
    broken = {**definition, "window": {"kind": "yearly"}}
    page.fill("#challenge-form textarea[name=definition]", json.dumps(broken, ensure_ascii=False))
    page.click("#challenge-form button[type=submit]")
    page.wait_for_selector("#challenge-form-errors .alert.error")
    assert "window.kind" in page.inner_text("#challenge-form-errors")
    page.fill("#challenge-form textarea[name=definition]", "{不是 JSON")
    page.click("#challenge-form button[type=submit]")
    page.wait_for_selector("#challenge-form-errors .alert.error >> text=不是合法的 JSON")
    assert one(db, "SELECT version FROM challenges WHERE key = 'welcome'") == 1
    definition["rewards"]["points"] = 150
    page.fill("#challenge-form textarea[name=definition]", json.dumps(definition, ensure_ascii=False))
    page.fill("#challenge-form input[name=name]", "入驻见面礼（加码）")
    page.fill("#challenge-form input[name=reason]", "新用户奖励加码")
    page.click("#challenge-form button[type=submit]")
    page.wait_for_selector("#challenge-editor[data-version='2'] .alert.ok")
    saved = one(db, "SELECT name || ':' || (definition->'rewards'->>'points') || ':' || version FROM challenges"
                    " WHERE key = 'welcome'")
    assert saved == "入驻见面礼（加码）:150:2"
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = 'challenge.save'"
                   " AND data->>'reason' = '新用户奖励加码'") == 1
    shot(page, "25-challenge-saved")
    page.click("nav.side a[data-nav='challenges']")
    page.fill("#new-challenge-key", "spring_sprint")
    page.click("#new-challenge button")
    page.wait_for_url(re.compile(r"/challenges/spring_sprint$"))
    page.fill("#challenge-form input[name=name]", "春季冲刺")
    page.click("#challenge-form button[type=submit]")
    page.wait_for_selector("#challenge-editor .alert.ok")
    assert one(db, "SELECT name || ':' || active FROM challenges WHERE key = 'spring_sprint'") == "春季冲刺:false"

    # The check-in streak repair after an outage: today cannot be excused; two past days are, and audited.
    page.click("nav.side a[data-nav='challenges']")
    page.fill("#repair-form input[name=start]", "2026-11-25")
    page.fill("#repair-form input[name=reason]", "平台故障无法签到")
    page.click("#repair-form button")
    page.wait_for_selector("#repair-form-errors .alert.error")
    assert "今天" in page.inner_text("#repair-form-errors")
    page.fill("#repair-form input[name=start]", "2026-11-20")
    page.fill("#repair-form input[name=end]", "2026-11-21")
    page.click("#repair-form button")
    page.wait_for_selector("#checkin-repair .alert.ok")
    assert page.locator("#excused-days tr[data-day]").count() == 2
    excused = one(db, "SELECT string_agg(day::text, ',' ORDER BY day) FROM checkin_excused_days")
    assert excused == "2026-11-20,2026-11-21"
    assert audited(db, "checkin.repair", start="2026-11-20", end="2026-11-21") == 1

    # Badges: a new rule previewed (how many users it would grant now), refused when invalid, created disabled,
    # previewed again, enabled (backfilled from past events), then disabled.
    page.click("nav.side a[data-nav='badges']")
    form = "#badge-create"
    page.fill(f"{form} input[name=key]", "first_job")
    page.fill(f"{form} input[name=name]", "首单达成")
    page.select_option(f"{form} select[name=rule_kind]", "count")
    page.fill(f"{form} textarea[name=params]", '{"event": "TaskCompleted", "n": 1}')
    page.fill(f"{form} input[name=triggers]", "TaskCompleted")
    page.click("#badge-preview-new")
    page.wait_for_selector("#badge-preview-new-result .preview")
    assert page.get_attribute("#badge-preview-new-result .preview", "data-users") == "1"
    assert page.get_attribute("#badge-preview-new-result .preview", "data-new") == "1"
    assert one(db, "SELECT count(*) FROM badges") == 0  # a preview changes nothing
    page.fill(f"{form} textarea[name=params]", '{"event": "TaskCompleted"')
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#badge-create-errors .alert.error")
    assert one(db, "SELECT count(*) FROM badges") == 0
    page.fill(f"{form} textarea[name=params]", '{"event": "TaskCompleted", "n": 1}')
    page.click(f"{form} button[type=submit]")
    row = "#badge-first_job"
    page.wait_for_selector(f"{row}[data-enabled='false'] .alert.ok")
    assert one(db, "SELECT enabled FROM badges WHERE key = 'first_job'") is False
    # The refusal and the earlier preview are gone from the form, and so is the "no badge yet" row.
    assert page.inner_text("#badge-create-errors") == "" and page.inner_text("#badge-preview-new-result") == ""
    assert page.locator("#badge-empty").count() == 0
    page.click("#preview-first_job button")
    page.wait_for_selector("#badge-first_job-preview .preview")
    assert "1 人持有" in page.inner_text("#badge-first_job-preview")
    shot(page, "26-badge-preview")
    page.fill("#enable-first_job input[name=reason]", "首单徽章上线")
    page.click("#enable-first_job button")
    page.wait_for_selector(f"{row}[data-enabled='true'] .alert.ok")
    assert one(db, "SELECT enabled FROM badges WHERE key = 'first_job'") is True
    work_off_jobs()  # the backfill: past TaskCompleted events replayed to the badge subscriber
    assert one(db, "SELECT count(*) FROM badge_grants WHERE badge_key = 'first_job' AND user_id = :u",
               u=dev.user_id) == 1
    page.reload()
    expect(page.locator("#badge-first_job-holders")).to_have_text("1")
    page.fill("#disable-first_job input[name=reason]", "活动结束")
    page.click("#disable-first_job button")
    page.wait_for_selector(f"{row}[data-enabled='false'] .alert.ok")
    assert one(db, "SELECT enabled FROM badges WHERE key = 'first_job'") is False
    assert one(db, "SELECT count(*) FROM badge_grants WHERE badge_key = 'first_job'") == 1  # grants are kept
    # Edit the rule: the edited rule previewed (nobody has two tasks yet), a broken one refused, then saved.
    page.click("#badges a[data-edit='first_job']")
    page.wait_for_selector("#badge-edit")
    page.fill("#badge-edit textarea[name=params]", '{"event": "TaskCompleted", "n": 2}')
    page.click("#badge-preview-edit")
    page.wait_for_selector("#badge-preview-edit-result .preview")
    assert page.get_attribute("#badge-preview-edit-result .preview", "data-users") == "0"
    page.fill("#badge-edit input[name=triggers]", "")
    page.click("#badge-edit button[type=submit]")
    page.wait_for_selector("#badge-edit-errors .alert.error")
    page.fill("#badge-edit input[name=triggers]", "TaskCompleted")
    page.fill("#badge-edit input[name=name]", "两单达成")
    page.fill("#badge-edit input[name=reason]", "门槛提高")
    page.click("#badge-edit button[type=submit]")
    page.wait_for_selector("#badge-editor[data-version='2'] .alert.ok")
    assert one(db, "SELECT name || ':' || (params->>'n') || ':' || version FROM badges WHERE key = 'first_job'") == (
        "两单达成:2:2")
    # A revocable badge taken back from its holder, with a reason (refused without a user).
    page.click("nav.side a[data-nav='badges']")
    page.fill(f"{form} input[name=key]", "on_probation")
    page.fill(f"{form} input[name=name]", "见习开发者")
    page.fill(f"{form} textarea[name=params]", '{"event": "TaskCompleted", "n": 1}')
    page.fill(f"{form} input[name=triggers]", "TaskCompleted")
    page.check(f"{form} input[name=revocable]")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#badge-on_probation .alert.ok")
    page.click("#enable-on_probation button")
    page.wait_for_selector("#badge-on_probation[data-enabled='true']")
    work_off_jobs()
    assert one(db, "SELECT count(*) FROM badge_grants WHERE badge_key = 'on_probation'") == 1
    page.reload()
    page.fill("#revoke-on_probation input[name=reason]", "评价存在刷分行为")
    page.click("#revoke-on_probation button")
    page.wait_for_selector("#revoke-on_probation-errors .alert.error")
    page.fill("#revoke-on_probation input[name=user_id]", str(dev.user_id))
    page.click("#revoke-on_probation button")
    page.wait_for_selector("#badge-on_probation .alert.ok >> text=已收回")
    expect(page.locator("#badge-on_probation-holders")).to_have_text("0")
    assert one(db, "SELECT count(*) FROM badge_revocations r JOIN badge_grants g ON g.id = r.grant_id"
                   " WHERE g.badge_key = 'on_probation' AND g.user_id = :u", u=dev.user_id) == 1
    assert audited(db, "badge.revoke", key="on_probation", user_id=dev.user_id) == 1
    for action in ("badge.create", "badge.enable", "badge.disable", "badge.update"):
        assert audited(db, action, key="first_job") == 1, action
    shot(page, "27-badges")
    assert errors == [], errors
    context.close()
