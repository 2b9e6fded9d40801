"""Delivery, revisions (at most 2), acceptance, auto-acceptance after 7 days, ratings once per side."""

from __future__ import annotations

from datetime import timedelta

from tests.support.api import call

DELIVERY = {"content": "已完成登录页，见仓库。", "links": [{"title": "仓库", "url": "https://git.example.com/r"}]}


def test_deliver_revise_twice_then_limit_then_accept_and_rate(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    tid = task["id"]
    assert call("POST", f"/work/{tid}/accept", {}, merchant.token).status == 409  # nothing delivered yet
    for n in (1, 2):
        d = call("POST", f"/work/{tid}/deliveries", DELIVERY, dev.token)
        assert d.status == 201 and d["round"] == n
        r = call("POST", f"/work/{tid}/revision", {"note": f"第 {n} 次修改意见"}, merchant.token)
        assert r.status == 200 and r["decision"] == "revision_requested"
    call("POST", f"/work/{tid}/deliveries", DELIVERY, dev.token)
    r = call("POST", f"/work/{tid}/revision", {"note": "再改一次"}, merchant.token)
    assert r.status == 409 and r["code"] == "REVISION_LIMIT"
    r = call("POST", f"/work/{tid}/accept", {"note": "很好"}, merchant.token)
    assert r.status == 200 and r["decision"] == "accepted" and r["round"] == 3
    state = call("GET", f"/work/{tid}", token=dev.token).body
    assert state["status"] == "completed" and state["revision_count"] == 2 and len(state["deliveries"]) == 3
    assert call("GET", "/profiles/developer", token=dev.token).body["completed_tasks"] == 1
    r = call("POST", f"/work/{tid}/ratings", {"stars": 5, "comment": "专业高效"}, merchant.token)
    assert r.status == 201 and r["direction"] == "merchant_to_developer" and r["ratee_id"] == dev.user_id
    assert call("POST", f"/work/{tid}/ratings", {"stars": 1}, merchant.token)["code"] == "ALREADY_RATED"
    r = call("POST", f"/work/{tid}/ratings", {"stars": 4, "comment": "需求清晰"}, dev.token)
    assert r.status == 201 and r["direction"] == "developer_to_merchant"
    assert call("GET", "/profiles/developer", token=dev.token).body["rating_average"] == 5.0
    assert call("GET", f"/profiles/merchants/{merchant.user_id}").body["rating_average"] == 4.0
    card = call("GET", f"/profiles/developers/{dev.user_id}").body
    assert card["rating_average"] == 5.0 and card["completed_tasks"] == 1


def test_rating_needs_completion_and_valid_stars(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    r = call("POST", f"/work/{task['id']}/ratings", {"stars": 5}, merchant.token)
    assert r.status == 409 and r["code"] == "TASK_NOT_COMPLETED"
    r = call("POST", f"/work/{task['id']}/ratings", {"stars": 6}, merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "stars"


def test_delivery_validation(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    r = call("POST", f"/work/{task['id']}/deliveries", {"content": "ok", "links": [{"title": "x", "url": "ftp:/"}]},
             dev.token)
    assert r.status == 422
    assert {e["field"] for e in r["errors"]} == {"content", "links.0.url"}


def test_auto_accept_after_7_days_once(world, clock):
    from functions.timers.index import main_handler

    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    call("POST", f"/work/{task['id']}/deliveries", DELIVERY, dev.token)
    event = {"Type": "Timer", "TriggerName": "auto_accept"}
    clock.advance(timedelta(days=6, hours=23))
    assert main_handler(event, None)["result"] == 0
    clock.advance(timedelta(hours=1))
    assert main_handler(event, None)["result"] == 1
    assert main_handler(event, None)["result"] == 0
    world.renew(merchant, dev)
    state = call("GET", f"/work/{task['id']}", token=merchant.token).body
    assert state["status"] == "completed" and state["deliveries"][-1]["decision"] == "auto_accepted"
    kinds = [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]
    assert "work_auto_accepted" in kinds


def test_revision_resets_the_auto_accept_clock(world, clock):
    from functions.timers.index import main_handler

    merchant, dev = world.merchant(), world.developer()
    task = world.assigned_task(merchant, dev)
    call("POST", f"/work/{task['id']}/deliveries", DELIVERY, dev.token)
    clock.advance(timedelta(days=5))
    world.renew(merchant, dev)
    call("POST", f"/work/{task['id']}/revision", {"note": "改一下"}, merchant.token)
    clock.advance(timedelta(days=1))
    world.renew(dev)
    call("POST", f"/work/{task['id']}/deliveries", DELIVERY, dev.token)
    clock.advance(timedelta(days=3))
    assert main_handler({"Type": "timer", "TriggerName": "auto_accept"}, None)["result"] == 0
