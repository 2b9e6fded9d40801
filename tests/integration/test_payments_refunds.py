"""Refunds through the v3 refund API and its notifications: automatic on cancel / expiry / rejection, by request (the
disputes area's entry point), concurrency, failure, lost notifications and crash injection between the steps."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from shared import faults, jobs
from shared.errors import Conflict
from shared.ledger import accounts as acc
from shared.uow import run
from tests.support import payments as money
from tests.support.api import call
from tests.support.db import rows, scalar, wait_until
from tests.support.payments import balance, deliver, notification, poll, postings

# The money fixtures (tests/support/payments.py): the fake WeChat Pay, an outage switch, the ledger check after
# every test.
pay, outage, ledger_checked, no_faults = money.pay, money.outage, money.ledger_checked, money.no_faults


@pytest.fixture
def held_refunds(pay):
    """Refunds stay PROCESSING at the fake until the test completes them (no automatic SUCCESS)."""
    previous = pay.refund_delay
    pay.refund_delay = None
    yield pay
    pay.refund_delay = previous


def refund_row(db: Any) -> Any:
    [row] = rows("SELECT id, out_refund_no, amount_fen, state, failure, escrow_account, request_key, reason"
                     " FROM refunds")
    return row


def refund_state(db: Any) -> str:
    return scalar("SELECT state FROM refunds")


def test_cancel_before_work_refunds_the_escrow_by_itself(world, pay, db):
    merchant = world.merchant()
    task = world.open_task(merchant)
    r = call("POST", f"/tasks/{task['id']}/cancel", {"reason": "需求取消"}, merchant.token)
    assert r.status == 200 and r["status"] == "cancelled"
    refund = refund_row(db)
    assert (refund.amount_fen, refund.state) == (50_000, "requested")
    assert refund.request_key.split("#")[0] == f"cancel:task:{task['id']}"  # the decision it executes
    assert refund.escrow_account == acc.task_escrow(task["id"])
    # Decided with the cancellation: escrow already emptied into refunds:in_flight, the job queued.
    assert balance(db, acc.task_escrow(task["id"])) == 0 and balance(db, acc.REFUNDS_IN_FLIGHT) == 50_000
    assert scalar("SELECT count(*) FROM jobs WHERE kind = 'refund_start' AND status = 'queued'") == 1
    assert jobs.work().done >= 1
    wait_until(lambda: refund_state(db) == "succeeded", what="REFUND.SUCCESS handled")
    assert pay.refund(refund.out_refund_no)["status"] == "SUCCESS"
    assert balance(db, acc.REFUNDS_IN_FLIGHT) == 0 and balance(db, acc.CLEARING) == 0
    assert postings(db, "refund_start") == 1 and postings(db, "refund_done") == 1
    kinds = [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]
    assert "escrow_refund_started" in kinds and "refund_succeeded" in kinds
    funding = call("GET", f"/payments/tasks/{task['id']}/funding", token=merchant.token)
    assert funding["escrow_fen"] == 0 and [x["state"] for x in funding["refunds"]] == ["succeeded"]
    order = call("GET", f"/payments/orders/{funding['orders'][0]['out_trade_no']}", token=merchant.token)
    assert [x["state_name"] for x in order["refunds"]] == ["已退款"]


def test_expired_unassigned_task_is_refunded(world, pay, db, clock):
    from functions.timers.index import main_handler

    merchant = world.merchant()
    task = world.open_task(merchant)
    clock.advance(timedelta(days=11))
    assert main_handler({"Type": "Timer", "TriggerName": "task_expiry"}, None)["result"] == 1
    assert refund_row(db).request_key.split("#")[0] == f"expire:task:{task['id']}"
    jobs.work()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")
    assert balance(db, acc.CLEARING) == 0


def test_funded_task_rejected_after_flagging_is_refunded(world, pay, db):
    merchant = world.merchant()
    task = world.open_task(merchant)
    r = call("PATCH", f"/tasks/{task['id']}", {"description": "高薪代考，联系我赌博平台"}, merchant.token)
    assert r["status"] == "pending_review"
    admin = world.admin()
    r = call("POST", f"/admin/tasks/{task['id']}/reject", {"reason": "违规内容"}, admin.token)
    assert r.status == 200 and r["status"] == "rejected"
    assert refund_row(db).request_key.split("#")[0] == f"reject:task:{task['id']}"
    jobs.work()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")


def test_funded_task_flagged_and_approved_again_is_not_charged_twice(world, pay, db):
    merchant = world.merchant()
    task = world.open_task(merchant)
    r = call("PATCH", f"/tasks/{task['id']}", {"description": "高薪代考，联系我赌博平台"}, merchant.token)
    assert r["status"] == "pending_review"
    r = call("POST", f"/admin/tasks/{task['id']}/approve", {}, world.admin().token)
    assert r.status == 200 and r["status"] == "open"  # already funded: straight back to open
    assert postings(db, "fund_escrow") == 1 and scalar("SELECT count(*) FROM refunds") == 0


def test_partial_refund_by_request_is_idempotent_on_its_key(world, pay, db):
    from shared.payments.refunds import request_refund

    merchant = world.merchant()
    task = world.open_task(merchant)
    first = run(lambda uow: request_refund(uow, task["id"], 20_000, "纠纷裁决：部分退款", key="dispute:1"))
    again = run(lambda uow: request_refund(uow, task["id"], 20_000, "纠纷裁决：部分退款", key="dispute:1"))
    assert [r.out_refund_no for r in first] == [r.out_refund_no for r in again] and len(first) == 1
    assert balance(db, acc.task_escrow(task["id"])) == 30_000
    with pytest.raises(Conflict) as too_much:
        run(lambda uow: request_refund(uow, task["id"], 30_001, "超额"))
    assert too_much.value.code == "REFUND_EXCEEDS_ESCROW"
    jobs.work()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")
    assert pay.refund(first[0].out_refund_no)["amount"]["refund"] == 20_000
    # Cancelling now refunds what is left, not the whole reward.
    assert call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status == 200
    amounts = sorted(r.amount_fen for r in rows("SELECT amount_fen FROM refunds"))
    assert amounts == [20_000, 30_000]
    jobs.work()
    wait_until(lambda: scalar("SELECT bool_and(state = 'succeeded') FROM refunds"), what="both refunds")
    assert balance(db, acc.CLEARING) == 0


def test_fifty_concurrent_cancellations_make_exactly_one_refund(world, pay, db):
    merchant = world.merchant()
    task = world.open_task(merchant)
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def cancel() -> None:
        barrier.wait()
        statuses.append(call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status)

    threads = [threading.Thread(target=cancel) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 49
    assert scalar("SELECT count(*) FROM refunds") == 1 and postings(db, "refund_start") == 1
    jobs.work()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")
    assert len([n for n in pay.notifications("REFUND.SUCCESS")
                if n["resource"]["out_refund_no"] == refund_row(db).out_refund_no]) == 1


@pytest.mark.parametrize("same_key", [True, False])
def test_fifty_concurrent_refund_requests_make_exactly_one_refund(world, pay, db, same_key):
    from shared.payments.refunds import request_refund

    merchant = world.merchant()
    task = world.open_task(merchant)
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def ask(i: int) -> None:
        barrier.wait()
        key = "dispute:7" if same_key else f"dispute:7:{i}"
        try:
            made = run(lambda uow: request_refund(uow, task["id"], 50_000, "纠纷裁决：全额退款", key=key))
            outcomes.append(made[0].out_refund_no)
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert scalar("SELECT count(*) FROM refunds") == 1 and postings(db, "refund_start") == 1
    no = refund_row(db).out_refund_no
    if same_key:
        assert outcomes == [no] * 50  # the same decision, answered with the same refund
    else:
        assert sorted(outcomes) == sorted([no] + ["REFUND_EXCEEDS_ESCROW"] * 49)
    jobs.work()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")
    assert balance(db, acc.CLEARING) == 0


def test_abnormal_refund_is_failed_for_an_admin_and_money_stays_in_flight(world, held_refunds, db):
    pay = held_refunds
    merchant = world.merchant()
    task = world.open_task(merchant)
    call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token)
    jobs.work()
    assert refund_state(db) == "processing"
    pay.complete_refund(refund_row(db).out_refund_no, "ABNORMAL")
    wait_until(lambda: refund_state(db) == "failed", what="REFUND.ABNORMAL handled")
    assert refund_row(db).failure == "ABNORMAL"
    # Not silently back in escrow: it waits in refunds:in_flight for an operator, and the ledger still checks out.
    assert balance(db, acc.REFUNDS_IN_FLIGHT) == 50_000 and balance(db, acc.task_escrow(task["id"])) == 0
    admin = world.admin()
    listed = call("GET", "/payments/admin/refunds", token=admin.token, query={"state": "failed"})
    assert listed.status == 200 and [x["out_refund_no"] for x in listed.body] == [refund_row(db).out_refund_no]
    assert call("GET", "/payments/admin/refunds", token=merchant.token).status == 403
    kinds = [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]
    assert "refund_failed" in kinds


def test_lost_refund_notification_is_settled_by_the_timer(world, held_refunds, db, clock, outage):

    pay = held_refunds
    merchant = world.merchant()
    task = world.open_task(merchant)
    call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token)
    jobs.work()
    no = refund_row(db).out_refund_no
    outage.on = True
    pay.complete_refund(no)  # REFUND.SUCCESS cannot reach us
    clock.advance(timedelta(minutes=6))
    result = poll()
    assert (result["refunds_checked"], result["refunds_settled"]) == (1, 1)
    assert refund_state(db) == "succeeded" and postings(db, "refund_done") == 1
    outage.on = False  # the retried notification now arrives: acknowledged, nothing twice
    wait_until(lambda: all(n["delivered"] or n["gave_up"] for n in pay.notifications("REFUND.SUCCESS")),
               what="retried notification")
    assert postings(db, "refund_done") == 1


def test_crash_after_the_ledger_step_is_completed_by_the_next_run(world, pay, db, clock):
    merchant = world.merchant()
    task = world.open_task(merchant)
    call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token)
    no = refund_row(db).out_refund_no
    faults.arm("refund.after_ledger")
    with pytest.raises(faults.InjectedCrash):
        jobs.work()
    assert refund_state(db) == "requested" and not [r for r in pay.notifications() if
                                                    r["resource"].get("out_refund_no") == no]
    assert jobs.work().done == 0  # the dead worker's lease still holds the job
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    rerun_refund_job()
    wait_until(lambda: refund_state(db) == "succeeded", what="refund succeeded")
    assert pay.refund(no)["amount"]["refund"] == 50_000
    assert postings(db, "refund_start") == 1 and postings(db, "refund_done") == 1
    assert balance(db, acc.CLEARING) == 0 and balance(db, acc.REFUNDS_IN_FLIGHT) == 0


def rerun_refund_job() -> None:
    """The next worker run after the dead worker's lease: the refund job runs again, a second attempt, and is done.
    (The crashed batch also held other areas' deliveries — e.g. the credit profile's of TaskClosed — which run too.)"""
    assert jobs.work().done >= 1
    assert rows("SELECT status, attempts FROM jobs WHERE kind = 'refund_start'") == [("done", 2)]


@pytest.mark.parametrize("notification_first", [True, False])
def test_crash_after_the_api_step_is_completed_by_the_next_run(world, held_refunds, db, clock, notification_first):
    pay = held_refunds
    merchant = world.merchant()
    task = world.open_task(merchant)
    call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token)
    no = refund_row(db).out_refund_no
    faults.arm("refund.after_api")
    with pytest.raises(faults.InjectedCrash):
        jobs.work()
    # WeChat has the refund; we never recorded its answer.
    assert pay.refund(no)["status"] == "PROCESSING" and refund_state(db) == "requested"
    if notification_first:
        # Out of order: REFUND.SUCCESS arrives before our job ever learns WeChat accepted the refund.
        pay.complete_refund(no)
        wait_until(lambda: refund_state(db) == "succeeded", what="REFUND.SUCCESS handled")
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    rerun_refund_job()  # calls the API again: the same out_refund_no, the same refund
    if not notification_first:
        assert refund_state(db) == "processing"
        pay.complete_refund(no)
        wait_until(lambda: refund_state(db) == "succeeded", what="REFUND.SUCCESS handled")
    assert refund_state(db) == "succeeded"
    assert len([n for n in pay.notifications("REFUND.SUCCESS") if n["resource"]["out_refund_no"] == no]) == 1
    assert postings(db, "refund_start") == 1 and postings(db, "refund_done") == 1
    assert balance(db, acc.CLEARING) == 0 and balance(db, acc.REFUNDS_IN_FLIGHT) == 0


def test_refund_notification_for_an_unknown_refund_is_refused(world, pay, db):

    resource = {"mchid": pay.mchid, "out_trade_no": "CLx00000000000000001", "transaction_id": "4200",
                "out_refund_no": "RFunknown", "refund_id": "50", "refund_status": "SUCCESS",
                "amount": {"total": 100, "refund": 100, "payer_total": 100, "payer_refund": 100}}
    body, headers = notification(pay, "REFUND.SUCCESS", resource, original_type="refund")
    r = deliver(body, headers)
    assert r.status == 404 and r["code"] == "FAIL"
    assert postings(db, "refund_done") == 0
    assert scalar("SELECT outcome FROM payment_notifications") == "unknown_refund"
