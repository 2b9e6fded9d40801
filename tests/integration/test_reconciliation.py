"""Daily reconciliation against the fake WeChat Pay's trade bill: a matching day has no differences; a paid order
missing from the bill, a bill line unknown to us, a wrong amount and a state mismatch are each recorded; re-running a
date replaces its result; admins read runs and differences.

Each test trades on its own day away from the real date (the fake WeChat Pay lives for the whole session and keeps
every order other tests made), and the fake's business clock follows the test clock, so payments and refunds land on
that day's bill."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest

from shared.adapters.wechatpay import TradeBillRow
from shared.billing.reconciliation import compare, reconcile_yesterday
from shared.clock import SHANGHAI
from shared.uow import run
from tests.support.api import call
from tests.support.billing import ledger_ok, pay, rows, scalar, timer, wait_until

_DAYS = itertools.count()


@dataclass(frozen=True)
class Day:
    date: date

    @property
    def during(self) -> datetime:  # 10:00 Beijing time on the day
        return datetime.combine(self.date, time(10), tzinfo=SHANGHAI).astimezone(timezone.utc)

    @property
    def next_morning(self) -> datetime:  # 10:00 Beijing time the day after: the timer's "yesterday" is the day
        return self.during + timedelta(days=1)


@pytest.fixture
def day():
    # A fresh bill date per test: the fake WeChat Pay lives for the session and its bills keep earlier tests' trades.
    return Day(date(2027, 2, 1) + timedelta(days=2 * next(_DAYS)))


@pytest.fixture
def wxpay(platform, clock, day, monkeypatch):
    fake = platform.fakes["wechatpay"]
    monkeypatch.setattr(fake, "clock", clock.now)  # payments and refunds happen "now" in the test's time
    clock.set(day.during)
    return fake


@pytest.fixture
def day_of_trades(world, platform, wxpay, clock, day):
    """Three subscription payments on the day: premium, growth pass, enterprise."""
    a, b, shop = world.developer(), world.developer(), world.merchant()
    nos = []
    for actor, plan in ((a, "premium"), (b, "growth"), (shop, "enterprise")):
        r = call("POST", "/billing/subscriptions", {"plan": plan, "months": 1}, actor.token)
        assert r.status == 201, r.body
        pay(platform, r["out_trade_no"])
        nos.append(r["out_trade_no"])
        clock.advance(timedelta(minutes=7))
    clock.set(day.next_morning)
    return nos


def tamper(fake, monkeypatch, *, drop=(), amounts=None, unknown=None):
    """Make WeChat's bill say something else than our books: drop lines, change amounts, add an unknown trade."""
    original = fake.trade_bill_csv
    amounts = amounts or {}

    def bill(day, bill_type="ALL"):
        content = original(day, bill_type)
        if content is None:
            return None
        lines = content.decode("utf-8").split("\r\n")
        header = lines[0].split(",")
        at = {name: i for i, name in enumerate(header)}
        end = next(i for i, line in enumerate(lines) if line.startswith("总交易单数"))
        body = []
        for line in lines[1:end]:
            fields = line[1:].split(",`")
            no = fields[at["商户订单号"]]
            if no in drop:
                continue
            if no in amounts:
                yuan = f"{amounts[no] / 100:.2f}"
                fields[at["订单金额"]] = fields[at["应结订单金额"]] = yuan
            body.append(fields)
            if unknown and no == unknown[0]:
                ghost = list(fields)
                ghost[at["商户订单号"]], ghost[at["微信订单号"]] = unknown[1], "4200" + "9" * 24
                body.append(ghost)
        summary = lines[end + 1][1:].split(",`")
        summary[0] = str(len(body))
        out = [lines[0], *("`" + ",`".join(f) for f in body), lines[end], "`" + ",`".join(summary), ""]
        return "\r\n".join(out).encode("utf-8")

    monkeypatch.setattr(fake, "trade_bill_csv", bill)


def run_row(day):
    [r] = rows("SELECT * FROM reconciliation_runs WHERE bill_date = :d", d=day.date)
    return r


def test_a_day_that_matches_has_no_differences(day_of_trades, world, day):
    result = timer("payments_reconcile")  # 10:00 the next morning: "yesterday" is the day
    assert result["bill_date"] == day.date.isoformat()
    assert result["status"] == "matched" and result["bill_lines"] == 3 and result["matched"] == 3
    assert result["diffs"] == 0
    r = run_row(day)
    assert r.status == "matched" and r.diff_count == 0 and r.bill_paid_fen == r.ours_paid_fen == 1_990 + 4_900 + 19_900
    admin = world.admin()
    listing = call("GET", "/billing/admin/reconciliation", token=admin.token)
    assert listing.status == 200 and [i["bill_date"] for i in listing["items"]] == [day.date.isoformat()]
    detail = call("GET", f"/billing/admin/reconciliation/{day.date.isoformat()}", token=admin.token)
    assert detail.status == 200 and detail["run"]["status"] == "matched" and detail["diffs"] == []
    ledger_ok()


def test_each_difference_is_recorded_and_a_rerun_replaces_the_result(day_of_trades, wxpay, monkeypatch, world,
                                                                     day):
    premium, growth, enterprise = day_of_trades
    tamper(wxpay, monkeypatch, drop={premium}, amounts={growth: 4_800},
           unknown=(enterprise, "CLGHOST0000000000000001"))
    result = reconcile_yesterday()
    assert result["status"] == "differences" and result["bill_lines"] == 3 and result["matched"] == 1
    assert (result["missing_in_bill"], result["amount_mismatch"], result["missing_in_ledger"]) == (1, 1, 1)
    diffs = {d.kind: d for d in rows("SELECT * FROM reconciliation_diffs ORDER BY id")}
    assert diffs["missing_in_bill"].out_trade_no == premium and diffs["missing_in_bill"].our_amount_fen == 1_990
    mismatch = diffs["amount_mismatch"]
    assert (mismatch.out_trade_no, mismatch.bill_amount_fen, mismatch.our_amount_fen) == (growth, 4_800, 4_900)
    assert diffs["missing_in_ledger"].out_trade_no == "CLGHOST0000000000000001"
    assert diffs["missing_in_ledger"].bill_amount_fen == 19_900

    # Re-running the date replaces its result: one run, the same three differences, not six.
    again = reconcile_yesterday()
    assert again == result
    r = run_row(day)
    assert r.runs == 2 and r.diff_count == 3
    assert scalar("SELECT count(*) FROM reconciliation_diffs") == 3
    assert scalar("SELECT count(*) FROM reconciliation_runs") == 1

    admin = world.admin()
    detail = call("GET", f"/billing/admin/reconciliation/{day.date.isoformat()}", token=admin.token)
    assert detail.status == 200 and {d["kind"] for d in detail["diffs"]} == {
        "missing_in_bill", "amount_mismatch", "missing_in_ledger"}
    # WeChat's corrected bill: an admin re-runs the day and the differences are gone.
    monkeypatch.undo()
    monkeypatch.setattr(wxpay, "clock", lambda: day.next_morning)
    rerun = call("POST", f"/billing/admin/reconciliation/{day.date.isoformat()}/run", token=admin.token)
    assert rerun.status == 200, rerun.body
    assert rerun["run"]["status"] == "matched" and rerun["run"]["runs"] == 3 and rerun["diffs"] == []
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'ReconciliationRecorded' AND actor_id = :a",
                  a=admin.user_id) == 1
    ledger_ok()


def test_bill_success_for_an_order_we_hold_unpaid_is_a_state_mismatch(world, wxpay, day):
    dev = world.developer()
    r = call("POST", "/billing/subscriptions", {"plan": "premium", "months": 1}, dev.token)
    assert r.status == 201, r.body
    line = TradeBillRow(
        trade_time=day.during, appid="wx-dev-appid", mchid="1900000001", transaction_id="4200" + "1" * 24,
        out_trade_no=r["out_trade_no"], openid="o", trade_type="JSAPI", trade_state="SUCCESS", bank_type="OTHERS",
        currency="CNY", settlement_total_fen=1_990, coupon_fen=0, refund_id=None, out_refund_no=None, refund_fen=0,
        recharge_coupon_refund_fen=0, refund_type=None, refund_status=None, description="", attach="", fee_fen=12,
        fee_rate="0.60%", total_fen=1_990, requested_refund_fen=0, fee_remark="")
    result = run(lambda uow: compare(uow, day.date, [line], day.during))
    assert result["state_mismatch"] == 1 and result["matched"] == 0
    [d] = rows("SELECT kind, our_state, bill_state FROM reconciliation_diffs")
    assert (d.kind, d.our_state, d.bill_state) == ("state_mismatch", "created", "SUCCESS")


def test_escrow_payments_and_refunds_are_reconciled_too(world, wxpay, clock, day):
    from shared.jobs import work

    merchant = world.merchant()
    task = world.open_task(merchant)  # escrow paid through the fake, on the day
    assert call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status == 200
    work()  # refund_start: the fake accepts the refund (on the day) and completes it shortly after
    wait_until(lambda: scalar("SELECT bool_and(state = 'succeeded') FROM refunds"), what="refund succeeded")
    clock.set(day.next_morning)
    result = reconcile_yesterday()
    assert result["status"] == "matched", rows("SELECT * FROM reconciliation_diffs")
    assert result["bill_lines"] == result["matched"] >= 2
    r = run_row(day)
    assert r.bill_refund_fen == r.ours_refund_fen == task["reward_fen"]
    ledger_ok()


def test_a_day_without_a_bill_still_finds_our_payments(world, platform, wxpay, monkeypatch, clock, day):
    dev = world.developer()
    r = call("POST", "/billing/subscriptions", {"plan": "premium", "months": 1}, dev.token)
    pay(platform, r["out_trade_no"])
    monkeypatch.setattr(wxpay, "trade_bill_csv", lambda day, bill_type="ALL": None)  # NO_STATEMENT_EXIST
    clock.set(day.next_morning)
    result = reconcile_yesterday()
    assert result["bill_lines"] == 0 and result["missing_in_bill"] == 1


def test_reconciliation_is_for_admins(world, day_of_trades, day):
    dev = world.developer()
    for method, path in (("GET", "/billing/admin/reconciliation"),
                         ("GET", f"/billing/admin/reconciliation/{day.date.isoformat()}"),
                         ("POST", f"/billing/admin/reconciliation/{day.date.isoformat()}/run")):
        r = call(method, path, token=dev.token)
        assert r.status == 403 and r["code"] == "ROLE_REQUIRED", (path, r.body)
        assert call(method, path).status == 401
    admin = world.admin()
    assert call("GET", "/billing/admin/reconciliation/2027-01-01", token=admin.token).status == 404
    assert call("GET", "/billing/admin/reconciliation/yesterday", token=admin.token).status == 422
    today = day.next_morning.astimezone(SHANGHAI).date().isoformat()
    assert call("POST", f"/billing/admin/reconciliation/{today}/run", token=admin.token).status == 422


# --- bills not ready yet (STATEMENT_CREATING) and the hourly timer ---


def test_a_bill_still_being_made_leaves_the_day_pending_and_a_later_run_reconciles_it(
        day_of_trades, wxpay, monkeypatch, clock, day, world):
    monkeypatch.setattr(wxpay, "bills_ready_hour", 11)  # WeChat Pay has the day's bills at 11:00 the next day
    clock.set(day.next_morning)  # 10:00: too early
    result = timer("payments_reconcile")
    assert result["status"] == "pending" and result["bill_date"] == day.date.isoformat()
    r = run_row(day)
    assert r.status == "pending" and "STATEMENT_CREATING" in r.error and r.diff_count == 0
    admin = world.admin()
    listing = call("GET", "/billing/admin/reconciliation", token=admin.token)
    assert listing.status == 200 and listing["items"][0]["status"] == "pending"

    clock.advance(timedelta(hours=1))  # 11:00: the next hourly run
    result = timer("payments_reconcile")
    assert result["status"] == "matched" and result["matched"] == 3
    r = run_row(day)
    assert (r.status, r.runs, r.error) == ("matched", 2, None)

    # 12:00: the day has its final result and is not downloaded again.
    clock.advance(timedelta(hours=1))
    again = timer("payments_reconcile")
    assert again == {"bill_date": day.date.isoformat(), "status": "matched", "skipped": True}
    assert run_row(day).runs == 2


def test_the_timer_catches_up_a_day_left_pending(day_of_trades, wxpay, monkeypatch, clock, day):
    monkeypatch.setattr(wxpay, "bills_ready_hour", 25)  # not ready at all on D+1
    clock.set(day.next_morning + timedelta(hours=13))  # 23:00, the last run of D+1
    assert timer("payments_reconcile")["status"] == "pending"
    clock.advance(timedelta(hours=11))  # 10:00 on D+2: yesterday is D+1 now, D is still pending
    result = timer("payments_reconcile")
    [earlier] = result["earlier"]
    assert earlier["bill_date"] == day.date.isoformat() and earlier["status"] == "matched"
    assert run_row(day).status == "matched"


def test_a_pending_answer_never_replaces_a_final_result(day_of_trades, wxpay, monkeypatch, clock, day, world):
    assert reconcile_yesterday()["status"] == "matched"
    monkeypatch.setattr(wxpay, "bills_ready_hour", 23)  # an admin re-run gets STATEMENT_CREATING (WeChat hiccup)
    admin = world.admin()
    rerun = call("POST", f"/billing/admin/reconciliation/{day.date.isoformat()}/run", token=admin.token)
    assert rerun.status == 200 and rerun["run"]["status"] == "matched" and rerun["run"]["runs"] == 2


# --- the fund-flow bill: payouts ---


def paid_out(world, wxpay) -> str:
    """A task delivered, accepted, and its payout confirmed by the developer on the day; returns its out_bill_no."""
    from tests.support.payouts import accept, delivered_task, payouts, wait_state, work_jobs

    merchant, dev = world.merchant(), world.developer()
    task = delivered_task(world, merchant, dev)
    accept(merchant, task["id"])
    work_jobs()
    [p] = payouts(dev)
    wxpay.confirm_transfer(p["out_bill_no"])
    wait_state(dev, p["id"], "paid")
    return p["out_bill_no"]


def test_payouts_are_reconciled_against_the_fund_flow_bill(world, wxpay, clock, day):
    out_bill_no = paid_out(world, wxpay)
    clock.set(day.next_morning)
    result = reconcile_yesterday()
    assert result["status"] == "matched", rows("SELECT * FROM reconciliation_diffs")
    r = run_row(day)
    assert r.bill_transfer_fen == r.ours_transfer_fen == 42_500
    assert r.fund_lines >= 3 and r.fund_income_fen == 50_000  # the escrow payment came in
    assert r.fund_expense_fen > 42_500  # the transfer and the payment's fee went out
    assert rows("SELECT * FROM reconciliation_diffs") == []
    assert out_bill_no


def test_a_transfer_missing_from_or_unknown_to_the_fund_flow_is_a_difference(world, wxpay, clock, day,
                                                                              monkeypatch):
    ours = paid_out(world, wxpay)
    original = wxpay.fund_flow_bill_csv

    def bill(d):
        text = original(d).decode("utf-8")
        lines = text.split("\r\n")
        # Our transfer's line is replaced by one WeChat Pay never told us about, of another amount.
        lines = [ln.replace(f"`{ours}", "`PO999GHOST01A1").replace("`425.00,", "`425.01,") if "商家转账" in ln
                 else ln for ln in lines]
        return "\r\n".join(lines).encode("utf-8")

    monkeypatch.setattr(wxpay, "fund_flow_bill_csv", bill)
    clock.set(day.next_morning)
    result = reconcile_yesterday()
    assert result["status"] == "differences"
    transfer_diffs = rows("SELECT * FROM reconciliation_diffs WHERE line_type = 'transfer'")
    diffs = {(d.kind, d.out_bill_no): d for d in transfer_diffs}
    assert set(diffs) == {("missing_in_ledger", "PO999GHOST01A1"), ("missing_in_bill", ours)}
    assert diffs[("missing_in_ledger", "PO999GHOST01A1")].bill_amount_fen == 42_501
    assert diffs[("missing_in_bill", ours)].our_amount_fen == 42_500
    assert all(d.out_trade_no is None for d in diffs.values())
    admin = world.admin()
    world.renew(admin)  # logged in the day before, to approve the task
    detail = call("GET", f"/billing/admin/reconciliation/{day.date.isoformat()}", token=admin.token)
    assert detail.status == 200, detail.body
    assert {d["out_bill_no"] for d in detail["diffs"]} == {"PO999GHOST01A1", ours}
