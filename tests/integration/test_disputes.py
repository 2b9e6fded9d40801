"""Disputes through the API: either party opens one on a delivered task, the escrow freezes (no acceptance, no
auto-acceptance), both add evidence, outsiders see nothing, an admin rules — full refund, full payout or a split —
and the ledger moves exactly the right fen in one transaction, with the refund going out through WeChat Pay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.ledger import accounts as acc
from tests.support.api import call
from tests.support.payouts import (
    bal,
    count_tx,
    delivered_task,
    funded_task,
    ledger_ok,
    payouts,
    postings,
    rows,
    scalar,
    timer,
    wait_state,
    wait_until,
    work_jobs,
)

EVIDENCE = {"text": "登录页在 iOS 上无法打开，见截图。", "links": [{"title": "截图", "url": "https://img.example.com/1.png"}]}


@pytest.fixture
def fake(platform):
    return platform.fakes["wechatpay"]


def open_dispute(actor, task_id: int, reason: str = "交付与需求不符，多次沟通无果。"):
    r = call("POST", "/disputes", {"task_id": task_id, "reason": reason}, actor.token)
    assert r.status == 201, r.body
    return r.body


def rule(admin, dispute_id: int, outcome: str, payout_fen: int | None = None, note: str = "双方证据已核实"):
    body = {"outcome": outcome, "note": note}
    if payout_fen is not None:
        body["payout_fen"] = payout_fen
    r = call("POST", f"/disputes/{dispute_id}/ruling", body, admin.token)
    assert r.status == 200, r.body
    return r.body


def refunds_done() -> bool:
    states = [r.state for r in rows("SELECT state FROM refunds")]
    return bool(states) and all(s == "succeeded" for s in states)


def kinds(actor) -> list[str]:
    return [n["kind"] for n in call("GET", "/notifications", token=actor.token)["items"]]


def test_opening_freezes_the_escrow_and_both_sides_build_a_timeline(world, clock):
    merchant, dev, outsider = world.merchant(), world.developer(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    assert call("POST", "/disputes", {"task_id": tid, "reason": "我不是这个任务的当事人"}, outsider.token).status == 404
    d = open_dispute(merchant, tid)
    assert (d["status"], d["escrow_fen"], d["opened_by"], d["risk"]) == ("open", 50_000, merchant.user_id, None)
    assert [e["kind"] for e in d["timeline"]] == ["opened"]
    assert call("GET", f"/tasks/{tid}", token=merchant.token)["status"] == "disputed"
    assert "dispute_opened" in kinds(dev)
    assert call("POST", "/disputes", {"task_id": tid, "reason": "再开一次纠纷"}, dev.token).status == 409

    # Frozen: no acceptance, no revision, no auto-acceptance, no release.
    assert call("POST", f"/work/{tid}/accept", {}, merchant.token)["code"] == "TASK_STATE_CONFLICT"
    assert call("POST", f"/work/{tid}/revision", {"note": "再改改"}, merchant.token).status == 409
    clock.advance(timedelta(days=8))
    assert timer("auto_accept") == 0
    world.renew(merchant, dev, outsider)
    assert bal(acc.task_escrow(tid)) == 50_000 and count_tx("release_escrow") == 0

    r = call("POST", f"/disputes/{d['id']}/evidence", EVIDENCE, dev.token)
    assert r.status == 201 and r["role"] == "developer" and r["links"][0]["title"] == "截图"
    assert "dispute_evidence" in kinds(merchant)
    r = call("POST", f"/disputes/{d['id']}/evidence", {"text": "需求文档第 3 条写明支持 iOS。"}, merchant.token)
    assert r.status == 201
    timeline = call("GET", f"/disputes/{d['id']}", token=dev.token)["timeline"]
    assert [(e["role"], e["kind"]) for e in timeline] == [
        ("merchant", "opened"), ("developer", "evidence"), ("merchant", "evidence")]
    assert [x["id"] for x in call("GET", "/disputes", token=dev.token)["items"]] == [d["id"]]

    # Outsiders can neither see nor act; the parties never see the risk assessment; only admins see the queue.
    for method, path, body in (("GET", f"/disputes/{d['id']}", None),
                               ("POST", f"/disputes/{d['id']}/evidence", EVIDENCE)):
        r = call(method, path, body, outsider.token)
        assert r.status == 404 and r["code"] == "DISPUTE_NOT_FOUND"
    assert call("GET", "/disputes", token=outsider.token)["items"] == []
    assert call("GET", "/disputes/queue", token=merchant.token).status == 403
    assert call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "payout", "note": "我自己判"},
                merchant.token).status == 403
    assert call("GET", f"/disputes/{d['id']}", token=merchant.token)["risk"] is None

    admin = world.admin()
    world.renew(admin)
    [queued] = call("GET", "/disputes/queue", token=admin.token)["items"]
    assert queued["id"] == d["id"] and len(queued["timeline"]) == 3
    risk = queued["risk"]
    assert {"merchant", "developer"} <= set(risk) and 0 <= risk["merchant"]["score"] <= 100
    assert any("未要求修改" in r["reason"] for r in risk["merchant"]["reasons"])  # opened without any revision
    assert any("注册仅" in r["reason"] for r in risk["developer"]["reasons"])  # brand-new accounts
    r = call("POST", f"/disputes/{d['id']}/evidence", {"text": "请开发者补充 iOS 测试录屏。"}, admin.token)
    assert r.status == 201 and r["kind"] == "note"
    ledger_ok()


def test_only_a_delivered_task_can_be_disputed(world):
    merchant, dev = world.merchant(), world.developer()
    tid = funded_task(world, merchant, dev)["id"]  # in progress, nothing delivered
    r = call("POST", "/disputes", {"task_id": tid, "reason": "还没交付就想纠纷"}, merchant.token)
    assert r.status == 409 and r["code"] == "TASK_STATE_CONFLICT"


def test_ruling_full_refund_returns_everything_to_the_merchant(world, fake):
    merchant, dev = world.merchant(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    d = open_dispute(dev, tid, "商家拒绝验收且不回应。")
    admin = world.admin()
    out = rule(admin, d["id"], "refund")
    assert (out["status"], out["outcome"], out["refund_fen"], out["payout_gross_fen"], out["commission_fen"]) == (
        "ruled", "refund", 50_000, 0, 0)
    assert out["timeline"][-1]["kind"] == "ruling"
    assert call("GET", f"/tasks/{tid}", token=merchant.token)["status"] == "failed"
    assert bal(acc.task_escrow(tid)) == 0 and bal(acc.REFUNDS_IN_FLIGHT) == 50_000
    assert count_tx("release_escrow") == 0 and bal(acc.payable(dev.user_id)) == 0 and bal(acc.REVENUE) == 0
    assert payouts(dev) == []
    ledger_ok()
    work_jobs()  # refund_start → WeChat refund → REFUND.SUCCESS through the webhook
    wait_until(refunds_done, what="refund to succeed")
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and bal(acc.CLEARING) == 0
    assert scalar("SELECT sum(amount_fen) FROM refunds") == 50_000
    assert "dispute_ruled" in kinds(dev) and "dispute_ruled" in kinds(merchant)
    # The ruling is in the event log (both parties can find it) and audited as the admin's action.
    assert rows("SELECT 1 FROM event_log WHERE name = 'DisputeRuled' AND actor_id = :a"
                " AND user_ids @> CAST(ARRAY[:m, :d] AS bigint[])",
                a=admin.user_id, m=merchant.user_id, d=dev.user_id)
    assert rows("SELECT 1 FROM event_log WHERE name = 'AdminAudited' AND entity = 'dispute' AND actor_id = :a"
                " AND data->>'action' = 'dispute.rule'", a=admin.user_id)
    ledger_ok()


def test_ruling_full_payout_pays_the_developer_like_an_acceptance(world, fake):
    merchant, dev = world.merchant(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    d = open_dispute(merchant, tid)
    out = rule(world.admin(), d["id"], "payout")
    assert (out["payout_gross_fen"], out["commission_fen"], out["developer_share_fen"], out["refund_fen"]) == (
        50_000, 7_500, 42_500, 0)
    assert call("GET", f"/tasks/{tid}", token=merchant.token)["status"] == "completed"
    assert postings("release_escrow", f"task:{tid}") == {
        acc.task_escrow(tid): 50_000, acc.payable(dev.user_id): -42_500, acc.REVENUE: -7_500}
    assert scalar("SELECT count(*) FROM refunds") == 0
    assert call("GET", "/profiles/developer", token=dev.token)["completed_tasks"] == 1
    work_jobs()
    [p] = payouts(dev)
    assert p["source"] == "dispute" and p["state"] == "wait_user_confirm"
    fake.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    assert bal(acc.CLEARING) == 7_500 and bal(acc.REVENUE) == 7_500
    ledger_ok()


def test_ruling_split_moves_exactly_the_right_fen(world, fake):
    merchant, dev = world.merchant(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    d = open_dispute(merchant, tid)
    admin = world.admin()
    for bad in (0, 50_000, 60_000):
        r = call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "split", "payout_fen": bad, "note": "分配"},
                 admin.token)
        assert r.status == 422, (bad, r.body)
    r = call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "split", "note": "缺金额"}, admin.token)
    assert r.status == 422
    out = rule(admin, d["id"], "split", payout_fen=20_001)
    # Commission on the paid part only: 15 % of 20,001 = 3,000.15 → 3,000.
    assert (out["payout_gross_fen"], out["commission_fen"], out["developer_share_fen"], out["refund_fen"]) == (
        20_001, 3_000, 17_001, 29_999)
    assert postings("release_escrow", f"task:{tid}") == {
        acc.task_escrow(tid): 20_001, acc.payable(dev.user_id): -17_001, acc.REVENUE: -3_000}
    [refund] = rows("SELECT out_refund_no, amount_fen FROM refunds")
    assert refund.amount_fen == 29_999
    assert postings("refund_start", f"refund:{refund.out_refund_no}") == {
        acc.task_escrow(tid): 29_999, acc.REFUNDS_IN_FLIGHT: -29_999}
    assert bal(acc.task_escrow(tid)) == 0
    assert call("GET", f"/tasks/{tid}", token=merchant.token)["status"] == "completed"
    ledger_ok()
    work_jobs()
    wait_until(refunds_done, what="refund to succeed")
    [p] = payouts(dev)
    assert p["amount_fen"] == 17_001 and p["state"] == "wait_user_confirm"
    fake.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    # Of the 50,000 paid in: 29,999 back to the merchant, 17,001 to the developer, 3,000 kept as commission.
    assert bal(acc.CLEARING) == 3_000 == bal(acc.REVENUE)
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and bal(acc.PAYOUTS_IN_FLIGHT) == 0 and bal(acc.payable(dev.user_id)) == 0
    # A second ruling is refused and moves nothing.
    r = call("POST", f"/disputes/{d['id']}/ruling", {"outcome": "refund", "note": "改判"}, admin.token)
    assert r.status == 409 and r["code"] == "DISPUTE_CLOSED"
    assert call("POST", f"/disputes/{d['id']}/evidence", EVIDENCE, dev.token)["code"] == "DISPUTE_CLOSED"
    assert count_tx("release_escrow") == 1 and scalar("SELECT count(*) FROM refunds") == 1
    ledger_ok()


def test_previous_disputes_raise_the_risk_score(world):
    merchant, dev, dev2 = world.merchant(), world.developer(), world.developer()
    admin = world.admin()
    first = open_dispute(merchant, delivered_task(world, merchant, dev)["id"])
    rule(admin, first["id"], "refund")
    second = open_dispute(merchant, delivered_task(world, merchant, dev2)["id"])
    risk = call("GET", f"/disputes/{second['id']}", token=admin.token)["risk"]
    assert any("此前参与过 1 次纠纷" in r["reason"] for r in risk["merchant"]["reasons"])
    assert not any("纠纷" in r["reason"] and "此前" in r["reason"] for r in risk["developer"]["reasons"])
