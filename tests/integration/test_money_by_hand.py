"""Money that needs a hand (issue 11): an operator retries a refund that ended ABNORMAL, settles one completed at
WeChat by hand, and re-sends a payout whose transfer failed or was cancelled — through the admin JSON routes, each
idempotent, audited with its reason, refused with a clear 409 when the state does not allow it, and each crash
window of the new multi-step actions completed by the next run. Every test ends with the ledger check."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from shared import faults, jobs
from shared.ledger import accounts as acc
from shared.payouts.resend import resend_payout
from shared.rules_config import set_rule
from shared.uow import run
from tests.integration import test_payments as base
from tests.integration import test_payments_refunds as refunds_base
from tests.support.api import Actor, call
from tests.support.db import rows, scalar, wait_until
from tests.support.payouts import (
    accept,
    bal,
    balance,
    count_tx,
    delivered_task,
    ledger_ok,
    payout,
    payouts,
    timer,
    wait_state,
    work_jobs,
)

# The money fixtures: the fake WeChat Pay, the ledger check after every test, faults disarmed after every test.
pay, ledger_checked, no_faults = base.pay, base.ledger_checked, base.no_faults
held_refunds = refunds_base.held_refunds


def concurrently(n: int, action: Any) -> list[Any]:
    """`n` threads doing `action` at once (a burst of clicks, retried requests)."""
    barrier, answers = threading.Barrier(n), []

    def one() -> None:
        barrier.wait()
        answers.append(action())

    threads = [threading.Thread(target=one) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(answers) == n
    return answers


def refund_rows() -> list[Any]:
    return rows("SELECT id, out_refund_no, request_key, amount_fen, state, requested_by FROM refunds ORDER BY id")


def audited(action: str, entity_id: int) -> list[dict[str, Any]]:
    return [r.data for r in rows("SELECT data FROM event_log WHERE name = 'AdminAudited' AND data->>'action' = :a"
                                 " AND (data->>'entity_id')::bigint = :e ORDER BY id", a=action, e=entity_id)]


def abnormal_refund(world: Any, pay: Any) -> tuple[Actor, Any]:
    """A cancelled task whose refund WeChat reported ABNORMAL: failed, its money waiting in refunds:in_flight."""
    merchant = world.merchant()
    task = world.open_task(merchant)
    assert call("POST", f"/tasks/{task['id']}/cancel", {"reason": "需求取消"}, merchant.token).status == 200
    jobs.work()
    [old] = refund_rows()
    assert old.state == "processing"
    pay.complete_refund(old.out_refund_no, "ABNORMAL")
    wait_until(lambda: scalar("SELECT state FROM refunds WHERE id = :i", i=old.id) == "failed", what="ABNORMAL")
    assert bal(acc.REFUNDS_IN_FLIGHT) == 50_000
    return merchant, old


def retry(admin: Actor, refund_id: int, reason: str = "用户银行卡已注销，改退微信零钱") -> Any:
    return call("POST", f"/admin/refunds/{refund_id}/retry", {"reason": reason}, admin.token)


# --------------------------------------------------------------------------------------------------- refunds


def test_operator_retries_an_abnormal_refund_once_with_a_new_number(world, held_refunds):
    pay = held_refunds
    merchant, old = abnormal_refund(world, pay)
    admin = world.admin()
    assert retry(merchant, old.id).status == 403
    assert call("POST", f"/admin/refunds/{old.id}/retry", {"reason": ""}, admin.token).status == 422
    first, again = retry(admin, old.id), retry(admin, old.id)  # a double click
    assert first.status == 200 and again.status == 200, (first.body, again.body)
    assert first["out_refund_no"] == again["out_refund_no"] != old.out_refund_no
    assert (first["state"], first["amount_fen"], first["request_key"]) == (
        "requested", 50_000, f"retry:{old.out_refund_no}")
    # One new attempt; the old one kept as history; nothing posted (the money is already in refunds:in_flight).
    listed = refund_rows()
    assert [(r.id, r.state) for r in listed] == [(old.id, "failed"), (first["id"], "requested")]
    assert listed[1].requested_by == admin.user_id
    assert base.postings(None, "refund_start") == 1 and bal(acc.REFUNDS_IN_FLIGHT) == 50_000
    [audit] = audited("refund.retry", old.id)
    assert audit["reason"] == "用户银行卡已注销，改退微信零钱" and audit["admin_id"] == admin.user_id
    assert audit["before"]["state"] == "failed" and audit["after"]["out_refund_no"] == first["out_refund_no"]
    # The new attempt is not failed: nothing to retry there (yet).
    refused = retry(admin, first["id"])
    assert (refused.status, refused["code"]) == (409, "REFUND_NOT_FAILED")
    assert retry(admin, 999_999_999).status == 404

    assert jobs.work().done == 1  # the same refund_start job as any refund
    assert scalar("SELECT state FROM refunds WHERE id = :i", i=first["id"]) == "processing"
    pay.complete_refund(first["out_refund_no"])
    wait_until(lambda: scalar("SELECT state FROM refunds WHERE id = :i", i=first["id"]) == "succeeded",
               what="retried refund succeeded")
    assert pay.refund(first["out_refund_no"])["amount"]["refund"] == 50_000
    assert base.postings(None, "refund_done") == 1
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and bal(acc.CLEARING) == 0
    assert scalar("SELECT state FROM refunds WHERE id = :i", i=old.id) == "failed"  # history
    assert retry(admin, old.id)["out_refund_no"] == first["out_refund_no"]  # still the one retry
    listed = call("GET", "/payments/admin/refunds", token=admin.token, query={"state": "failed"})
    assert [(x["out_refund_no"], x["retried_by"]) for x in listed.body] == [(old.out_refund_no, first["out_refund_no"])]
    ledger_ok()


def test_ten_concurrent_retries_make_one_attempt(world, held_refunds):
    _, old = abnormal_refund(world, held_refunds)
    admin = world.admin()
    answers = concurrently(10, lambda: retry(admin, old.id))
    assert {a.status for a in answers} == {200}
    assert len({a["out_refund_no"] for a in answers}) == 1 and len(refund_rows()) == 2
    assert len(audited("refund.retry", old.id)) == 1 and bal(acc.REFUNDS_IN_FLIGHT) == 50_000
    ledger_ok()


def test_a_retry_that_fails_again_is_retried_again(world, held_refunds):
    pay = held_refunds
    _, old = abnormal_refund(world, pay)
    admin = world.admin()
    first = retry(admin, old.id)
    jobs.work()
    pay.complete_refund(first["out_refund_no"], "CLOSED")
    wait_until(lambda: scalar("SELECT state FROM refunds WHERE id = :i", i=first["id"]) == "failed", what="CLOSED")
    second = retry(admin, first["id"])
    assert second.status == 200 and second["request_key"] == f"retry:{first['out_refund_no']}"
    jobs.work()
    pay.complete_refund(second["out_refund_no"])
    wait_until(lambda: scalar("SELECT state FROM refunds WHERE id = :i", i=second["id"]) == "succeeded",
               what="second retry succeeded")
    assert [r.state for r in refund_rows()] == ["failed", "failed", "succeeded"]
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and base.postings(None, "refund_done") == 1
    ledger_ok()


def test_refund_completed_at_wechat_by_hand_is_settled_by_a_query(world, held_refunds):
    pay = held_refunds
    _, old = abnormal_refund(world, pay)
    admin = world.admin()
    path = f"/admin/refunds/{old.id}/completed-at-wechat"
    early = call("POST", path, {"reason": "已在商户平台处理"}, admin.token)
    assert (early.status, early["code"]) == (409, "REFUND_NOT_COMPLETED_AT_WECHAT") and "ABNORMAL" in early["message"]
    pay.handle_abnormal_refund(old.out_refund_no)  # the operator handles it in the merchant platform
    done = call("POST", path, {"reason": "已在商户平台处理"}, admin.token)
    assert done.status == 200 and done["state"] == "succeeded", done.body
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and base.postings(None, "refund_done") == 1
    assert [a["reason"] for a in audited("refund.completed_at_wechat", old.id)] == ["已在商户平台处理"]
    again = call("POST", path, {"reason": "已在商户平台处理"}, admin.token)
    assert (again.status, again["code"]) == (409, "REFUND_NOT_FAILED")
    assert retry(admin, old.id)["code"] == "REFUND_NOT_FAILED"  # settled: nothing to retry
    assert base.postings(None, "refund_done") == 1
    ledger_ok()


def test_the_ledger_check_sees_in_flight_money_no_open_attempt_explains(world, held_refunds, db):
    from shared.ledger.check import check_ledger

    _, old = abnormal_refund(world, held_refunds)
    with db.connect() as conn:
        assert check_ledger(conn).ok  # failed, not retried: its money in flight is explained
    with db.begin() as conn:  # a bug that marks a refund done without posting refund_done
        conn.execute(text("UPDATE refunds SET state = 'succeeded' WHERE id = :i"), {"i": old.id})
    with db.connect() as conn:
        report = check_ledger(conn)
    assert report.problems == ["refunds:in_flight holds 50000 fen but the open refunds total 0"]
    with db.begin() as conn:  # put it back, for the ledger check after the test
        conn.execute(text("UPDATE refunds SET state = 'failed' WHERE id = :i"), {"i": old.id})


@pytest.mark.parametrize("point", ["refund.after_ledger", "refund.after_api"])
def test_crash_in_a_retried_refund_is_completed_by_the_next_run(world, held_refunds, clock, point):
    pay = held_refunds
    _, old = abnormal_refund(world, pay)
    new = retry(world.admin(), old.id)
    faults.arm(point)
    with pytest.raises(faults.InjectedCrash):
        jobs.work()
    assert scalar("SELECT state FROM refunds WHERE id = :i", i=new["id"]) == "requested"
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    assert jobs.work().done == 1  # the same number again: WeChat has (at most) one refund under it
    pay.complete_refund(new["out_refund_no"])
    wait_until(lambda: scalar("SELECT state FROM refunds WHERE id = :i", i=new["id"]) == "succeeded",
               what="retried refund succeeded")
    assert len(refund_rows()) == 2 and base.postings(None, "refund_done") == 1
    assert bal(acc.REFUNDS_IN_FLIGHT) == 0 and bal(acc.CLEARING) == 0
    ledger_ok()


# --------------------------------------------------------------------------------------------------- payouts


@pytest.fixture
def fake(platform):
    return platform.fakes["wechatpay"]


def failed_payout(world: Any, fake: Any) -> tuple[Actor, dict[str, Any]]:
    """A payout whose only automatic attempt failed: the money back in payable, no retry ahead."""
    run(lambda uow: set_rule(uow, "payout_max_attempts", 1, admin_id=world.admin().user_id))
    merchant, dev = world.merchant(), world.developer()
    accept(merchant, delivered_task(world, merchant, dev)["id"])
    work_jobs()
    [p] = payouts(dev)
    fake.fail_transfer(p["out_bill_no"], "PAYEE_ACCOUNT_ABNORMAL")
    p = wait_state(dev, p["id"], "failed")
    assert p["next_retry_at"] is None and bal(acc.payable(dev.user_id)) == 42_500
    return dev, p


def resend(admin: Actor, payout_id: int, attempt: int, reason: str = "开发者已恢复微信账户") -> Any:
    return call("POST", f"/admin/payouts/{payout_id}/resend", {"attempt": attempt, "reason": reason}, admin.token)


def test_operator_resends_a_failed_payout_once(world, fake):
    dev, p = failed_payout(world, fake)
    admin = world.admin()
    assert resend(dev, p["id"], 1).status == 403
    first, again = resend(admin, p["id"], 1), resend(admin, p["id"], 1)  # a double click
    assert first.status == 200 and again.status == 200, (first.body, again.body)
    assert first["resent"] is True and again["resent"] is False
    assert (first["state"], first["attempts"]) == ("wait_user_confirm", 2)
    assert first["out_bill_no"] == again["out_bill_no"] != p["out_bill_no"] and first["out_bill_no"].endswith("A2")
    assert count_tx("payout_start") == 2 and bal(acc.payable(dev.user_id)) == 0
    [audit] = audited("payout.resend", p["id"])
    assert (audit["reason"], audit["before"]["state"], audit["after"]["next_attempt"]) == (
        "开发者已恢复微信账户", "failed", 2)
    fake.confirm_transfer(first["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    refused = resend(admin, p["id"], 2)
    assert (refused.status, refused["code"]) == (409, "PAYOUT_NOT_RESENDABLE") and "已到账" in refused["message"]
    assert resend(admin, p["id"], 3).status == 422  # no such attempt
    assert resend(admin, 999_999_999, 1).status == 404
    assert count_tx("payout_start") == 2 and count_tx("payout_done") == 1 and balance(dev)["paid_total_fen"] == 42_500
    ledger_ok()


def test_ten_concurrent_resends_make_one_attempt(world, fake):
    dev, p = failed_payout(world, fake)
    admin = world.admin()
    answers = concurrently(10, lambda: resend(admin, p["id"], 1))
    assert {a.status for a in answers} == {200}, [a.body for a in answers]
    assert sorted(a["resent"] for a in answers) == [False] * 9 + [True]
    assert count_tx("payout_start") == 2 and len(audited("payout.resend", p["id"])) == 1
    assert payout(dev, p["id"])["attempts"] == 2
    ledger_ok()


def test_operator_resends_a_cancelled_payout(world, fake, clock):
    merchant, dev = world.merchant(), world.developer()
    accept(merchant, delivered_task(world, merchant, dev)["id"])
    work_jobs()
    [p] = payouts(dev)
    admin = world.admin()
    clock.advance(timedelta(hours=25))
    world.renew(dev, admin)
    assert timer("payouts_sweep")["cancelled"] == 1
    p = wait_state(dev, p["id"], "cancelled")
    r = resend(admin, p["id"], 1, "开发者错过确认时间，联系后重新发起")
    assert r.status == 200 and (r["state"], r["attempts"], r["resent"]) == ("wait_user_confirm", 2, True), r.body
    fake.confirm_transfer(r["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    assert count_tx("payout_reverted") == 1 and count_tx("payout_done") == 1
    ledger_ok()


def test_a_payout_whose_money_was_withdrawn_is_not_resent(world, fake):
    dev, p = failed_payout(world, fake)
    w = call("POST", "/payouts/withdraw", None, dev.token)
    assert w.status == 201 and w["amount_fen"] == 42_500
    refused = resend(world.admin(), p["id"], 1)
    assert (refused.status, refused["code"]) == (409, "PAYOUT_FUNDS_WITHDRAWN")
    assert payout(dev, p["id"])["state"] == "failed" and count_tx("payout_start") == 1
    ledger_ok()


def test_a_failed_payout_with_an_automatic_retry_ahead_is_resent_now(world, fake):
    merchant, dev = world.merchant(), world.developer()
    accept(merchant, delivered_task(world, merchant, dev)["id"])
    work_jobs()
    [p] = payouts(dev)
    fake.fail_transfer(p["out_bill_no"])
    p = wait_state(dev, p["id"], "failed")
    assert p["next_retry_at"]  # its own claim on payable does not count against it
    r = resend(world.admin(), p["id"], 1)
    assert r.status == 200 and r["attempts"] == 2 and r["next_retry_at"] is None, r.body
    assert timer("payouts_sweep")["retried"] == 0
    ledger_ok()


@pytest.mark.parametrize("point", ["payout.resend.after_wake", "payout.after_ledger"])
def test_crash_in_a_resend_is_completed_by_the_next_run(world, fake, clock, point):
    dev, p = failed_payout(world, fake)
    admin = world.admin()
    faults.arm(point)
    with pytest.raises(faults.InjectedCrash):
        resend_payout(p["id"], 1, admin_id=admin.user_id, reason="开发者已恢复微信账户")
    state = payout(dev, p["id"])
    assert state["state"] == ("pending" if point == "payout.resend.after_wake" else "transferring")
    # The request is retried: no second attempt.
    again = resend(admin, p["id"], 1)
    assert again.status == 200 and again["resent"] is False
    work_jobs()  # the queued payout_start job takes it on (same number when a transfer row exists)
    clock.advance(timedelta(minutes=11))
    world.renew(dev, admin)
    timer("payouts_sweep")
    p = wait_state(dev, p["id"], "wait_user_confirm")
    assert p["attempts"] == 2
    fake.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    assert count_tx("payout_start") == 2 and count_tx("payout_done") == 1 and bal(acc.payable(dev.user_id)) == 0
    ledger_ok()
