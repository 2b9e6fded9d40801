"""Pay in: funding a task's escrow through WeChat Pay v3 (the loopback fake), the notification webhook and its
hostile cases, the order view, and the timer for lost notifications. Every test ends with the ledger check."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared.ledger import accounts as acc
from tests.support import payments as money
from tests.support.api import Resp, call
from tests.support.db import rows, scalar, wait_until
from tests.support.payments import (
    awaiting_task,
    balance,
    deliver,
    fund,
    notification,
    paid_resource,
    poll,
    postings,
    task_status,
)

# The money fixtures (tests/support/payments.py): the fake WeChat Pay, an outage switch, the ledger check after every
# test, faults disarmed.
pay, outage, ledger_checked, no_faults = money.pay, money.outage, money.ledger_checked, money.no_faults

def order_state(db: Any, out_trade_no: str) -> str:
    return scalar("SELECT state FROM payment_orders WHERE out_trade_no = :n", n=out_trade_no)


# --------------------------------------------------------------------------------------------------- funding


def test_fund_then_pay_opens_the_task_and_posts_the_escrow(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    assert call("GET", "/tasks").body["items"] == []  # not in the hall before it is funded
    r = fund(task["id"], merchant)
    assert r.status == 200, r.body
    assert r["amount_fen"] == r["reward_fen"] == 50_000 and r["promotion_fee_fen"] == 0 and r["reused"] is False
    params = r["payment_params"]
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA" and params["paySign"]
    assert pay.order(r["out_trade_no"])["amount"]["total"] == 50_000
    assert pay.order(r["out_trade_no"])["payer"]["openid"] == merchant.openid
    order = call("GET", f"/payments/orders/{r['out_trade_no']}", token=merchant.token)
    assert order.status == 200 and order["state"] == "created" and order["state_name"] == "待支付"

    pay.pay(r["out_trade_no"])
    wait_until(lambda: task_status(task["id"], merchant.token) == "open", what="task opened by the webhook")
    opened = call("GET", f"/tasks/{task['id']}", token=merchant.token)
    assert opened["published_at"] and opened["funded_at"]
    assert [t["id"] for t in call("GET", "/tasks").body["items"]] == [task["id"]]
    order = call("GET", f"/payments/orders/{r['out_trade_no']}", token=merchant.token)
    assert order["state"] == "paid" and order["paid_at"]
    assert balance(db, acc.task_escrow(task["id"])) == 50_000
    assert balance(db, acc.CLEARING) == 50_000
    assert postings(db, "fund_escrow") == 1
    [n] = rows("SELECT event_type, done, outcome, ref FROM payment_notifications")
    assert (n.event_type, n.done, n.outcome, n.ref) == ("TRANSACTION.SUCCESS", True, "paid", r["out_trade_no"])
    kinds = [x["kind"] for x in call("GET", "/notifications", token=merchant.token)["items"]]
    assert "escrow_funded" in kinds
    funding = call("GET", f"/payments/tasks/{task['id']}/funding", token=merchant.token)
    assert funding.status == 200 and funding["funded"] is True and funding["escrow_fen"] == 50_000


def test_promotion_bought_with_the_escrow_is_revenue_and_ranks_the_task(world, pay, db, clock):
    merchant = world.merchant()
    plain = world.open_task(merchant, title="普通任务的标题")
    task = awaiting_task(world, merchant)
    bad = fund(task["id"], merchant, promotion_days=2)
    assert bad.status == 422 and bad["errors"][0]["field"] == "promotion_days"
    r = fund(task["id"], merchant, promotion_days=3)
    assert r.status == 200, r.body
    assert (r["amount_fen"], r["reward_fen"], r["promotion_fee_fen"]) == (55_000, 50_000, 5_000)
    pay.pay(r["out_trade_no"])
    wait_until(lambda: task_status(task["id"], merchant.token) == "open", what="task opened")
    assert balance(db, acc.task_escrow(task["id"])) == 50_000
    assert balance(db, acc.REVENUE) == 5_000
    assert balance(db, acc.CLEARING) == 105_000  # this order and the plain task's
    until = scalar("SELECT promoted_until FROM tasks WHERE id = :t", t=task["id"])
    assert until == clock.now() + timedelta(days=3)
    hall = call("GET", "/tasks").body["items"]
    assert [t["id"] for t in hall] == [task["id"], plain["id"]]  # the promoted one first
    # Promotion goes with the first funding only; afterwards it is bought on its own (billing).
    again = fund(plain["id"], merchant, promotion_days=1)
    assert again.status == 409


def test_double_tap_reuses_the_order_and_a_changed_amount_replaces_it(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    first = fund(task["id"], merchant)
    second = fund(task["id"], merchant)
    assert second.status == 200 and second["out_trade_no"] == first["out_trade_no"] and second["reused"] is True
    assert second["payment_params"]["package"] == first["payment_params"]["package"]
    # Adding a promotion changes the amount: the old order is closed at WeChat and here, a new one made.
    third = fund(task["id"], merchant, promotion_days=1)
    assert third["out_trade_no"] != first["out_trade_no"] and third["amount_fen"] == 53_000
    assert pay.order(first["out_trade_no"])["trade_state"] == "CLOSED"
    assert order_state(db, first["out_trade_no"]) == "closed"
    # Many taps at once still leave one unpaid order.
    results: list[Resp] = []
    threads = [threading.Thread(target=lambda: results.append(fund(task["id"], merchant, promotion_days=1)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status for r in results} == {200}
    assert {r["out_trade_no"] for r in results} == {third["out_trade_no"]}
    assert scalar("SELECT count(*) FROM payment_orders WHERE state = 'created'") == 1
    # The reward changed before paying: the unpaid order no longer fits and is replaced.
    assert call("PATCH", f"/tasks/{task['id']}", {"reward_fen": 60_000}, merchant.token).status == 200
    fourth = fund(task["id"], merchant)
    assert fourth["amount_fen"] == 60_000 and order_state(db, third["out_trade_no"]) == "closed"
    pay.pay(fourth["out_trade_no"])
    wait_until(lambda: task_status(task["id"], merchant.token) == "open", what="task opened")
    assert balance(db, acc.task_escrow(task["id"])) == 60_000


def test_order_is_visible_to_its_payer_only(world, db):
    merchant, other, dev = world.merchant(), world.merchant(), world.developer()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    assert call("GET", f"/payments/orders/{no}", token=merchant.token).status == 200
    for stranger in (other, dev, world.admin()):
        r = call("GET", f"/payments/orders/{no}", token=stranger.token)
        assert r.status == 404 and r["code"] == "ORDER_NOT_FOUND"
    assert call("GET", f"/payments/orders/{no}").status == 401
    assert call("GET", "/payments/orders/CLnosuchorder0000", token=merchant.token).status == 404
    assert call("GET", f"/payments/tasks/{task['id']}/funding", token=other.token).status == 404


def test_only_the_owner_funds_a_task_that_waits_for_it(world, db):
    merchant, other, dev = world.merchant(), world.merchant(), world.developer()
    task = awaiting_task(world, merchant)
    r = fund(task["id"], other)
    assert r.status == 403 and r["code"] == "NOT_TASK_OWNER"
    r = fund(task["id"], dev)
    assert r.status == 403 and r["code"] == "ROLE_REQUIRED"
    assert fund(999_999, merchant).status == 404
    opened = world.open_task(merchant, title="已经上线的任务")
    r = fund(opened["id"], merchant)
    assert r.status == 409 and r["code"] == "TASK_NOT_AWAITING_FUNDING"
    r = fund(task["id"], merchant, milestone_id=1)
    assert r.status == 422 and r["errors"][0]["field"] == "milestone_id"
    assert scalar("SELECT count(*) FROM payment_orders WHERE task_id = :t", t=task["id"]) == 0


# --------------------------------------------------------------------------------------------------- the webhook


def test_duplicate_notification_posts_once(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    pay.pay(no)
    wait_until(lambda: order_state(db, no) == "paid", what="order paid")
    [sent] = [n for n in pay.notifications("TRANSACTION.SUCCESS") if n["resource"]["out_trade_no"] == no]
    pay.resend_notification(sent["id"])
    wait_until(lambda: len([a for a in next(n for n in pay.notifications() if n["id"] == sent["id"])["attempts"]
                            if a["status"] == 200]) == 2, what="duplicate acknowledged")
    assert postings(db, "fund_escrow") == 1
    assert balance(db, acc.task_escrow(task["id"])) == 50_000
    assert scalar("SELECT attempts FROM payment_notifications WHERE id = :i", i=sent["id"]) == 2
    # Same payment, another notification id (WeChat may send one): still one posting.
    body, headers = notification(pay, "TRANSACTION.SUCCESS", paid_resource(pay, no))
    r = deliver(body, headers)
    assert r.status == 200 and r.body == {"code": "SUCCESS"}
    assert postings(db, "fund_escrow") == 1
    assert scalar("SELECT outcome FROM payment_notifications WHERE attempts = 1 AND outcome <> 'paid'") \
        == "already_paid"


def _hostile(pay: Any, no: str, case: str) -> tuple[str, dict[str, str], int, str | None]:
    """(body, headers, expected status, recorded outcome or None when nothing may be stored) for one hostile case."""
    resource = paid_resource(pay, no)
    if case == "forged":
        body, _ = notification(pay, "TRANSACTION.SUCCESS", resource)
        _other, headers = notification(pay, "TRANSACTION.SUCCESS", resource)  # valid signature of other bytes
        return body, headers, 401, None
    if case == "tampered":
        good, headers = notification(pay, "TRANSACTION.SUCCESS", resource)
        envelope = json.loads(good)
        sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
        sealed[5] ^= 0xFF
        envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
        body = json.dumps(envelope, ensure_ascii=False)
        # Re-signed by someone holding the platform key but not the APIv3 key: decryption must still fail.
        return body, {k.lower(): v for k, v in pay.sign(body.encode()).items()}, 400, None
    if case == "stale":
        body, headers = notification(pay, "TRANSACTION.SUCCESS", resource, timestamp=int(time.time()) - 600)
        return body, headers, 401, None
    if case == "unknown_order":
        body, headers = notification(pay, "TRANSACTION.SUCCESS", {**resource, "out_trade_no": "CLunknown0000000001"})
        return body, headers, 404, "unknown_order"
    if case == "amount_mismatch":
        body, headers = notification(pay, "TRANSACTION.SUCCESS", {**resource, "amount": {"total": 1, "payer_total": 1,
                                                                                        "currency": "CNY"}})
        return body, headers, 400, "amount_mismatch"
    if case == "other_merchant":
        body, headers = notification(pay, "TRANSACTION.SUCCESS", {**resource, "mchid": "1999999999"})
        return body, headers, 400, "merchant_mismatch"
    if case in ("no_id", "null_id", "empty_id", "numeric_id"):
        # Signed by WeChat's key but without a usable id: it cannot be deduplicated, so it is refused (and not
        # stored under some shared "None" id that every other id-less notification would then match).
        good, _ = notification(pay, "TRANSACTION.SUCCESS", resource)
        envelope = json.loads(good)
        if case == "no_id":
            del envelope["id"]
        else:
            envelope["id"] = {"null_id": None, "empty_id": "  ", "numeric_id": 12345}[case]
        body = json.dumps(envelope, ensure_ascii=False)
        return body, {k.lower(): v for k, v in pay.sign(body.encode()).items()}, 400, None
    if case in ("string_amount", "fractional_amount", "string_payer_total"):
        # Amounts are JSON integers of fen; "50000" or 50000.9 is refused, not read as 50000.
        total = resource["amount"]["total"]
        amount = {"string_amount": {**resource["amount"], "total": str(total)},
                  "fractional_amount": {**resource["amount"], "total": total + 0.9},
                  "string_payer_total": {**resource["amount"], "payer_total": str(total)}}[case]
        body, headers = notification(pay, "TRANSACTION.SUCCESS", {**resource, "amount": amount})
        return body, headers, 400, "malformed_resource"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["forged", "tampered", "stale", "unknown_order", "amount_mismatch",
                                  "other_merchant", "no_id", "null_id", "empty_id", "numeric_id", "string_amount",
                                  "fractional_amount", "string_payer_total"])
def test_hostile_notifications_are_refused_without_posting(world, pay, db, outage, case):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    # The order is paid at WeChat, but its own notification is not what we test: keep it from arriving.
    outage.on = True
    pay.pay(no)
    body, headers, status, outcome = _hostile(pay, no, case)
    r = deliver(body, headers)
    assert r.status == status, r.body
    assert r["code"] == "FAIL" and r["message"]
    assert postings(db, "fund_escrow") == 0
    assert order_state(db, no) == "created" and task_status(task["id"], merchant.token) == "awaiting_funding"
    recorded = rows("SELECT done, outcome FROM payment_notifications")
    if outcome is None:
        assert recorded == []  # unauthenticated bytes leave no trace but a log line
    else:
        assert [(x.done, x.outcome) for x in recorded] == [(False, outcome)]
        admin = world.admin()
        listed = call("GET", "/payments/admin/notifications/refused", token=admin.token)
        assert [x["outcome"] for x in listed.body] == [outcome]
    # The genuine notification still settles it afterwards.
    good_body, good_headers = notification(pay, "TRANSACTION.SUCCESS", paid_resource(pay, no))
    assert deliver(good_body, good_headers).status == 200
    assert order_state(db, no) == "paid" and postings(db, "fund_escrow") == 1


def test_a_notification_that_is_not_declared_json_is_415_and_leaves_no_trace(world, pay, db, outage):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    outage.on = True
    pay.pay(no)
    body, headers = notification(pay, "TRANSACTION.SUCCESS", paid_resource(pay, no))
    r = deliver(body, {**headers, "content-type": "text/plain"})
    assert r.status == 415 and r["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert rows("SELECT id FROM payment_notifications") == [] and postings(db, "fund_escrow") == 0
    # What WeChat Pay sends (application/json, as the fake does) goes through, with or without a charset.
    r = deliver(body, {**headers, "content-type": "application/json; charset=utf-8"})
    assert r.status == 200 and postings(db, "fund_escrow") == 1


def test_refused_notification_is_evaluated_again_when_retried(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    resource = {**paid_resource(pay, no), "trade_state": "SUCCESS", "transaction_id": "4200000000000000000000000001",
                "success_time": "2026-11-25T10:01:00+08:00"}
    wrong = {**resource, "out_trade_no": "CLnotyet000000000001"}
    body, headers = notification(pay, "TRANSACTION.SUCCESS", wrong, notification_id="N-retry-1")
    assert deliver(body, headers).status == 404
    assert deliver(body, headers).status == 404
    assert scalar("SELECT attempts FROM payment_notifications WHERE id = 'N-retry-1'") == 2
    assert scalar("SELECT done FROM payment_notifications WHERE id = 'N-retry-1'") is False


def test_unknown_event_types_are_acknowledged_and_ignored(world, pay, db):
    body, headers = notification(pay, "TRANSACTION.SOMETHING_NEW", {"out_trade_no": "CLx00000000000000001"})
    r = deliver(body, headers)
    assert r.status == 200 and r.body == {"code": "SUCCESS"}
    assert scalar("SELECT outcome FROM payment_notifications") == "ignored"
    assert postings(db, "fund_escrow") == 0


def test_fifty_concurrent_replays_post_exactly_once(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    resource = pay.pay(no)  # its own notification races the replays below too
    body, headers = notification(pay, "TRANSACTION.SUCCESS", resource, notification_id=f"N-{uuid.uuid4()}")
    barrier = threading.Barrier(50)
    answers: list[int] = []

    def replay() -> None:
        barrier.wait()
        answers.append(deliver(body, headers).status)

    threads = [threading.Thread(target=replay) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 50
    wait_until(lambda: task_status(task["id"], merchant.token) == "open", what="task opened")
    assert postings(db, "fund_escrow") == 1
    assert balance(db, acc.task_escrow(task["id"])) == 50_000 and balance(db, acc.CLEARING) == 50_000
    assert scalar("SELECT count(*) FROM notifications WHERE kind = 'escrow_funded'") == 1
    replayed = scalar("SELECT attempts FROM payment_notifications WHERE id = :i", i=json.loads(body)["id"])
    assert replayed == 50


# --------------------------------------------------------------------------------------------------- the timer


def test_lost_notification_is_settled_by_the_timer_before_the_webhook(world, pay, db, clock, outage):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    outage.on = True
    pay.pay(no)  # WeChat cannot reach us: the notification is not acknowledged
    assert poll()["settled"] == 0  # too young to ask about
    clock.advance(timedelta(minutes=4))
    result = poll()
    assert (result["checked"], result["settled"]) == (1, 1)
    assert order_state(db, no) == "paid" and task_status(task["id"], merchant.token) == "open"
    assert scalar("SELECT settled_via FROM payment_orders WHERE out_trade_no = :n", n=no) == "poll"
    # The webhook comes back and WeChat's retry arrives late: acknowledged, nothing posted twice.
    outage.on = False
    [sent] = [n for n in pay.notifications("TRANSACTION.SUCCESS") if n["resource"]["out_trade_no"] == no]
    pay.resend_notification(sent["id"])
    wait_until(lambda: scalar("SELECT outcome FROM payment_notifications WHERE id = :i", i=sent["id"]),
               what="late notification handled")
    assert scalar("SELECT outcome FROM payment_notifications WHERE id = :i", i=sent["id"]) == "already_paid"
    assert postings(db, "fund_escrow") == 1
    assert poll()["checked"] == 0  # nothing unpaid left


def test_timer_closes_expired_orders_and_orders_nobody_needs(world, pay, db, clock):
    from infra.fakes.wechatpay import FakeStateError

    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    other = awaiting_task(world, merchant, title="另一个任务的标题")
    no2 = fund(other["id"], merchant)["out_trade_no"]
    assert call("POST", f"/tasks/{other['id']}/cancel", {"reason": "不做了"}, merchant.token).status == 200
    clock.advance(timedelta(minutes=4))
    result = poll()
    assert (result["checked"], result["closed"]) == (2, 1)  # the cancelled task's order, early
    assert order_state(db, no2) == "closed" and pay.order(no2)["trade_state"] == "CLOSED"
    assert order_state(db, no) == "created"
    clock.advance(timedelta(minutes=30))
    assert poll()["closed"] == 1
    assert order_state(db, no) == "closed" and pay.order(no)["trade_state"] == "CLOSED"
    with pytest.raises(FakeStateError):
        pay.pay(no)
    assert poll()["checked"] == 0
    # A new tap after expiry makes a fresh order.
    again = fund(task["id"], merchant)
    assert again.status == 200 and again["out_trade_no"] != no


def test_order_paid_after_the_task_was_cancelled_is_refunded_at_once(world, pay, db):
    from shared import jobs

    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    assert call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status == 200
    assert scalar("SELECT count(*) FROM refunds") == 0  # nothing was held yet
    pay.pay(no)  # the payer was already in the payment sheet
    wait_until(lambda: order_state(db, no) == "paid", what="late payment recorded")
    [refund] = rows("SELECT out_refund_no, amount_fen, state, request_key FROM refunds")
    assert refund.amount_fen == 50_000 and refund.request_key == f"unusable:order:{no}"
    assert scalar("SELECT outcome FROM payment_notifications") == "paid_refunded"
    assert task_status(task["id"], merchant.token) == "cancelled"
    jobs.work()
    wait_until(lambda: scalar("SELECT state FROM refunds") == "succeeded", what="refund succeeded")
    assert pay.refund(refund.out_refund_no)["status"] == "SUCCESS"
    assert balance(db, acc.task_escrow(task["id"])) == 0
    assert balance(db, acc.REFUNDS_IN_FLIGHT) == 0 and balance(db, acc.CLEARING) == 0
    kinds = [n["kind"] for n in call("GET", "/notifications", token=merchant.token)["items"]]
    assert "payment_refunded" in kinds and "refund_succeeded" in kinds


def test_changing_the_order_after_paying_settles_the_payment_instead(world, pay, db, outage):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    outage.on = True
    pay.pay(no)  # paid, but the notification has not reached us yet
    r = fund(task["id"], merchant, promotion_days=1)  # the merchant taps again with a promotion added
    assert r.status == 409 and r["code"] == "ORDER_ALREADY_PAID"
    # Closing the old order found it paid: it was settled on the spot, and no second order exists.
    assert order_state(db, no) == "paid" and task_status(task["id"], merchant.token) == "open"
    assert scalar("SELECT count(*) FROM payment_orders") == 1 and postings(db, "fund_escrow") == 1
