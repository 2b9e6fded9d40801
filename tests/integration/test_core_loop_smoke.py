from tests.support.api import call


def test_merchant_publishes_and_developer_applies(world):
    merchant = world.merchant()
    dev = world.developer()
    task = world.open_task(merchant)
    r = call("GET", "/tasks", query={"tags": "python"})
    assert r.status == 200 and [t["id"] for t in r["items"]] == [task["id"]]
    r = call("POST", "/applications", {"task_id": task["id"], "note": "我做过类似项目"}, dev.token)
    assert r.status == 201, r.body
    assert r["status"] == "submitted"
