"""Task chat through the API: a conversation per (task, applicant) from the first application, only its two parties
read or write it (a third user, the other applicants and operators without a dispute or report are refused),
off-platform contact masked for the receiver and flagged, keyset incremental fetch, read receipts and unread counts,
export, the rate-limited subscribe message, and what the credit profile, reputation and dispute evidence make of it."""

from __future__ import annotations

from datetime import timedelta

from tests.support.api import call
from tests.support.db import rows, scalar
from tests.support.payouts import delivered_task, work_jobs

BLOCKED = "赌博"  # the fake msg_sec_check answers "risky" for it (infra/fakes/wechat.py)


def apply(dev, task_id: int) -> int:
    r = call("POST", "/applications", {"task_id": task_id}, dev.token)
    assert r.status == 201, r.body
    return r["id"]


def conversation(actor, task_id: int) -> dict:
    r = call("GET", "/chat/conversations", token=actor.token, query={"task_id": task_id})
    assert r.status == 200, r.body
    assert len(r["items"]) == 1, r.body
    return r["items"][0]


def send(actor, conv_id: int, body: str):
    return call("POST", f"/chat/conversations/{conv_id}/messages", {"body": body}, actor.token)


def test_only_the_two_parties_read_and_write(world):
    merchant, alice, bob, carol = world.merchant(), world.developer("alice"), world.developer("bob"), world.developer()
    task = world.open_task(merchant)
    apply(alice, task["id"])
    apply(bob, task["id"])
    assert scalar("SELECT count(*) FROM conversations WHERE task_id = :t", t=task["id"]) == 2
    conv = conversation(alice, task["id"])
    assert conv["my_role"] == "developer" and conv["developer_id"] == alice.user_id
    assert len(call("GET", "/chat/conversations", token=merchant.token, query={"task_id": task["id"]})["items"]) == 2
    r = send(merchant, conv["id"], "你好，登录页需要支持手机号吗？")
    assert r.status == 201 and r["warning"] is None, r.body
    assert send(alice, conv["id"], "需要的，我来做。").status == 201
    # another applicant of the same task, a third user and an operator: the same 404 as for a missing conversation
    admin = world.admin()
    for outsider in (bob, carol, admin):
        for method, path, body in (("GET", "", None), ("GET", "/messages", None), ("GET", "/export", None),
                                   ("POST", "/messages", {"body": "我也想聊"}),
                                   ("POST", "/read", {"up_to_id": 1}),
                                   ("POST", "/report", {"reason": "骚扰信息"})):
            r = call(method, f"/chat/conversations/{conv['id']}{path}", body, outsider.token)
            assert (r.status, r["code"]) == (404, "CONVERSATION_NOT_FOUND"), (outsider, method, path, r.body)
    assert scalar("SELECT count(*) FROM chat_messages") == 2
    # operators read it only for a dispute or a report
    r = call("GET", f"/chat/admin/conversations/{conv['id']}", token=admin.token)
    assert (r.status, r["code"]) == (404, "CONVERSATION_NOT_FOUND")
    assert call("GET", f"/chat/admin/conversations/{conv['id']}", token=alice.token).status == 403
    assert call("POST", f"/chat/conversations/{conv['id']}/report", {"reason": "对方索要私下付款"},
                alice.token).status == 200
    r = call("GET", f"/chat/admin/conversations/{conv['id']}", token=admin.token)
    assert r.status == 200 and r["access"] == "report" and len(r["messages"]) == 2
    assert call("POST", f"/chat/conversations/{conv['id']}/report", {"reason": "再次举报"},
                alice.token)["code"] == "CONVERSATION_ALREADY_REPORTED"
    # bob's own conversation is his, and alice cannot see it
    bob_conv = conversation(bob, task["id"])
    assert bob_conv["id"] != conv["id"]
    assert call("GET", f"/chat/conversations/{bob_conv['id']}/messages", token=alice.token).status == 404


def test_off_platform_contact_is_masked_for_the_receiver_and_flagged(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    apply(dev, task["id"])
    conv = conversation(dev, task["id"])
    r = send(dev, conv["id"], "加我微信 wx_12345678")
    assert r.status == 201, r.body
    assert r["warning"] and "计入信用档案" in r["warning"]
    mine = r["message"]
    assert mine["body"] == "加我微信 wx_12345678" and not mine["masked"] and set(mine["flag_kinds"]) == {"wechat",
                                                                                                        "intent"}
    got = call("GET", f"/chat/conversations/{conv['id']}/messages", token=merchant.token)
    theirs = got["items"][0]
    assert theirs["body"] == "加我微信 ***********" and theirs["masked"] and theirs["flag_kinds"] == []
    assert "wx_12345678" not in str(got.body)
    event = rows("SELECT data FROM event_log WHERE name = 'OffPlatformContactFlagged'")
    assert len(event) == 1 and event[0].data["sender_id"] == dev.user_id
    assert event[0].data["message_id"] == mine["id"] and sorted(event[0].data["kinds"]) == ["intent", "wechat"]
    assert conversation(merchant, task["id"])["flagged_count"] == 1
    # the merchant's export shows it masked, the sender's as written
    assert "wx_12345678" not in call("GET", f"/chat/conversations/{conv['id']}/export", token=merchant.token)[
        "transcript"]
    assert "wx_12345678" in call("GET", f"/chat/conversations/{conv['id']}/export", token=dev.token)["transcript"]
    # counted against the sender's credit profile (after commit)
    work_jobs()
    profile = rows("SELECT score, reasons, facts FROM credit_profiles WHERE user_id = :u", u=dev.user_id)[0]
    assert profile.facts["off_platform_flags"] == 1
    assert {"points": -5, "reason": "聊天中 1 次试图站外联系或交易"} in profile.reasons
    # content security runs first: a risky message is refused and nothing is written
    r = send(dev, conv["id"], f"一起来{BLOCKED}吧")
    assert (r.status, r["code"]) == (422, "MESSAGE_REJECTED")
    assert scalar("SELECT count(*) FROM chat_messages") == 1


def test_incremental_fetch_read_receipts_unread_and_the_push_budget(world, clock):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    apply(dev, task["id"])
    conv = conversation(dev, task["id"])
    ids = []
    for i in range(5):
        r = send(merchant, conv["id"], f"第 {i} 条需求说明")
        assert r.status == 201, r.body
        ids.append(r["message"]["id"])
    # one subscribe message for the burst, not five
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'chat_message'",
                  u=dev.user_id) == 1
    seen, cursor = [], None
    while True:
        r = call("GET", f"/chat/conversations/{conv['id']}/messages", token=dev.token,
                 query={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status == 200, r.body
        seen += [m["id"] for m in r["items"]]
        cursor = r["next_cursor"]
        if not r["has_more"]:
            break
    assert seen == ids and r["unread"] == 5
    # polling with the last cursor: nothing new, same cursor back
    r = call("GET", f"/chat/conversations/{conv['id']}/messages", token=dev.token, query={"cursor": cursor})
    assert r["items"] == [] and r["next_cursor"] == cursor
    assert call("GET", f"/chat/conversations/{conv['id']}/messages", token=dev.token,
                query={"cursor": "bm90LWEtY3Vyc29y"})["code"] == "INVALID_CURSOR"
    # read receipts
    r = call("POST", f"/chat/conversations/{conv['id']}/read", {"up_to_id": ids[2]}, dev.token)
    assert (r["read_id"], r["unread"]) == (ids[2], 2)
    assert call("POST", f"/chat/conversations/{conv['id']}/read", {"up_to_id": 1}, dev.token)["read_id"] == ids[2]
    mine = call("GET", f"/chat/conversations/{conv['id']}/messages", token=merchant.token)["items"]
    assert [m["read_by_other"] for m in mine] == [True, True, True, False, False]
    call("POST", f"/chat/conversations/{conv['id']}/read", {"up_to_id": ids[-1]}, dev.token)
    assert conversation(dev, task["id"])["unread"] == 0
    # caught up, but within 10 minutes of the last push: inbox only through the next push window
    send(merchant, conv["id"], "还在吗？")
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'chat_message'",
                  u=dev.user_id) == 1
    call("POST", f"/chat/conversations/{conv['id']}/read", {"up_to_id": ids[-1] + 100}, dev.token)
    clock.advance(timedelta(minutes=11))
    world.renew(merchant, dev)
    send(merchant, conv["id"], "明天开始可以吗？")
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'chat_message'",
                  u=dev.user_id) == 2


def test_other_applicants_chats_close_when_the_task_is_assigned(world):
    merchant, alice, bob = world.merchant(), world.developer(), world.developer()
    task = world.open_task(merchant)
    app = apply(alice, task["id"])
    apply(bob, task["id"])
    assert call("POST", f"/applications/{app}/accept", None, merchant.token).status == 200
    a, b = conversation(alice, task["id"]), conversation(bob, task["id"])
    assert a["writable"] and not b["writable"]
    assert send(alice, a["id"], "收到，今天开始。").status == 201
    r = send(bob, b["id"], "还有机会吗？")
    assert (r.status, r["code"]) == (409, "CONVERSATION_CLOSED")


def test_reputation_on_cards_and_pages_and_the_dispute_evidence(world):
    merchant, dev = world.merchant(), world.developer()
    task = delivered_task(world, merchant, dev)
    conv = conversation(dev, task["id"])
    assert send(dev, conv["id"], "私下转账给我吧，支付宝 13912345678").status == 201
    work_jobs()
    page = call("GET", f"/tasks/{task['id']}", token=dev.token)
    rep = page["merchant_reputation"]
    assert set(rep) >= {"response_rate", "median_answer_hours", "median_pay_hours", "dispute_rate", "tasks_paid"}
    assert rep["response_rate"] == 1.0 and rep["tasks_paid"] == 0 and rep["median_answer_hours"] is not None
    # the applicants list shows the merchant each applicant's reliability
    applicants = call("GET", "/applications", token=merchant.token, query={"task_id": task["id"]})
    assert applicants.status == 200, applicants.body
    assert applicants["items"][0]["reliability"]["off_platform_flags"] == 1
    # the hall's cards carry the merchant's reputation too
    other = world.open_task(merchant)
    work_jobs()
    cards = call("GET", "/tasks", query={"sort": "newest"})["items"]
    card = next(c for c in cards if c["id"] == other["id"])
    assert card["merchant_reputation"]["response_rate"] == 1.0
    # dispute: the timeline has the chat, the delivery and the event log; the risk explains itself with the
    # credit profiles and the chat's flags; the ruling records what it relied on
    d = call("POST", "/disputes", {"task_id": task["id"], "reason": "交付与需求不符，多次沟通无果。"}, merchant.token)
    assert d.status == 201, d.body
    work_jobs()
    admin = world.admin()
    got = call("GET", f"/disputes/{d['id']}", token=admin.token)
    sources = {i["source"] for i in got["evidence"]}
    assert {"chat", "delivery", "event", "entry"} <= sources
    chat = [i for i in got["evidence"] if i["source"] == "chat"]
    assert chat[0]["body"].endswith("13912345678") and "phone" in chat[0]["flags"]
    dev_risk = got["risk"]["developer"]
    assert dev_risk["chat_flags"] == 1 and dev_risk["credit_score"] is not None
    flag_reason = "开发者在本任务聊天中 1 次试图站外联系或交易"
    assert flag_reason in [r["reason"] for r in dev_risk["reasons"]]
    assert any("站外" in r["reason"] for r in dev_risk["credit_reasons"])
    assert call("GET", f"/disputes/{d['id']}", token=merchant.token)["evidence"] is None
    # operators may read the chat now: it is under dispute
    assert call("GET", f"/chat/admin/conversations/{conv['id']}", token=admin.token)["access"] == "dispute"
    bad = call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "refund", "note": "开发者试图站外交易",
                                                         "relied_on": ["编造的理由"]}, admin.token)
    assert (bad.status, bad["code"]) == (422, "VALIDATION_FAILED")
    r = call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "refund", "note": "开发者试图站外交易",
                                                       "relied_on": [flag_reason]}, admin.token)
    assert r.status == 200, r.body
    assert r["ruling_reasons"] == [flag_reason]
    assert scalar("SELECT ruling_reasons FROM disputes WHERE id = :d", d=d["id"]) == [flag_reason]


def test_file_messages_through_a_cos_upload_policy(world):
    import requests

    merchant, dev, outsider = world.merchant(), world.developer(), world.developer()
    task = world.open_task(merchant)
    apply(dev, task["id"])
    conv = conversation(dev, task["id"])
    base = f"/chat/conversations/{conv['id']}"
    assert call("POST", base + "/uploads", {"content_type": "image/png"}, outsider.token).status == 404
    assert call("POST", base + "/uploads", {"content_type": "text/html"}, dev.token).status == 422
    policy = call("POST", base + "/uploads", {"content_type": "image/png"}, dev.token)
    assert policy.status == 200, policy.body
    assert policy["key_prefix"].startswith(f"chat/{conv['id']}/{dev.user_id}/")
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 64
    up = requests.post(policy["url"], data=policy["fields"], files={"file": ("design.png", png, "image/png")},
                       timeout=5)
    assert up.status_code in (200, 201, 204), up.text
    key = policy["key_prefix"] + "design.png"
    # a key that was never uploaded, or one outside the sender's own prefix, is refused
    for bad in (policy["key_prefix"] + "missing.png", f"chat/{conv['id']}/{merchant.user_id}/x/design.png"):
        r = call("POST", base + "/files", {"key": bad, "name": "design.png"}, dev.token)
        assert (r.status, r["code"]) == (422, "FILE_NOT_UPLOADED"), r.body
    r = call("POST", base + "/files", {"key": key, "name": "设计稿 design.png"}, dev.token)
    assert r.status == 201, r.body
    assert r["message"]["kind"] == "file" and r["message"]["file_key"] == key
    got = call("GET", base + "/messages", token=merchant.token)["items"][0]
    assert got["kind"] == "file" and got["body"] == "设计稿 design.png"
    link = call("GET", base + f"/messages/{got['id']}/file", token=merchant.token)
    assert link.status == 200, link.body
    assert requests.get(link["url"], timeout=5).content == png
    assert call("GET", base + f"/messages/{got['id']}/file", token=outsider.token).status == 404


def test_the_nightly_timer_recomputes_profiles_and_purges_chats_past_the_dispute_window(world, clock):
    from tests.support.db import timer
    from tests.support.payouts import accept

    merchant, dev = world.merchant(), world.developer()
    task = delivered_task(world, merchant, dev)
    conv = conversation(dev, task["id"])
    assert send(dev, conv["id"], "交付说明见仓库 README。").status == 201
    accept(merchant, task["id"])
    clock.advance(timedelta(days=29))
    result = timer("credit_nightly")
    assert result["chats_purged"] == 0 and result["profiles"] >= 2
    assert scalar("SELECT count(*) FROM chat_messages WHERE conversation_id = :c", c=conv["id"]) == 1
    age = scalar("SELECT facts->>'account_age_days' FROM credit_profiles WHERE user_id = :u", u=dev.user_id)
    assert int(age) == 29  # recomputed by the timer: account age moves with time alone
    clock.advance(timedelta(days=2))
    assert timer("credit_nightly")["chats_purged"] == 1
    assert scalar("SELECT count(*) FROM chat_messages WHERE conversation_id = :c", c=conv["id"]) == 0
    assert scalar("SELECT purged_at IS NOT NULL FROM conversations WHERE id = :c", c=conv["id"])
