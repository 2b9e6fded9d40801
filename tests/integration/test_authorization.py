"""Object-level authorization: for every rule, another user is refused (and learns nothing)."""

from __future__ import annotations

from tests.support.api import call


def test_other_merchant_cannot_see_or_act_on_my_applicants(world):
    owner, other, dev = world.merchant(), world.merchant(), world.developer()
    task = world.open_task(owner)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token).body
    r = call("GET", "/applications", query={"task_id": task["id"]}, token=other.token)
    assert r.status == 404
    for action in ("shortlist", "accept"):
        assert call("POST", f"/applications/{app['id']}/{action}", None, other.token).status == 404
    assert call("POST", f"/applications/{app['id']}/reject", {"reason": "不合适"}, other.token).status == 404
    assert call("GET", "/applications", query={"task_id": task["id"]}, token=owner.token).status == 200


def test_developers_see_only_their_own_applications(world):
    merchant, a, b = world.merchant(), world.developer(), world.developer()
    task = world.open_task(merchant)
    call("POST", "/applications", {"task_id": task["id"]}, a.token)
    assert call("GET", "/applications/mine", token=b.token)["items"] == []
    assert len(call("GET", "/applications/mine", token=a.token)["items"]) == 1
    # A developer is not a merchant: the applicants list is closed to them.
    assert call("GET", "/applications", query={"task_id": task["id"]}, token=a.token).status == 403


def test_only_the_assignee_delivers_and_only_the_owner_accepts(world):
    merchant, dev, intruder = world.merchant(), world.developer(), world.developer()
    other_merchant = world.merchant()
    task = world.assigned_task(merchant, dev)
    tid = task["id"]
    body = {"content": "冒充交付内容"}
    assert call("POST", f"/work/{tid}/deliveries", body, intruder.token).status == 404
    assert call("POST", f"/work/{tid}/deliveries", {"content": "正式交付内容"}, dev.token).status == 201
    assert call("POST", f"/work/{tid}/accept", {}, other_merchant.token).status == 404
    assert call("POST", f"/work/{tid}/revision", {"note": "改"*3}, other_merchant.token).status == 404
    assert call("POST", f"/work/{tid}/accept", {}, dev.token).status == 403  # developers cannot accept
    assert call("GET", f"/work/{tid}", token=intruder.token).status == 404
    assert call("GET", f"/work/{tid}", token=other_merchant.token).status == 404
    assert call("POST", f"/work/{tid}/accept", {}, merchant.token).status == 200
    assert call("POST", f"/work/{tid}/ratings", {"stars": 5}, intruder.token).status == 404


def test_admin_routes_refuse_non_admins(world):
    merchant, dev = world.merchant(), world.developer()
    for who in (merchant, dev):
        assert call("GET", "/admin/tasks/review-queue", token=who.token).status == 403
        assert call("GET", "/admin/rules", token=who.token).status == 403
        assert call("GET", "/admin/jobs/failed", token=who.token).status == 403
    assert call("GET", "/admin/rules").status == 401


def test_cannot_cancel_someone_elses_task(world):
    owner, other = world.merchant(), world.merchant()
    task = world.open_task(owner)
    r = call("POST", f"/tasks/{task['id']}/cancel", {}, other.token)
    assert r.status == 403
    assert call("GET", f"/tasks/{task['id']}").body["status"] == "open"
