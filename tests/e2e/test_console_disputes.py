"""The console's 纠纷调解 page in a real browser (Debian's Chromium under Playwright, like test_console.py): a dispute
whose task chat holds an off-platform attempt. The mediator sees the whole evidence in time order — the chat with the
flagged message and its flag, the deliveries and the revision request, the event log, the statements — both
parties' credit profiles with their reasons and the risk score with its reasons; ticks two reasons, previews the
split, confirms; the ruling's stored reasons, the audit record and the ledger are checked in the database.
Screenshots in build/console/."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.auth.service import make_admin
from shared.ledger.accounts import REVENUE, payable, task_escrow
from shared.ledger.check import check_ledger
from shared.uow import run
from tests.support.api import call
from tests.support.console import ADMIN_PHONE, one, shot, sign_in, work_off_jobs
from tests.support.payouts import delivered_task, postings

pytestmark = pytest.mark.e2e

FLAGGED = "加我微信 zhangwei_dev，私下转账更快"
FLAG_REASON = "开发者在本任务聊天中 1 次试图站外联系或交易"
CREDIT_REASON = "聊天中 1 次试图站外联系或交易"  # the developer's credit profile


def a_dispute_with_a_flagged_chat(world: Any, clock: Any) -> dict[str, Any]:
    """Through the real API, ten minutes apart: a delivered task (escrow ¥500), a revision requested, a chat of three
    messages of which the developer's is an off-platform attempt, the second delivery, the merchant opening a dispute
    and the developer answering it; events worked off."""
    run(lambda uow: make_admin(uow, "+86" + ADMIN_PHONE))
    world.admin()
    merchant, developer = world.merchant("王老板"), world.developer("开发者小林")
    task = delivered_task(world, merchant, developer, reward_fen=50_000)
    clock.advance(timedelta(minutes=10))
    r = call("POST", f"/work/{task['id']}/revision", {"note": "手机端无法打开，请修复。"}, merchant.token)
    assert r.status == 200, r.body
    convs = call("GET", "/chat/conversations", token=developer.token, query={"task_id": task["id"]})
    assert convs.status == 200 and len(convs["items"]) == 1, convs.body
    base = f"/chat/conversations/{convs['items'][0]['id']}/messages"
    for actor, body in ((merchant, "交付的页面在手机上打不开，能看一下吗？"), (developer, FLAGGED),
                        (merchant, "请在平台上沟通。")):
        clock.advance(timedelta(minutes=10))
        r = call("POST", base, {"body": body}, actor.token)
        assert r.status == 201, r.body
    clock.advance(timedelta(minutes=10))
    r = call("POST", f"/work/{task['id']}/deliveries", {"content": "已修复手机端。", "links": []}, developer.token)
    assert r.status == 201, r.body
    clock.advance(timedelta(minutes=10))
    r = call("POST", "/disputes", {"task_id": task["id"], "reason": "交付的页面无法在手机上打开，开发者要求私下转账。",
                                   "links": [{"title": "截图", "url": "https://img.example.com/2.png"}]},
             merchant.token)
    assert r.status == 201, r.body
    dispute_id = r["id"]
    clock.advance(timedelta(minutes=10))
    r = call("POST", f"/disputes/{dispute_id}/evidence", {"text": "页面已按需求完成。", "links": []}, developer.token)
    assert r.status == 201, r.body
    work_off_jobs()
    return {"dispute": dispute_id, "task": task["id"], "merchant": merchant, "developer": developer}


def last_chat(sources: list[str]) -> int:
    return len(sources) - 1 - sources[::-1].index("chat")


def test_the_mediator_sees_the_evidence_and_rules_on_two_reasons(browser, world, platform, db, site, clock):
    data = a_dispute_with_a_flagged_chat(world, clock)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, site, platform.fakes["sms"], ADMIN_PHONE)
    page.wait_for_url(re.compile(r"/admin/console$"))

    page.click("nav.side a[data-nav='disputes']")
    page.click(f"#dispute-rows tr[data-dispute='{data['dispute']}'] a >> nth=0")
    page.wait_for_selector("#evidence")

    # The timeline: every source, in time order, the chat in its original text with the flagged message marked.
    items = page.eval_on_selector_all(
        "#evidence li[data-source]",
        "els => els.map(e => ({source: e.dataset.source, at: e.dataset.at, flags: e.dataset.flags || '',"
        " text: e.innerText}))")
    sources = [i["source"] for i in items]
    assert {"chat", "delivery", "event", "entry"} <= set(sources)
    chat = [i for i in items if i["source"] == "chat"]
    assert len(chat) == 3
    assert [FLAGGED in c["text"] for c in chat] == [False, True, False]
    flagged = chat[1]
    assert "wechat" in flagged["flags"].split(",") and "微信号" in flagged["text"] and "疑似站外联系" in flagged["text"]
    assert page.locator("#evidence li.flagged").count() == 1
    # in time order: the delivery, the revision, the three messages ten minutes apart, the second delivery, then the
    # dispute opened and answered
    times = [datetime.fromisoformat(i["at"]) for i in items]
    assert times == sorted(times) and times[-1] - times[0] >= timedelta(minutes=70)
    chat_at = [datetime.fromisoformat(c["at"]) for c in chat]
    assert [b - a for a, b in itertools.pairwise(chat_at)] == [timedelta(minutes=10)] * 2
    assert sources.index("delivery") < sources.index("revision") < sources.index("chat")
    revision = items[sources.index("revision")]["text"]
    assert "要求修改第 1 次交付" in revision and "手机端无法打开" in revision
    redelivered = [i for i in items[last_chat(sources) + 1:] if i["source"] == "delivery"]
    assert [("第 2 次交付" in i["text"], "已修复手机端" in i["text"]) for i in redelivered] == [(True, True)]
    after = items[last_chat(sources) + 1:]
    assert any("发起纠纷陈述" in i["text"] for i in after) and any("补充证据" in i["text"] for i in after)
    assert any("发起纠纷" in i["text"] for i in after if i["source"] == "event")
    assert "补充证据" in page.inner_text("#evidence") and "提交交付" in page.inner_text("#evidence")

    # Both parties' credit profiles with their reasons, and the risk score with its reasons.
    assert FLAG_REASON in page.inner_text("#risk-developer .risk-reasons")
    assert "本任务聊天被标记 1 次" in page.inner_text("#risk-developer-flags")
    assert "站外" in page.inner_text("#credit-developer .credit-reasons")
    assert re.search(r"\d+ 分", page.inner_text("#credit-merchant"))
    assert "商家账号注册仅 0 天" in page.inner_text("#risk-merchant .risk-reasons")
    assert CREDIT_REASON in page.inner_text("#credit-developer .credit-reasons")
    assert "交付被要求修改过 1 次" in page.inner_text("#risk-developer .risk-reasons")
    shot(page, "20-dispute-evidence")

    # The ruling: two reasons ticked, a split previewed (nothing happens yet), then confirmed.
    page.check(f"#relied-on input[value='{FLAG_REASON}']")
    page.check(f"#relied-on input[value='{CREDIT_REASON}']")
    page.check("input[name=outcome][value=split]")
    page.fill("#payout-yuan", "300")
    page.fill("#ruling-form textarea[name=note]", "页面基本完成，但开发者试图私下交易，按六成分配。")
    page.click("#ruling-form button[type=submit]")
    page.wait_for_selector("#ruling-confirm")
    assert page.inner_text("#confirm-share") == "¥255.00" and page.inner_text("#confirm-refund") == "¥200.00"
    confirm = page.inner_text("#confirm-relied-on")
    assert FLAG_REASON in confirm and CREDIT_REASON in confirm
    shot(page, "21-dispute-confirm")
    assert one(db, "SELECT status FROM disputes WHERE id = :d", d=data["dispute"]) == "open"
    page.click("#ruling-execute button")
    page.wait_for_selector("#ruling-summary")
    assert page.inner_text("#dispute-status") == "已裁决"
    reasons = page.inner_text("#ruling-reasons")
    assert FLAG_REASON in reasons and CREDIT_REASON in reasons
    shot(page, "22-dispute-ruled")

    # The database: the ruling with its reasons (in the order shown), the audit record, the money in the ledger.
    stored = one(db, "SELECT ruling_reasons FROM disputes WHERE id = :d", d=data["dispute"])
    assert sorted(stored) == sorted([FLAG_REASON, CREDIT_REASON]) and len(stored) == 2
    assert one(db, "SELECT outcome || ':' || payout_gross_fen || ':' || commission_fen || ':' || refund_fen"
                   " FROM disputes WHERE id = :d", d=data["dispute"]) == "split:30000:4500:20000"
    audited = one(db, "SELECT data->'after'->'relied_on' FROM event_log WHERE name = 'AdminAudited'"
                      " AND data->>'action' = 'dispute.rule' AND entity_id = :d", d=data["dispute"])
    assert sorted(audited) == sorted(stored)
    assert postings("release_escrow", f"task:{data['task']}") == {
        task_escrow(data["task"]): 30_000, payable(data["developer"].user_id): -25_500, REVENUE: -4_500}
    assert one(db, "SELECT amount_fen FROM refunds WHERE task_id = :t", t=data["task"]) == 20_000
    assert one(db, "SELECT balance FROM ledger_accounts WHERE code = :c", c=task_escrow(data["task"])) == 0
    assert one(db, "SELECT status FROM tasks WHERE id = :t", t=data["task"]) == "completed"
    with db.connect() as conn:
        assert check_ledger(conn).ok
    assert errors == []
    context.close()
