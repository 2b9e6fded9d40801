"""One-tap apply, caps, withdraw, merchant responses, batch close, and the 48-hour guarantee."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.support.api import call


def timer(name, clock):
    from functions.timers.index import main_handler

    return main_handler({"Type": "Timer", "TriggerName": name, "Time": clock.now().isoformat()}, None)


def test_apply_snapshots_resume_and_notifies_merchant(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    r = call("POST", "/applications", {"task_id": task["id"], "note": "三天可交付"}, dev.token)
    assert r.status == 201 and r["resume"] is None  # the developer sees no snapshot of themself
    # The resume changes afterwards; the merchant still sees the card as it was when applying.
    call("PUT", "/profiles/developer", {"display_name": "改名了", "headline": "新的介绍", "skills": ["go"]}, dev.token)
    applicants = call("GET", "/applications", query={"task_id": task["id"]}, token=merchant.token)
    snap = applicants["items"][0]["resume"]
    assert snap["display_name"] != "改名了" and [s["slug"] for s in snap["skills"]] == ["python", "vue"]
    assert applicants["items"][0]["note"] == "三天可交付"
    inbox = call("GET", "/notifications", token=merchant.token)
    assert inbox["items"][0]["kind"] == "application_received"
    assert call("GET", f"/tasks/{task['id']}").body["applications_count"] == 1


def test_apply_refusals(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    assert call("POST", "/applications", {"task_id": task["id"]}, dev.token).status == 201
    r = call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    assert r.status == 409 and r["code"] == "ALREADY_APPLIED"
    r = call("POST", "/applications", {"task_id": 999_999}, dev.token)
    assert r.status == 404
    r = call("POST", "/applications", {"task_id": task["id"]}, merchant.token)
    assert r.status == 403  # merchants without a developer profile have no developer role
    nobody = world.login_wechat("no-profile")
    assert call("POST", "/applications", {"task_id": task["id"]}, nobody.token).status == 403
    r = call("POST", "/applications", {"task_id": "abc"}, dev.token)
    assert r.status == 422 and r["errors"][0]["field"] == "task_id"


def test_merchant_who_is_also_a_developer_cannot_apply_to_own_task(world):
    merchant = world.merchant()
    call("PUT", "/profiles/developer", {"display_name": "双重身份", "headline": "也写代码", "skills": ["python"]},
         merchant.token)
    task = world.open_task(merchant)
    r = call("POST", "/applications", {"task_id": task["id"]}, merchant.token)
    assert r.status == 409 and r["code"] == "OWN_TASK"


def test_daily_cap_free_5_resets_at_beijing_midnight(world, clock):
    merchant, dev = world.merchant(), world.developer()
    tasks = [world.open_task(merchant, title=f"任务标题 {i}") for i in range(7)]
    for t in tasks[:5]:
        assert call("POST", "/applications", {"task_id": t["id"]}, dev.token).status == 201
    r = call("POST", "/applications", {"task_id": tasks[5]["id"]}, dev.token)
    assert r.status == 429 and r["code"] == "DAILY_APPLICATION_CAP" and "5" in r["message"]
    assert call("GET", "/applications/quota", token=dev.token).body == {"used_today": 5, "daily_cap": 5,
                                                                         "premium": False}
    # T0 is 10:00 Beijing; 13 h 59 min later is 23:59 — still the same day.
    clock.advance(timedelta(hours=13, minutes=59))
    world.renew(dev)
    assert call("POST", "/applications", {"task_id": tasks[5]["id"]}, dev.token).status == 429
    clock.advance(timedelta(minutes=2))  # 00:01 Beijing: a new day
    assert call("POST", "/applications", {"task_id": tasks[5]["id"]}, dev.token).status == 201


def test_premium_members_get_30(world, db):
    from sqlalchemy import text

    from shared import clock as clk

    merchant, dev = world.merchant(), world.developer()
    with db.begin() as conn:
        conn.execute(text("UPDATE users SET premium_until = :t WHERE id = :u"),
                     {"t": clk.now() + timedelta(days=30), "u": dev.user_id})
    q = call("GET", "/applications/quota", token=dev.token).body
    assert q["daily_cap"] == 30 and q["premium"] is True
    tasks = [world.open_task(merchant, title=f"任务标题 {i}") for i in range(6)]
    assert all(call("POST", "/applications", {"task_id": t["id"]}, dev.token).status == 201 for t in tasks)


def test_cap_holds_under_concurrent_taps(world):
    merchant, dev = world.merchant(), world.developer()
    tasks = [world.open_task(merchant, title=f"任务标题 {i}") for i in range(8)]
    results = []

    def tap(task_id):
        results.append(call("POST", "/applications", {"task_id": task_id}, dev.token).status)

    threads = [threading.Thread(target=tap, args=(t["id"],)) for t in tasks]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [201] * 5 + [429] * 3


def test_withdraw(world):
    merchant, dev, other = world.merchant(), world.developer(), world.developer()
    task = world.open_task(merchant)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    assert call("POST", f"/applications/{app['id']}/withdraw", None, other.token).status == 404
    r = call("POST", f"/applications/{app['id']}/withdraw", None, dev.token)
    assert r.status == 200 and r["status"] == "withdrawn"
    assert call("POST", f"/applications/{app['id']}/withdraw", None, dev.token).status == 409
    assert call("POST", f"/applications/{app['id']}/accept", None, merchant.token).status == 409


def test_shortlist_reject_accept_and_batch_close(world):
    merchant = world.merchant()
    devs = [world.developer() for _ in range(4)]
    task = world.open_task(merchant)
    apps = [call("POST", "/applications", {"task_id": task["id"]}, d.token).body for d in devs]
    assert call("POST", f"/applications/{apps[0]['id']}/shortlist", None, merchant.token)["status"] == "shortlisted"
    r = call("POST", f"/applications/{apps[1]['id']}/reject", {"reason": "技能不匹配"}, merchant.token)
    assert r["status"] == "rejected" and r["reject_reason"] == "技能不匹配"
    assert call("POST", f"/applications/{apps[1]['id']}/reject", {}, merchant.token).status == 422
    r = call("POST", f"/applications/{apps[0]['id']}/accept", None, merchant.token)
    assert r["status"] == "accepted"
    detail = call("GET", f"/tasks/{task['id']}", token=merchant.token).body
    assert detail["status"] == "in_progress" and detail["assignee_id"] == devs[0].user_id
    statuses = {a["id"]: a["status"] for a in call("GET", "/applications", query={"task_id": task["id"]},
                                                      token=merchant.token)["items"]}
    assert statuses == {apps[0]["id"]: "accepted", apps[1]["id"]: "rejected", apps[2]["id"]: "closed",
                        apps[3]["id"]: "closed"}
    for d in devs[2:]:
        kinds = [n["kind"] for n in call("GET", "/notifications", token=d.token)["items"]]
        assert "application_position_filled" in kinds
    # Every applicant got an answer in time: the response rate is 100 %.
    assert call("GET", f"/profiles/merchants/{merchant.user_id}").body["response_rate"] == 1.0
    late = world.developer()
    assert call("POST", "/applications", {"task_id": task["id"]}, late.token)["code"] == "TASK_NOT_OPEN"


def test_two_concurrent_accepts_assign_once(world):
    merchant = world.merchant()
    devs = [world.developer() for _ in range(2)]
    task = world.open_task(merchant)
    apps = [call("POST", "/applications", {"task_id": task["id"]}, d.token).body for d in devs]
    results = []

    def accept(app_id):
        results.append(call("POST", f"/applications/{app_id}/accept", None, merchant.token).status)

    threads = [threading.Thread(target=accept, args=(a["id"],)) for a in apps]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [200, 409]


def test_48h_guarantee_reminds_at_24_and_40_then_closes_with_compensation(world, clock):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token).body

    def merchant_kinds():
        world.renew(merchant)
        return [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]

    clock.advance(timedelta(hours=23, minutes=59))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 0}
    clock.advance(timedelta(minutes=1))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 1, "closed": 0}
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 0}  # fired twice
    assert merchant_kinds().count("feedback_reminder") == 1
    clock.advance(timedelta(hours=16))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 1, "closed": 0}
    assert merchant_kinds().count("feedback_reminder") == 2
    clock.advance(timedelta(hours=8))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 1}
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 0}
    world.renew(dev, merchant)
    mine = call("GET", "/applications/mine", token=dev.token)["items"][0]
    assert mine["id"] == app["id"] and mine["status"] == "no_response"
    # The compensation is growth: an after-commit subscriber of ApplicationUnanswered, run by the jobs worker.
    assert call("GET", "/profiles/developer", token=dev.token).body["points_balance"] == 0
    from shared import jobs

    jobs.work()
    jobs.work()  # nothing left: the points are granted once
    assert call("GET", "/profiles/developer", token=dev.token).body["points_balance"] == 10
    kinds = [n["kind"] for n in call("GET", "/notifications", token=dev.token)["items"]]
    assert kinds.count("application_no_response") == 1
    assert call("GET", f"/profiles/merchants/{merchant.user_id}").body["response_rate"] == 0.0
    assert call("POST", f"/applications/{app['id']}/accept", None, merchant.token).status == 409


def test_late_timer_skips_stale_reminders_and_closes_directly(world, clock):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    clock.advance(timedelta(hours=41))  # the timer was down for 41 hours
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 1, "closed": 0}
    clock.advance(timedelta(days=3))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 1}
    world.renew(merchant)
    kinds = [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]
    assert kinds.count("feedback_reminder") == 1


def test_answered_applications_are_left_alone(world, clock):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token).body
    clock.advance(timedelta(hours=30))
    world.renew(merchant)
    assert call("POST", f"/applications/{app['id']}/shortlist", None, merchant.token).status == 200
    clock.advance(timedelta(hours=30))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 0}
    assert call("GET", f"/profiles/merchants/{merchant.user_id}").body["response_rate"] == 1.0


def test_feedback_window_is_operator_tunable(world, clock):
    merchant, dev = world.merchant(), world.developer()
    admin = world.admin()
    r = call("PUT", "/admin/rules/feedback_window_hours", {"value": 24}, admin.token)
    assert r.status == 200 and r["feedback_window_hours"] == 24
    assert call("PUT", "/admin/rules/feedback_window_hours", {"value": -1}, admin.token).status == 422
    for loose in ("24", 24.0, True):  # operator rules are as strict as any request body: no coercion
        assert call("PUT", "/admin/rules/feedback_window_hours", {"value": loose}, admin.token).status == 422
    assert call("PUT", "/admin/rules/no_such_rule", {"value": 1}, admin.token).status == 404
    assert call("PUT", "/admin/rules/feedback_window_hours", {"value": 1}, dev.token).status == 403
    task = world.open_task(merchant)
    call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    clock.advance(timedelta(hours=24))
    assert timer("feedback_guarantee", clock)["result"] == {"reminded": 0, "closed": 1}
