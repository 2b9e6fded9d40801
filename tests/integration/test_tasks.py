"""Publishing, review, editing, cancelling, expiry and visibility of tasks."""

from __future__ import annotations

from datetime import timedelta

from tests.support.api import call


def test_first_task_of_a_merchant_waits_for_review_then_later_ones_open(world):
    merchant = world.merchant()
    r = call("POST", "/tasks", world.task_body(), merchant.token)
    assert r.status == 201
    assert r["status"] == "pending_review" and "首次发布" in r["review_reason"]
    assert call("GET", "/tasks").body["items"] == []  # not in the hall
    admin = world.admin()
    queue = call("GET", "/admin/tasks/review-queue", token=admin.token)
    assert [t["id"] for t in queue.body] == [r["id"]]
    approved = call("POST", f"/admin/tasks/{r['id']}/approve", {}, admin.token)
    # Approved, it waits for its escrow; it opens (and is published) when the reward is paid.
    assert approved["status"] == "awaiting_funding" and approved["published_at"] is None
    assert call("GET", "/tasks").body["items"] == []
    world.fund(merchant, r["id"])
    opened = call("GET", f"/tasks/{r['id']}", token=merchant.token)
    assert opened["status"] == "open" and opened["published_at"] and opened["funded_at"]
    second = call("POST", "/tasks", world.task_body(title="第二个任务标题"), merchant.token)
    assert second["status"] == "awaiting_funding"  # no second review
    inbox = call("GET", "/notifications", token=merchant.token)
    assert any(n["kind"] == "task_approved" for n in inbox["items"])


def test_flagged_text_goes_to_review_even_for_known_merchants(world):
    merchant = world.merchant()
    world.open_task(merchant)
    r = call("POST", "/tasks", world.task_body(description="帮忙刷单，日结工资，联系方式私聊"), merchant.token)
    assert r.status == 201 and r["status"] == "pending_review"
    assert r["review_reason"].startswith("内容安全检测")


def test_admin_rejects_with_reason(world):
    merchant = world.merchant()
    r = call("POST", "/tasks", world.task_body(), merchant.token)
    admin = world.admin()
    bad = call("POST", f"/admin/tasks/{r['id']}/reject", {"reason": ""}, admin.token)
    assert bad.status == 422 and bad["errors"][0]["field"] == "reason"
    rej = call("POST", f"/admin/tasks/{r['id']}/reject", {"reason": "描述不清楚"}, admin.token)
    assert rej["status"] == "rejected"
    again = call("POST", f"/admin/tasks/{r['id']}/approve", {}, admin.token)
    assert again.status == 409 and again["code"] == "TASK_STATE_CONFLICT"


def test_publish_validation_names_fields(world, clock):
    merchant = world.merchant()
    r = call("POST", "/tasks", world.task_body(difficulty=6, reward_fen=-5, skill_tags=[]), merchant.token)
    assert r.status == 422
    fields = {e["field"] for e in r["errors"]}
    assert {"difficulty", "reward_fen", "skill_tags"} <= fields
    r = call("POST", "/tasks", world.task_body(skill_tags=["cobol"]), merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "skill_tags"
    r = call("POST", "/tasks", world.task_body(deadline=(clock.now() + timedelta(minutes=10)).isoformat()),
             merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "deadline"
    r = call("POST", "/tasks", world.task_body(deadline="2027-01-01T00:00:00"), merchant.token)  # naive
    assert r.status == 422 and r["errors"][0]["field"] == "deadline"
    r = call("POST", "/tasks", world.task_body(reward_fen=10.5), merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "reward_fen"


def test_only_merchants_publish(world):
    dev = world.developer()
    r = call("POST", "/tasks", world.task_body(), dev.token)
    assert r.status == 403 and r["code"] == "ROLE_REQUIRED"
    r = call("POST", "/tasks", world.task_body())
    assert r.status == 401


def test_edit_open_task_and_refuse_someone_elses(world):
    owner, other = world.merchant(), world.merchant()
    task = world.open_task(owner)
    r = call("PATCH", f"/tasks/{task['id']}", {"difficulty": 4}, owner.token)
    assert r.status == 200 and r["difficulty"] == 4
    # The escrow holds exactly the reward: once it is funded the reward no longer changes.
    r = call("PATCH", f"/tasks/{task['id']}", {"reward_fen": 80_000}, owner.token)
    assert r.status == 409 and r["code"] == "REWARD_LOCKED"
    r = call("PATCH", f"/tasks/{task['id']}", {"reward_fen": 1}, other.token)
    assert r.status == 403 and r["code"] == "NOT_TASK_OWNER"
    r = call("PATCH", f"/tasks/{task['id']}", {}, owner.token)
    assert r.status == 422
    r = call("PATCH", f"/tasks/{task['id']}", {"title": None}, owner.token)
    assert r.status == 422 and r["errors"][0]["field"] == "title"


def test_editing_in_flagged_text_hides_the_task_for_review(world):
    merchant = world.merchant()
    task = world.open_task(merchant)
    r = call("PATCH", f"/tasks/{task['id']}", {"description": "高薪代考，联系我赌博平台"}, merchant.token)
    assert r.status == 200 and r["status"] == "pending_review"
    assert call("GET", "/tasks").body["items"] == []


def test_cancel_closes_applications_and_tells_applicants(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    r = call("POST", f"/tasks/{task['id']}/cancel", {"reason": "需求变更"}, merchant.token)
    assert r.status == 200 and r["status"] == "cancelled"
    mine = call("GET", "/applications/mine", token=dev.token)
    assert mine["items"][0]["id"] == app["id"] and mine["items"][0]["status"] == "closed"
    kinds = [n["kind"] for n in call("GET", "/notifications", token=dev.token)["items"]]
    assert "application_task_cancelled" in kinds
    again = call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token)
    assert again.status == 409


def test_cannot_cancel_or_edit_once_assigned(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    assert call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status == 409
    r = call("PATCH", f"/tasks/{task['id']}", {"reward_fen": 1000}, merchant.token)
    assert r.status == 409 and r["code"] == "TASK_NOT_EDITABLE"


def test_expiry_timer_closes_overdue_unassigned_tasks_once(world, clock):
    from functions.timers.index import main_handler

    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant, deadline=(clock.now() + timedelta(days=2)).isoformat())
    call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    clock.advance(timedelta(days=2, minutes=1))
    event = {"Type": "Timer", "TriggerName": "task_expiry", "Time": clock.now().isoformat()}
    assert main_handler(event, None)["result"] == 1
    assert main_handler(event, None)["result"] == 0  # fired twice: nothing more to do
    world.renew(merchant, dev)
    r = call("GET", f"/tasks/{task['id']}", token=merchant.token)
    assert r["status"] == "expired"
    assert call("GET", "/applications/mine", token=dev.token)["items"][0]["status"] == "closed"


def test_hidden_tasks_are_404_to_strangers(world):
    merchant, stranger = world.merchant(), world.developer()
    r = call("POST", "/tasks", world.task_body(), merchant.token)  # pending review
    assert call("GET", f"/tasks/{r['id']}").status == 404
    assert call("GET", f"/tasks/{r['id']}", token=stranger.token).status == 404
    assert call("GET", f"/tasks/{r['id']}", token=merchant.token).status == 200
    assert call("GET", f"/tasks/{r['id']}", token=world.admin().token).status == 200


def test_my_tasks_lists_only_mine(world):
    a, b = world.merchant(), world.merchant()
    ta = world.open_task(a)
    world.open_task(b)
    mine = call("GET", "/tasks/mine", token=a.token)
    assert [t["id"] for t in mine["items"]] == [ta["id"]]
