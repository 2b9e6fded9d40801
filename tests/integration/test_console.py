"""The web console in process (Function URL events to the admin function, real PostgreSQL, the SMS fake): sessions,
refusals on every route, CSRF, and each action's effect in the database. The browser walk is tests/e2e/test_console.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from shared.auth.service import make_admin
from shared.console.app import router as console_router
from shared.uow import run
from tests.support.api import call
from tests.support.console import BASE, Console

ADMIN_PHONE = "13911112222"  # not world.admin(), who approves tasks by API


def one(db, sql: str, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _sample(path: str) -> str:
    """A concrete path for a route pattern (ids that do not exist: refusals must come before any lookup)."""
    path = re.sub(r"\{\w+:int\}", "999", path)
    return re.sub(r"\{(\w+)(:str)?\}", lambda m: "2026-11-01" if m.group(1) == "bill_date" else "x", path)


def private_routes():
    return [(r.method, _sample(r.path)) for r in console_router.routes if not getattr(r.handler, "public", False)]


@pytest.fixture
def admin(world, platform):
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    console = Console()
    answer = console.login(platform.fakes["sms"], ADMIN_PHONE)
    assert answer.status == 303 and answer.location == BASE
    return console


def test_every_private_route_refuses_a_logged_out_visitor(db):
    visitor = Console()
    for method, path in private_routes():
        answer = visitor.request(method, path)
        if method == "GET":
            assert answer.status == 303 and answer.location.startswith(f"{BASE}/login?next="), (path, answer)
        else:
            assert answer.status == 401, (method, path, answer.status)
        assert "csrf_token" not in answer.text


def test_a_mini_program_token_opens_nothing(world):
    dev = world.developer()
    for method, path in private_routes():
        answer = Console().request(method, path, headers={"authorization": f"Bearer {dev.token}"})
        assert answer.status in (303, 401), (method, path)


def test_only_admins_can_sign_in_and_no_account_is_created(world, platform, db):
    sms = platform.fakes["sms"]
    dev = world.developer()
    run(lambda uow: uow.execute("UPDATE users SET phone = '+8613700000001' WHERE id = :u", {"u": dev.user_id}))
    for phone in ("13700000001", "13700000002"):  # a developer; a phone nobody has
        console = Console()
        answer = console.login(sms, phone)
        assert answer.status == 403 and "没有运营后台权限" in answer.text
        assert "codelink-console" not in console.cookies
    assert one(db, "SELECT count(*) FROM users WHERE phone = '+8613700000002'") == 0
    assert one(db, "SELECT count(*) FROM web_sessions") == 0


def test_the_session_cookie_and_its_row(admin, db):
    home = admin.get(BASE)
    assert home.status == 200 and "经营看板" in home.text
    assert "content-security-policy" in home.headers and "script-src 'self'" in home.headers["content-security-policy"]
    assert home.headers["cache-control"] == "no-store"
    token = admin.cookies["codelink-console"]
    row = one(db, "SELECT count(*) FROM web_sessions WHERE revoked_at IS NULL AND token_hash <> :t", t=token)
    assert row == 1  # stored by its hash, not the cookie's value
    assert one(db, "SELECT count(*) FROM event_log WHERE name = 'AdminAudited'"
                   " AND data->>'action' = 'console.login'") == 1


def test_login_sets_an_httponly_strict_cookie_for_the_console_path(world, platform):
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    console = Console()
    page = console.get(f"{BASE}/login")
    console.csrf = page.csrf()
    console.post(f"{BASE}/login/code", {"phone": ADMIN_PHONE}, htmx=True)
    code = platform.fakes["sms"].last_code("+86" + ADMIN_PHONE)
    answer = console.post(f"{BASE}/login", {"phone": ADMIN_PHONE, "code": code})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("codelink-console=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={BASE}" in cookie
    assert "Secure" not in cookie  # plain-http local gateway; over https it is Secure (tests/unit/test_console_web.py)


def test_a_login_without_its_csrf_cookie_is_refused(world, platform):
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    platform.fakes["sms"].clear()
    forged = Console()
    answer = forged.post(f"{BASE}/login/code", {"phone": ADMIN_PHONE, "csrf_token": "guess"})
    assert answer.status == 403 and "CSRF_FAILED" in answer.text
    assert platform.fakes["sms"].last_code("+86" + ADMIN_PHONE) is None


def test_every_private_post_without_the_csrf_token_is_refused(admin, db):
    before = one(db, "SELECT count(*) FROM event_log")
    for method, path in private_routes():
        if method != "POST":
            continue
        answer = admin.post(path, {"reason": "测试原因", "value": "5"}, csrf=False)
        assert answer.status == 403 and "CSRF_FAILED" in answer.text, path
        wrong = admin.post(path, {"csrf_token": "not-the-token"}, csrf=False, htmx=True)
        assert wrong.status == 403, path
    assert one(db, "SELECT count(*) FROM event_log") == before  # nothing happened, nothing audited


def test_a_session_whose_user_lost_the_admin_role_is_refused_everywhere(admin, db):
    run(lambda uow: uow.execute("UPDATE users SET roles = '{}' WHERE phone = :p", {"p": "+86" + ADMIN_PHONE}))
    for method, path in private_routes():
        answer = admin.request(method, path)
        assert answer.status == 403 and "需要运营管理员身份" in answer.text, (method, path)


def test_logout_revokes_the_session(admin, db):
    answer = admin.post(f"{BASE}/logout")
    assert answer.status == 303 and answer.location == f"{BASE}/login"
    assert one(db, "SELECT count(*) FROM web_sessions WHERE revoked_reason = 'logout'") == 1
    assert "codelink-console" not in admin.cookies
    replay = Console(cookies={"codelink-console": one(db, "SELECT 'x'")})
    assert replay.get(BASE).status == 303


def test_an_old_cookie_is_refused_after_logout(admin, db):
    stolen = dict(admin.cookies)
    admin.post(f"{BASE}/logout")
    assert Console(cookies=stolen).get(f"{BASE}/users").status == 303


def test_sessions_expire_when_idle(admin, clock):
    assert admin.get(f"{BASE}/users").status == 200
    clock.advance(timedelta(hours=2, minutes=1))
    assert admin.get(f"{BASE}/users").status == 303


def test_every_page_renders(admin, world):
    for path in ("", "/users", "/tasks", "/disputes", "/disputes?status=ruled", "/money", "/rules", "/audit",
                 "/community", "/growth", "/growth?user_id=1", "/challenges", "/challenges/welcome",
                 "/challenges/new_one", "/badges"):
        page = admin.get(BASE + path)
        assert page.status == 200, (path, page.text[:2000])
        assert "<nav class=\"side\">" in page.text


def test_static_files_are_versioned_and_gzipped(admin):
    home = admin.get(BASE)
    src = re.search(r'src="(/admin/console/static/echarts[^"]+)"', home.text).group(1)
    plain = Console().get(src.replace("&amp;", "&"))
    assert plain.status == 200 and "immutable" in plain.headers["cache-control"]
    zipped = Console().get(src, headers={"accept-encoding": "gzip, br"})
    assert zipped.headers.get("content-encoding") == "gzip"
    assert Console().get(f"{BASE}/static/..%2Fweb.py").status == 404
    assert Console().get(f"{BASE}/static/web.py").status == 404


# --- actions: refusals with a reason, nothing changed -----------------------------------------------------------------


def test_ban_needs_a_reason_and_never_oneself(admin, world, db):
    dev = world.developer()
    empty = admin.post(f"{BASE}/users/{dev.user_id}/ban", {"reason": " "}, htmx=True, headers={"hx-trigger": "ban"})
    assert empty.status == 422 and "原因" in empty.text
    assert empty.headers["hx-retarget"] == "#ban-errors"  # the message goes to the form's own box
    me = one(db, "SELECT id FROM users WHERE phone = :p", p="+86" + ADMIN_PHONE)
    assert admin.post(f"{BASE}/users/{me}/ban", {"reason": "试试看"}, htmx=True).status == 409
    assert admin.post(f"{BASE}/users/99999/ban", {"reason": "不存在"}, htmx=True).status == 404
    assert admin.post(f"{BASE}/users/{dev.user_id}/unban", {"reason": "没停用过"}, htmx=True).status == 409
    assert one(db, "SELECT count(*) FROM users WHERE status = 'banned'") == 0
    done = admin.post(f"{BASE}/users/{dev.user_id}/ban", {"reason": "刷单"}, htmx=True)
    assert done.status == 200 and "已停用" in done.text
    plain = admin.post(f"{BASE}/users/{dev.user_id}/unban", {"reason": "申诉成功"})  # no JavaScript: back to the page
    assert plain.status == 303 and plain.location == f"{BASE}/users/{dev.user_id}"
    assert one(db, "SELECT status FROM users WHERE id = :u", u=dev.user_id) == "active"


def test_users_are_found_by_id_phone_and_name(admin, world):
    dev = world.developer("小林同学")
    run(lambda uow: uow.execute("UPDATE users SET phone = '+8613712345678' WHERE id = :u", {"u": dev.user_id}))
    for q in (str(dev.user_id), "137 1234 5678", "小林"):
        page = admin.get(f"{BASE}/users?q={q}", htmx=True)
        assert page.status == 200 and f'data-user="{dev.user_id}"' in page.text, q
        assert "137****5678" in page.text and "13712345678" not in page.text  # phones are masked
    assert "没有找到用户" in admin.get(f"{BASE}/users?q=nobody-here", htmx=True).text


def test_rules_refuse_what_the_model_refuses(admin, db):
    bad = admin.post(f"{BASE}/rules/max_revisions", {"value": "99"}, htmx=True)
    assert bad.status == 422 and "max_revisions" in bad.text
    assert admin.post(f"{BASE}/rules/no_such_rule", {"value": "1"}, htmx=True).status == 404
    assert admin.post(f"{BASE}/rules/launch_date", {"value": "not a date"}, htmx=True).status == 422
    ok = admin.post(f"{BASE}/rules/launch_date", {"value": "2026-03-01"}, htmx=True)
    assert ok.status == 200 and "已修改：&#34;2026-01-01&#34; → &#34;2026-03-01&#34;" in ok.text
    assert one(db, "SELECT value #>> '{}' FROM config_values WHERE key = 'launch_date'") == "2026-03-01"


def test_a_ruling_runs_only_after_its_confirmation_and_on_the_previewed_escrow(admin, world, db):
    from tests.support.payouts import delivered_task

    merchant, developer = world.merchant(), world.developer()
    task = delivered_task(world, merchant, developer)
    dispute = call("POST", "/disputes", {"task_id": task["id"], "reason": "交付与需求不符，无法使用。"}, merchant.token)
    path = f"{BASE}/disputes/{dispute['id']}/ruling"
    form = {"outcome": "split", "payout_yuan": "500", "note": "按完成度分配"}
    too_much = admin.post(path + "/preview", form, htmx=True)
    assert too_much.status == 422 and "499.99" in too_much.text  # the escrow holds ¥500
    preview = admin.post(path + "/preview", {**form, "payout_yuan": "120.5"}, htmx=True)
    assert preview.status == 200 and "¥102.42" in preview.text and "¥379.50" in preview.text
    assert admin.post(path, {**form, "payout_fen": "12050"}, htmx=True).status == 422  # not confirmed
    stale = admin.post(path, {**form, "payout_fen": "12050", "confirmed": "1", "held_fen": "1"}, htmx=True)
    assert stale.status == 409 and "ESCROW_CHANGED" in stale.text
    assert one(db, "SELECT status FROM disputes WHERE id = :d", d=dispute["id"]) == "open"
    done = admin.post(path, {**form, "payout_fen": "12050", "confirmed": "1", "held_fen": "50000"}, htmx=True)
    assert done.status == 200 and "裁决已执行" in done.text
    assert one(db, "SELECT payout_gross_fen FROM disputes WHERE id = :d", d=dispute["id"]) == 12_050
    again = admin.post(path, {**form, "payout_fen": "12050", "confirmed": "1", "held_fen": "0"}, htmx=True)
    assert again.status == 409


def test_a_ruling_records_the_ticked_reasons_of_the_current_assessment(admin, world, db):
    from tests.support.payouts import delivered_task

    merchant, developer = world.merchant(), world.developer()
    task = delivered_task(world, merchant, developer)
    dispute = call("POST", "/disputes", {"task_id": task["id"], "reason": "交付与需求不符，无法使用。"}, merchant.token)
    page = admin.get(f"{BASE}/disputes/{dispute['id']}")
    reason = "商家未要求修改即发起纠纷"
    assert page.status == 200 and f'value="{reason}"' in page.text and 'id="evidence"' in page.text
    assert 'value="开发者尚无完成的任务"' in page.text
    path = f"{BASE}/disputes/{dispute['id']}/ruling"
    form = {"outcome": "refund", "note": "未交付可用的成果", "relied_on.0": reason, "relied_on.3": "编造的理由"}
    made_up = admin.post(path + "/preview", form, htmx=True)
    assert made_up.status == 422 and "编造的理由" in made_up.text
    form = {"outcome": "refund", "note": "未交付可用的成果", "relied_on.2": "开发者尚无完成的任务",
            "relied_on.0": reason, "relied_on.1": " "}
    preview = admin.post(path + "/preview", form, htmx=True)
    assert preview.status == 200 and 'name="relied_on.1" value="开发者尚无完成的任务"' in preview.text
    sneaked = admin.post(path, {**form, "relied_on.4": "编造的理由", "confirmed": "1", "held_fen": "50000"}, htmx=True)
    assert sneaked.status == 422 and one(db, "SELECT status FROM disputes WHERE id = :d", d=dispute["id"]) == "open"
    done = admin.post(path, {**form, "confirmed": "1", "held_fen": "50000"}, htmx=True)
    assert done.status == 200 and "开发者尚无完成的任务" in done.text
    assert one(db, "SELECT ruling_reasons FROM disputes WHERE id = :d", d=dispute["id"]) == [
        reason, "开发者尚无完成的任务"]


def test_money_actions_refuse_what_cannot_be_done(admin, db):
    missing = admin.post(f"{BASE}/money/jobs/12345/retry", htmx=True)  # a job that does not exist: 404
    assert missing.status == 404 and "JOB_NOT_FOUND" in missing.text
    today = admin.post(f"{BASE}/money/reconciliation", {"bill_date": "2026-11-25"}, htmx=True)
    assert today.status == 422 and "今天" in today.text
    assert admin.get(f"{BASE}/money/reconciliation/2026-11-01").status == 404
    check = admin.post(f"{BASE}/money/ledger-check", htmx=True)
    assert check.status == 200 and "账本核对通过" in check.text


def test_moderation_refuses_without_a_reason_and_twice(admin, world, db):
    author = world.developer()
    post = call("POST", "/community/posts", {"body": "今天学了 Rust", "tags": []}, author.token)
    path = f"{BASE}/community/posts/{post['id']}"
    assert admin.post(path + "/hide", {"reason": " "}, htmx=True).status == 422
    assert admin.post(path + "/restore", {"reason": "没隐藏过"}, htmx=True).status == 409
    assert admin.post(f"{BASE}/community/posts/99999/hide", {"reason": "不存在"}, htmx=True).status == 404
    assert one(db, "SELECT status FROM posts WHERE id = :p", p=post["id"]) == "visible"
    plain = admin.post(path + "/hide", {"reason": "广告"})  # no JavaScript: back to the queue
    assert plain.status == 303 and plain.location == f"{BASE}/community"
    assert one(db, "SELECT status FROM posts WHERE id = :p", p=post["id"]) == "hidden"
    assert f'data-post="{post["id"]}"' in admin.get(f"{BASE}/community").text


@pytest.mark.parametrize("delta", ["", "abc", "0", "1.5", "100001", "-100001", "1e3"])
def test_points_amounts_that_are_not_whole_nonzero_numbers_are_refused(admin, world, db, delta):
    dev = world.developer()
    answer = admin.post(f"{BASE}/growth/points", {"user_id": str(dev.user_id), "delta": delta, "reason": "测试",
                                                  "request_id": "r1"}, htmx=True)
    assert answer.status == 422, answer.text
    assert one(db, "SELECT count(*) FROM points_entries") == 0


def test_a_points_form_sent_twice_grants_once(admin, world, db):
    dev = world.developer()
    form = {"user_id": str(dev.user_id), "delta": "+20", "reason": "活动奖励", "request_id": "console-abc"}
    assert admin.post(f"{BASE}/growth/points", form, htmx=True).status == 200
    again = admin.post(f"{BASE}/growth/points", form, htmx=True)
    assert again.status == 200 and 'id="points-balance">20<' in again.text
    assert one(db, "SELECT count(*) FROM points_entries WHERE source_class = 'admin'") == 1
    missing = admin.post(f"{BASE}/growth/points", {**form, "user_id": "99999", "request_id": "x"}, htmx=True)
    assert missing.status == 404
    assert admin.post(f"{BASE}/growth/points/99999/reverse", {"reason": "不存在"}, htmx=True).status == 404
    assert admin.get(f"{BASE}/growth?user_id=abc").status == 422
    assert admin.get(f"{BASE}/growth?user_id=99999").status == 404


def test_challenge_and_badge_forms_refuse_what_the_models_refuse(admin, db):
    bad_key = admin.post(f"{BASE}/challenges/Bad-Key", {"name": "x", "definition": "{}"}, htmx=True)
    assert bad_key.status == 422
    no_json = admin.post(f"{BASE}/challenges/ok_key", {"name": "x", "definition": "[1,"}, htmx=True)
    assert no_json.status == 422 and "JSON" in no_json.text
    assert admin.post(f"{BASE}/challenges/ok_key", {"name": "x", "definition": "{}", "position": "-1"},
                      htmx=True).status == 422
    assert one(db, "SELECT count(*) FROM challenges") == 0
    form = {"key": "x1", "name": "徽章", "rule_kind": "count", "params": '{"event": "TaskCompleted", "n": 0}',
            "triggers": "TaskCompleted"}
    assert admin.post(f"{BASE}/badges/preview", form, htmx=True).status == 422  # n must be ≥ 1
    assert admin.post(f"{BASE}/badges/create", {**form, "rule_kind": "magic"}, htmx=True).status == 422
    assert admin.post(f"{BASE}/badges/create", {**form, "triggers": ""}, htmx=True).status == 422
    assert one(db, "SELECT count(*) FROM badges") == 0
    assert admin.post(f"{BASE}/badges/nope/enable", {"reason": ""}, htmx=True).status == 404
    assert admin.get(f"{BASE}/badges/nope").status == 404
    assert admin.post(f"{BASE}/badges/nope/edit", form, htmx=True).status == 404
    assert admin.post(f"{BASE}/badges/nope/revoke", {"user_id": "abc", "reason": "x"}, htmx=True).status == 422


def test_mentor_decisions_need_a_pending_record_and_a_reason_to_reject(admin, world, db):
    dev = world.developer()
    path = f"{BASE}/users/{dev.user_id}/mentor"
    assert admin.post(path + "/real-name", {"approve": "true"}, htmx=True).status == 404  # nothing submitted
    assert call("POST", "/mentors/me/real-name", {"real_name": "赵老师", "title": "前端专家"}, dev.token).status == 200
    assert admin.post(path + "/real-name", {"approve": "false", "reason": ""}, htmx=True).status == 422
    assert admin.post(path + "/real-name", {"approve": "maybe"}, htmx=True).status == 422
    assert one(db, "SELECT real_name_status FROM mentors WHERE user_id = :u", u=dev.user_id) == "pending"
    rejected = admin.post(path + "/real-name", {"approve": "false", "reason": "姓名与证件不符"}, htmx=True)
    assert rejected.status == 200 and "已驳回" in rejected.text
    assert admin.post(path + "/real-name", {"approve": "true"}, htmx=True).status == 409  # decided already
    assert admin.post(path, {"mentor": "true", "reason": ""}, htmx=True).status == 422
    assert admin.post(f"{BASE}/users/99999/mentor", {"mentor": "true", "reason": "不存在"}, htmx=True).status == 404
    flagged = admin.post(path, {"mentor": "true", "reason": "社区推荐"}, htmx=True)
    assert flagged.status == 200 and "待实名通过" in flagged.text  # flagged, but the real name was rejected
    assert one(db, "SELECT flagged FROM mentors WHERE user_id = :u", u=dev.user_id) is True


def test_the_audit_search_filters_and_pages(admin, world):
    merchant = world.merchant()
    for i in range(3):
        call("POST", "/tasks", world.task_body(title=f"审核任务 {i}"), merchant.token)
    queue = admin.get(f"{BASE}/tasks")
    ids = [int(x) for x in re.findall(r'data-task="(\d+)"', queue.text)]
    assert len(ids) == 3
    for task_id in ids:
        assert admin.post(f"{BASE}/tasks/{task_id}/reject", {"reason": f"不合规 {task_id}"}, htmx=True).status == 200
    page = admin.get(f"{BASE}/audit?action=task.reject")
    assert page.text.count('data-action="task.reject"') == 3 and "console.login" not in page.text.split("<tbody>")[1]
    only = admin.get(f"{BASE}/audit?entity=task&entity_id={ids[0]}")
    assert only.text.count('data-action="task.reject"') == 1
    assert admin.get(f"{BASE}/audit?admin=abc").status == 422
    assert admin.get(f"{BASE}/audit?q=不合规 {ids[1]}").text.count('data-action="task.reject"') == 1


def test_backfill_fills_the_dashboard_from_past_events(admin, world):
    from shared.metrics.__main__ import main

    world.developer()
    world.merchant()
    before = admin.get(BASE).text
    assert 'id="kpi-users">0<' in before  # nothing delivered yet (the jobs worker is not kicked in these tests)
    main(["backfill", "--since", "2026-11-01", "--until", "2026-11-30", "--work"])
    assert 'id="kpi-users">2<' in admin.get(BASE).text
    main(["backfill", "--since", "2026-11-01", "--until", "2026-11-30", "--work"])  # again: nothing counted twice
    assert 'id="kpi-users">2<' in admin.get(BASE).text
