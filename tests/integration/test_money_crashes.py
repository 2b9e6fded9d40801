"""Every money step survives a crash (issue 6): a named crash point (shared/faults.py) in each window between two
steps of pay-in, the payout sweep and the retry wake-up, and a crash twice in a row. The process "dies" there; the
next run of a real path — the orders timer, WeChat Pay's notification retries, the payouts sweep, the jobs worker, the
merchant's next tap — completes the work. Each test ends with the ledger check and exact counts: nothing lost,
nothing doubled.

The crash and payout tests of steps that already had points (payout.after_ledger / after_api, refund.*) live in
test_payouts.py and test_payments_refunds.py; those of the operators' actions (a retried refund, a re-sent payout:
`payout.resend.after_wake`) in test_money_by_hand.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from infra.fakes.wechatpay import FakeStateError
from shared import faults
from shared.ledger import accounts as acc
from tests.support.api import Actor, World
from tests.support.payments import awaiting_task, fund, notifications_settled
from tests.support.payouts import (
    accept,
    bal,
    count_tx,
    delivered_task,
    ledger_ok,
    payout,
    payouts,
    postings,
    rows,
    scalar,
    timer,
    wait_state,
    wait_until,
    work_jobs,
)

# A crash inside a webhook delivery kills the gateway's request thread, as a dying function instance would: pytest
# reports the thread's exception, which here is the point of the test.
crash_in_gateway = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture
def fake(platform):
    fake = platform.fakes["wechatpay"]
    yield fake
    notifications_settled(fake)


@pytest.fixture(autouse=True)
def _disarm():
    yield
    faults.disarm_all()


def sent(fake: Any, event_type: str, key: str, ref: str) -> dict[str, Any]:
    """The one notification the fake sent about `ref` (the fake lives for the whole session)."""
    [n] = [n for n in fake.notifications(event_type) if n["resource"].get(key) == ref]
    return n


# --------------------------------------------------------------------------------------------------- pay in


def order(out_trade_no: str) -> Any:
    [row] = rows("SELECT state, prepay_id, close_reason, settled_via FROM payment_orders WHERE out_trade_no = :n",
                 n=out_trade_no)
    return row


def only_order() -> str:
    [row] = rows("SELECT out_trade_no FROM payment_orders")
    return str(row.out_trade_no)


def task_status(task_id: int) -> str:
    return str(scalar("SELECT status FROM tasks WHERE id = :t", t=task_id))


def assert_funded_once(task_id: int, out_trade_no: str, *, reward: int = 50_000, fee: int = 0) -> None:
    """The task's escrow holds its reward from exactly one order, posted once, announced once."""
    expected = {acc.CLEARING: reward + fee, acc.task_escrow(task_id): -reward}
    if fee:
        expected[acc.REVENUE] = -fee
    assert postings("fund_escrow", f"order:{out_trade_no}") == expected
    assert count_tx("fund_escrow") == 1
    assert bal(acc.task_escrow(task_id)) == reward and bal(acc.CLEARING) == reward + fee
    assert scalar("SELECT count(*) FROM payment_orders WHERE state = 'paid'") == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'PaymentOrderPaid'") == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'EscrowFunded'") == 1
    assert task_status(task_id) == "open"
    ledger_ok()


def nothing_posted() -> None:
    assert scalar("SELECT count(*) FROM ledger_transactions") == 0
    ledger_ok()


@pytest.mark.parametrize("point", ["payin.after_order", "payin.after_create"])
def test_a_pay_in_that_crashed_before_the_prepay_id_was_stored_completes_on_the_next_tap(world, fake, point):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    faults.arm(point)
    with pytest.raises(faults.InjectedCrash):
        fund(task["id"], merchant)
    no = only_order()
    assert order(no).state == "created" and order(no).prepay_id is None
    if point == "payin.after_order":
        with pytest.raises(FakeStateError):
            fake.order(no)  # WeChat never heard of it
    else:
        assert fake.order(no)["trade_state"] == "NOTPAY"
    nothing_posted()
    # The merchant taps again: the same order, sent with identical parameters (WeChat answers the same prepay_id).
    again = fund(task["id"], merchant)
    assert again.status == 200 and again["out_trade_no"] == no and again["reused"] is True
    assert again["payment_params"]["package"] == f"prepay_id={order(no).prepay_id}"
    fake.pay(no)
    wait_until(lambda: order(no).state == "paid", what="order settled by its notification")
    assert scalar("SELECT count(*) FROM payment_orders") == 1
    assert_funded_once(task["id"], no)


@pytest.mark.parametrize("point", ["payin.after_order", "payin.after_create"])
def test_a_pay_in_that_crashed_before_the_prepay_id_was_stored_is_closed_by_the_timer(world, fake, clock, point):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    faults.arm(point)
    with pytest.raises(faults.InjectedCrash):
        fund(task["id"], merchant)
    no = only_order()
    clock.advance(timedelta(minutes=4))
    first = timer("orders_poll")
    assert (first["checked"], first["closed"], first["settled"]) == (1, 0, 0)  # still payable: a tap may reuse it
    clock.advance(timedelta(minutes=30))
    world.renew(merchant)
    second = timer("orders_poll")
    assert (second["checked"], second["closed"], second["errors"]) == (1, 1, 0)
    assert order(no).state == "closed" and order(no).close_reason == "expired"
    if point == "payin.after_create":
        assert fake.order(no)["trade_state"] == "CLOSED"  # it can no longer be paid at WeChat either
        with pytest.raises(FakeStateError):
            fake.pay(no)
    assert timer("orders_poll")["checked"] == 0
    nothing_posted()
    # The next tap makes a fresh order, paid and posted once.
    fresh = world.fund(merchant, task["id"])
    assert fresh != no and order(no).state == "closed"
    assert_funded_once(task["id"], fresh)


def test_a_crash_between_closing_the_old_order_and_committing_its_replacement(world, fake, clock):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    old = fund(task["id"], merchant)["out_trade_no"]
    faults.arm("payin.after_close")
    with pytest.raises(faults.InjectedCrash):
        fund(task["id"], merchant, promotion_days=1)  # a changed amount: the old order is closed first
    assert fake.order(old)["trade_state"] == "CLOSED" and order(old).state == "created"
    assert only_order() == old  # no replacement committed
    nothing_posted()
    # The timer finds it closed at WeChat and closes it here.
    clock.advance(timedelta(minutes=4))
    world.renew(merchant)
    polled = timer("orders_poll")
    assert (polled["checked"], polled["closed"], polled["settled"]) == (1, 1, 0)
    assert order(old).state == "closed" and order(old).close_reason == "closed_at_wechat"
    # The merchant's next tap makes the replacement; it is paid and posted once.
    new = fund(task["id"], merchant, promotion_days=1)
    assert new.status == 200 and new["out_trade_no"] != old and new["amount_fen"] == 53_000
    fake.pay(new["out_trade_no"])
    wait_until(lambda: order(new["out_trade_no"]).state == "paid", what="replacement settled")
    assert scalar("SELECT count(*) FROM payment_orders") == 2
    assert_funded_once(task["id"], new["out_trade_no"], fee=3_000)


def test_a_tap_after_a_crash_between_close_and_replacement_closes_again_and_replaces(world, fake):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    old = fund(task["id"], merchant)["out_trade_no"]
    faults.arm("payin.after_close")
    with pytest.raises(faults.InjectedCrash):
        fund(task["id"], merchant, promotion_days=1)
    # No timer ran: the next tap finds the old order still `created`, closes it again (WeChat: already closed, fine)
    # and commits the replacement.
    new = fund(task["id"], merchant, promotion_days=1)
    assert new.status == 200 and new["out_trade_no"] != old
    assert order(old).state == "closed" and order(old).close_reason == "superseded"
    fake.pay(new["out_trade_no"])
    wait_until(lambda: order(new["out_trade_no"]).state == "paid", what="replacement settled")
    assert_funded_once(task["id"], new["out_trade_no"], fee=3_000)


@crash_in_gateway
def test_a_notification_that_crashes_twice_while_settling_is_settled_once_by_its_retry(world, fake):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    faults.arm("payin.settle", times=2)  # marked paid, then the process dies before the ledger — twice in a row
    fake.pay(no)
    wait_until(lambda: sent(fake, "TRANSACTION.SUCCESS", "out_trade_no", no)["delivered"],
               what="notification acknowledged")
    # Two deliveries died with the process (no answer), the third settled it.
    assert [a["status"] for a in sent(fake, "TRANSACTION.SUCCESS", "out_trade_no", no)["attempts"]] == [None, None, 200]
    assert order(no).state == "paid" and order(no).settled_via == "notify"
    [seen] = rows("SELECT done, outcome, attempts FROM payment_notifications")
    assert (seen.done, seen.outcome, seen.attempts) == (True, "paid", 1)  # the crashed attempts left no trace
    assert_funded_once(task["id"], no)


@crash_in_gateway
def test_a_paid_order_whose_notifications_all_crashed_is_settled_by_the_timer_even_after_it_crashed(
        world, fake, clock):
    merchant = world.merchant()
    task = awaiting_task(world, merchant)
    no = fund(task["id"], merchant)["out_trade_no"]
    faults.arm("payin.settle", times=5)  # every delivery WeChat attempts dies mid-settlement
    fake.pay(no)
    wait_until(lambda: sent(fake, "TRANSACTION.SUCCESS", "out_trade_no", no)["gave_up"], what="WeChat gave up")
    assert order(no).state == "created" and scalar("SELECT count(*) FROM payment_notifications") == 0
    nothing_posted()
    clock.advance(timedelta(minutes=4))
    faults.arm("payin.poll_found_paid")  # the timer learns it is paid, and dies before settling
    with pytest.raises(faults.InjectedCrash):
        timer("orders_poll")
    assert order(no).state == "created"
    nothing_posted()
    polled = timer("orders_poll")  # the next run settles it
    assert (polled["checked"], polled["settled"], polled["closed"]) == (1, 1, 0)
    assert order(no).settled_via == "poll"
    assert timer("orders_poll")["checked"] == 0
    assert_funded_once(task["id"], no)


# --------------------------------------------------------------------------------------------------- payouts


def waiting_payout(world: World, clock: Any) -> tuple[Actor, dict[str, Any]]:
    """A delivered, accepted task whose payout waits for the developer's confirmation."""
    merchant, dev = world.merchant(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    accept(merchant, tid)
    work_jobs()
    [p] = payouts(dev)
    assert p["state"] == "wait_user_confirm"
    return dev, p


def assert_cancelled_once(dev: Actor, p: dict[str, Any]) -> None:
    p = payout(dev, p["id"])
    assert p["state"] == "cancelled" and p["attempts"] == 1
    assert postings("payout_reverted", f"transfer:{p['out_bill_no']}") == {
        acc.PAYOUTS_IN_FLIGHT: 42_500, acc.payable(dev.user_id): -42_500}
    assert count_tx("payout_start") == 1 and count_tx("payout_reverted") == 1 and count_tx("payout_done") == 0
    assert bal(acc.payable(dev.user_id)) == 42_500 and bal(acc.PAYOUTS_IN_FLIGHT) == 0
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'PayoutCancelled'") == 1
    ledger_ok()


def overdue(world: World, clock: Any, dev: Actor) -> None:
    clock.advance(timedelta(hours=24, minutes=1))
    world.renew(dev)


def test_a_sweep_that_crashed_after_marking_a_transfer_overdue_cancels_it_on_a_later_run(world, fake, clock):
    dev, p = waiting_payout(world, clock)
    overdue(world, clock, dev)
    faults.arm("payout.cancel.after_mark")
    with pytest.raises(faults.InjectedCrash):
        timer("payouts_sweep")
    assert payout(dev, p["id"])["state"] == "cancelling"
    assert fake.transfer(p["out_bill_no"])["state"] == "WAIT_USER_CONFIRM"  # WeChat was never asked
    assert count_tx("payout_reverted") == 0 and bal(acc.PAYOUTS_IN_FLIGHT) == 42_500
    ledger_ok()
    swept = timer("payouts_sweep")  # too recent to count as a stale cancel yet
    assert (swept["cancelled"], swept["settled"], swept["errors"]) == (0, 0, 0)
    assert fake.transfer(p["out_bill_no"])["state"] == "WAIT_USER_CONFIRM"
    clock.advance(timedelta(minutes=6))
    world.renew(dev)
    swept = timer("payouts_sweep")  # the re-check of stale cancels sends the cancel and applies the answer
    assert (swept["settled"], swept["errors"]) == (1, 0)
    assert fake.transfer(p["out_bill_no"])["state"] == "CANCELLED"
    assert_cancelled_once(dev, p)
    # WeChat's CANCELLED notification arrives as well and changes nothing; neither does another sweep.
    wait_until(lambda: sent(fake, "MCHTRANSFER.BILL.FINISHED", "out_bill_no", p["out_bill_no"])["delivered"],
               what="CANCELLED notification acknowledged")
    assert timer("payouts_sweep") == {"cancelled": 0, "settled": 0, "resumed": 0, "retried": 0, "errors": 0}
    assert_cancelled_once(dev, p)


@crash_in_gateway
def test_a_sweep_that_crashed_after_the_cancel_api_is_applied_by_the_stale_cancel_recheck(world, fake, clock):
    dev, p = waiting_payout(world, clock)
    overdue(world, clock, dev)
    faults.arm("payout.cancel.after_api")  # WeChat cancelled it; we died before applying that
    faults.arm("payout.settle", times=5)  # and every delivery of the CANCELLED notification dies too
    with pytest.raises(faults.InjectedCrash):
        timer("payouts_sweep")
    assert fake.transfer(p["out_bill_no"])["state"] == "CANCELLED"
    wait_until(lambda: sent(fake, "MCHTRANSFER.BILL.FINISHED", "out_bill_no", p["out_bill_no"])["gave_up"],
               what="WeChat gave up")
    assert payout(dev, p["id"])["state"] == "cancelling"
    assert count_tx("payout_reverted") == 0 and bal(acc.PAYOUTS_IN_FLIGHT) == 42_500
    ledger_ok()
    clock.advance(timedelta(minutes=6))
    world.renew(dev)
    swept = timer("payouts_sweep")
    assert (swept["settled"], swept["errors"]) == (1, 0)
    [t] = rows("SELECT state, settled_via FROM payout_transfers")
    assert (t.state, t.settled_via) == ("cancelled", "query")
    assert_cancelled_once(dev, p)
    assert timer("payouts_sweep")["settled"] == 0
    assert_cancelled_once(dev, p)


def test_a_crash_after_waking_a_failed_transfer_for_its_retry_is_resumed_by_the_sweep(world, fake, clock):
    dev, p = waiting_payout(world, clock)
    first = p["out_bill_no"]
    fake.fail_transfer(first, "PAYEE_ACCOUNT_ABNORMAL")
    wait_state(dev, p["id"], "failed")
    clock.advance(timedelta(minutes=31))  # the back-off is over
    world.renew(dev)
    faults.arm("payout.retry.after_wake")
    with pytest.raises(faults.InjectedCrash):
        timer("payouts_sweep")
    p = payout(dev, p["id"])
    # Woken (pending, its automatic retry consumed) but not started: no job was queued for it.
    assert (p["state"], p["attempts"], p["next_retry_at"]) == ("pending", 1, None)
    assert count_tx("payout_start") == 1 and count_tx("payout_reverted") == 1
    assert bal(acc.payable(dev.user_id)) == 42_500 and bal(acc.PAYOUTS_IN_FLIGHT) == 0
    assert scalar("SELECT count(*) FROM jobs WHERE kind = 'payout_start' AND status IN ('queued', 'running')") == 0
    ledger_ok()
    assert timer("payouts_sweep")["resumed"] == 0  # not stuck long enough to be resumed yet
    clock.advance(timedelta(minutes=11))
    world.renew(dev)
    swept = timer("payouts_sweep")
    assert (swept["resumed"], swept["retried"], swept["errors"]) == (1, 0, 0)
    p = payout(dev, p["id"])
    assert p["state"] == "wait_user_confirm" and p["attempts"] == 2 and p["out_bill_no"] != first
    fake.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    assert count_tx("payout_start") == 2 and count_tx("payout_reverted") == 1 and count_tx("payout_done") == 1
    assert postings("payout_done", f"transfer:{p['out_bill_no']}") == {
        acc.PAYOUTS_IN_FLIGHT: 42_500, acc.CLEARING: -42_500}
    assert bal(acc.payable(dev.user_id)) == 0 and bal(acc.PAYOUTS_IN_FLIGHT) == 0
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'PayoutSettled'") == 1
    ledger_ok()


def test_a_payout_that_crashes_twice_at_the_same_step_is_completed_by_the_third_run(world, fake, clock):
    merchant, dev = world.merchant(), world.developer()
    tid = delivered_task(world, merchant, dev)["id"]
    accept(merchant, tid)
    faults.arm("payout.after_ledger", times=2)
    for _ in range(2):  # the worker dies after moving the money in flight; its lease runs out; again
        with pytest.raises(faults.InjectedCrash):
            work_jobs()
        [p] = payouts(dev)
        assert p["state"] == "transferring" and p["attempts"] == 1
        assert count_tx("payout_start") == 1 and bal(acc.PAYOUTS_IN_FLIGHT) == 42_500
        with pytest.raises(FakeStateError):
            fake.transfer(p["out_bill_no"])  # WeChat has not heard of it
        ledger_ok()
        clock.advance(timedelta(minutes=6))
        world.renew(dev)
    work_jobs()  # the third run completes it, under the same number
    p = payout(dev, p["id"])
    assert p["state"] == "wait_user_confirm" and p["attempts"] == 1
    assert count_tx("payout_start") == 1
    assert scalar("SELECT count(*) FROM payout_transfers") == 1
    fake.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    assert count_tx("payout_done") == 1 and bal(acc.PAYOUTS_IN_FLIGHT) == 0 and bal(acc.payable(dev.user_id)) == 0
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'PayoutSettled'") == 1
    ledger_ok()
