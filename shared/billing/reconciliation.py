"""Daily reconciliation: WeChat Pay's trade bill and fund-flow bill (资金账单) for a Beijing day, matched line by line
against our orders, refunds, merchant transfers and the ledger transactions that account for them.

The `payments_reconcile` timer runs hourly from 10:00 to 23:00 Beijing (`reconcile_due`): it reconciles yesterday
unless that day already has a final result, and catches up the last week's days still pending or failed. While
WeChat Pay answers STATEMENT_CREATING (the bills are made from about 9:00 the next day) the day is recorded
`pending`, not `failed`, and the next run asks again.

For each bill date one `reconciliation_runs` row and its `reconciliation_diffs`. Re-running a date replaces its
result in one transaction (the run row is upserted and locked, its old differences deleted), so the timer firing twice,
or an admin re-running a day after fixing something, leaves exactly one current answer per date.

What is compared (out_trade_no / out_refund_no is the key):
  payment lines (交易状态 SUCCESS)        vs payment_orders: known? paid? same amount (订单金额)? posted to the ledger?
  our orders paid that day                 vs payment lines: in the bill?
  refund lines (交易状态 REFUND)          vs refunds: known? same amount? state compatible (a refund WeChat reports
                                           SUCCESS we do not hold as succeeded, or the reverse)? once succeeded,
                                           `refund_done` (ref refund:<out_refund_no>) took it out of clearing?
  our refunds requested that day           vs refund lines: in the bill?
  fund-flow transfer lines (商家转账)       vs payout_transfers (业务凭证号 = out_bill_no): known? same amount?
                                           succeeded on our side? `payout_done` (ref transfer:<no>) took it out of
                                           clearing? Our transfers that succeeded that day: in the fund flow?
Differences are recorded, never "fixed" here: correcting money is a new ledger posting an operator decides on.

"Posted to the ledger" means a ledger transaction whose ref names the order (`order:<out_trade_no>`: the convention of
every posting of a paid order — `fund_escrow` in shared/payments, `promotion_paid` / `subscription_paid` in
shared/billing/orders.py) with a debit to wechatpay:clearing equal to what WeChat received.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from shared import clock
from shared.clock import SHANGHAI
from shared.events import ReconciliationRecorded
from shared.ledger.accounts import CLEARING
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.billing.reconciliation")

# Our refund states that mean "WeChat accepted it" vs WeChat's refund_status in the bill.
_OURS_REFUND_OK = {"processing", "succeeded"}
_BILL_REFUND_FAILED = {"CLOSED", "ABNORMAL"}


_FINAL = ("matched", "differences")
CATCH_UP_DAYS = 7


@dataclass
class Diff:
    kind: str
    line_type: str
    out_trade_no: str | None
    detail: str
    out_bill_no: str | None = None
    out_refund_no: str | None = None
    bill_amount_fen: int | None = None
    our_amount_fen: int | None = None
    bill_state: str | None = None
    our_state: str | None = None


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def reconcile_yesterday() -> dict[str, Any]:
    """Yesterday in Beijing time (the bills of day D are ready from about 10:00 on D+1), reconciled again."""
    return reconcile_date(clock.shanghai_date(clock.now()) - timedelta(days=1))


def reconcile_due() -> dict[str, Any]:
    """The hourly `payments_reconcile` timer: yesterday unless it already has a final result, and the days of the
    last CATCH_UP_DAYS still pending or failed. Answers yesterday's counts (plus `earlier`: the caught-up days)."""
    yesterday = clock.shanghai_date(clock.now()) - timedelta(days=1)
    known = dict(run(lambda uow: [tuple(r) for r in uow.execute(
        "SELECT bill_date, status FROM reconciliation_runs WHERE bill_date >= :since AND bill_date <= :until",
        {"since": yesterday - timedelta(days=CATCH_UP_DAYS), "until": yesterday}).all()]))
    earlier = [reconcile_date(d) for d, status in sorted(known.items()) if d < yesterday and status not in _FINAL]
    if known.get(yesterday) in _FINAL:
        result: dict[str, Any] = {"bill_date": yesterday.isoformat(), "status": known[yesterday], "skipped": True}
    else:
        result = reconcile_date(yesterday)
    if earlier:
        result["earlier"] = earlier
    return result


def reconcile_date(day: date, *, actor_id: int | None = None) -> dict[str, Any]:
    """Download the day's bills and record the comparison; returns the counts (also for a failed or pending
    download). `actor_id`: the admin who asked for a re-run (audited), None for the timer."""
    from shared.adapters.clients import wechatpay
    from shared.adapters.wechatpay import BillNotReady, WeChatPayError

    started = clock.now()
    # The downloads happen outside any transaction: no row lock is held while WeChat answers.
    try:
        lines = wechatpay().trade_bill(day)
        fund_lines = wechatpay().fund_flow_bill(day)
    except BillNotReady as exc:
        log.info("bills of %s are not ready yet (%s): the next run asks again", day, exc.code)
        note = f"账单生成中（{exc.code}），稍后自动重试"
        status = run(lambda uow: _save_pending(uow, day, started, note, actor_id=actor_id))
        return {"bill_date": day.isoformat(), "status": status, "bill_lines": 0, "matched": 0, "diffs": 0}
    except WeChatPayError as exc:
        log.error("bills of %s could not be downloaded: %s", day, exc)
        error = str(exc)
        run(lambda uow: _save(uow, day, started, [], [], totals=None, error=error, actor_id=actor_id))
        return {"bill_date": day.isoformat(), "status": "failed", "bill_lines": 0, "matched": 0, "diffs": 0}
    return run(lambda uow: compare(uow, day, lines, started, fund_lines=fund_lines, actor_id=actor_id))


def compare(uow: UnitOfWork, day: date, lines: list[Any], started: datetime, *, fund_lines: list[Any] | None = None,
            actor_id: int | None = None) -> dict[str, Any]:
    start, end = day_window(day)
    payments = [ln for ln in lines if ln.trade_state != "REFUND"]
    refund_lines = [ln for ln in lines if ln.trade_state == "REFUND"]
    diffs: list[Diff] = []
    matched = 0

    orders = {r.out_trade_no: r for r in uow.execute(
        "SELECT id, out_trade_no, purpose, amount_fen, state, paid_at FROM payment_orders"
        " WHERE (state = 'paid' AND paid_at >= :s AND paid_at < :e) OR out_trade_no = ANY(:nos)",
        {"s": start, "e": end, "nos": [ln.out_trade_no for ln in lines]}).all()}
    posted = _posted_to_clearing(uow, list(orders))

    seen: set[str] = set()
    for ln in payments:
        order = orders.get(ln.out_trade_no)
        amount = ln.total_fen
        if order is None:
            diffs.append(Diff("missing_in_ledger", "payment", ln.out_trade_no, "账单中的交易在平台没有对应订单",
                              bill_amount_fen=amount, bill_state=ln.trade_state))
            continue
        if ln.out_trade_no in seen:
            diffs.append(Diff("state_mismatch", "payment", ln.out_trade_no, "账单中同一订单出现多次",
                              bill_amount_fen=amount, our_amount_fen=order.amount_fen, bill_state=ln.trade_state,
                              our_state=order.state))
            continue
        seen.add(ln.out_trade_no)
        problem = False
        if order.state != "paid":
            problem = True
            diffs.append(Diff("state_mismatch", "payment", ln.out_trade_no, "微信支付已收款，平台订单未标记为已支付",
                              bill_amount_fen=amount, our_amount_fen=order.amount_fen, bill_state=ln.trade_state,
                              our_state=order.state))
        if amount != order.amount_fen:
            problem = True
            diffs.append(Diff("amount_mismatch", "payment", ln.out_trade_no, "账单金额与订单金额不一致",
                              bill_amount_fen=amount, our_amount_fen=order.amount_fen, bill_state=ln.trade_state,
                              our_state=order.state))
        if order.state == "paid" and posted.get(order.out_trade_no) is None:
            problem = True
            diffs.append(Diff("missing_in_ledger", "payment", ln.out_trade_no, "订单已支付但账本中没有入账记录",
                              bill_amount_fen=amount, our_amount_fen=order.amount_fen, bill_state=ln.trade_state,
                              our_state=order.state))
        elif order.state == "paid" and posted[order.out_trade_no] != order.amount_fen:
            # Against the order, not the bill line: a wrong bill amount is one difference (above), not two.
            problem = True
            diffs.append(Diff("amount_mismatch", "payment", ln.out_trade_no, "账本入账金额与订单金额不一致",
                              bill_amount_fen=amount, our_amount_fen=posted[order.out_trade_no],
                              bill_state=ln.trade_state,
                              our_state=order.state))
        matched += 0 if problem else 1

    ours_paid = [o for o in orders.values() if o.state == "paid" and o.paid_at is not None and start <= o.paid_at < end]
    for order in ours_paid:
        if order.out_trade_no not in seen:
            diffs.append(Diff("missing_in_bill", "payment", order.out_trade_no,
                              "平台订单已支付，但当日账单中没有该交易", our_amount_fen=order.amount_fen,
                              our_state=order.state))

    refunds = {r.out_refund_no: r for r in uow.execute(
        "SELECT r.id, r.out_refund_no, r.amount_fen, r.state, r.created_at, o.out_trade_no FROM refunds r"
        " JOIN payment_orders o ON o.id = r.order_id"
        " WHERE (r.created_at >= :s AND r.created_at < :e AND r.state IN ('processing', 'succeeded'))"
        " OR r.out_refund_no = ANY(:nos)",
        {"s": start, "e": end, "nos": [ln.out_refund_no for ln in refund_lines if ln.out_refund_no]}).all()}
    refunded = _refunded_from_clearing(uow, list(refunds))
    seen_refunds: set[str] = set()
    for ln in refund_lines:
        no = ln.out_refund_no or ""
        ours = refunds.get(no)
        if ours is None:
            diffs.append(Diff("missing_in_ledger", "refund", ln.out_trade_no, "账单中的退款在平台没有对应记录",
                              out_refund_no=no or None, bill_amount_fen=ln.refund_fen, bill_state=ln.refund_status))
            continue
        seen_refunds.add(no)
        problem = False
        if ln.refund_fen != ours.amount_fen:
            problem = True
            diffs.append(Diff("amount_mismatch", "refund", ln.out_trade_no, "账单退款金额与平台退款金额不一致",
                              out_refund_no=no, bill_amount_fen=ln.refund_fen, our_amount_fen=ours.amount_fen,
                              bill_state=ln.refund_status, our_state=ours.state))
        bill_state = (ln.refund_status or "").upper()
        # WeChat finished it and we did not record that, we hold it succeeded and WeChat says it failed, or we never
        # recorded that WeChat accepted it at all ('requested').
        if ((bill_state == "SUCCESS" and ours.state != "succeeded")
                or (bill_state in _BILL_REFUND_FAILED and ours.state == "succeeded")
                or ours.state == "requested"):
            problem = True
            diffs.append(Diff("state_mismatch", "refund", ln.out_trade_no, "账单退款状态与平台退款状态不一致",
                              out_refund_no=no, bill_amount_fen=ln.refund_fen, our_amount_fen=ours.amount_fen,
                              bill_state=ln.refund_status, our_state=ours.state))
        elif ours.state == "succeeded" and refunded.get(no) != ln.refund_fen:
            # Succeeded on both sides, so `refund_done` must have taken the money out of wechatpay:clearing.
            problem = True
            diffs.append(Diff("missing_in_ledger" if no not in refunded else "amount_mismatch", "refund",
                              ln.out_trade_no, "退款已成功，但账本中的退款出账与账单不符", out_refund_no=no,
                              bill_amount_fen=ln.refund_fen, our_amount_fen=refunded.get(no),
                              bill_state=ln.refund_status, our_state=ours.state))
        matched += 0 if problem else 1
    for ours in refunds.values():
        if start <= ours.created_at < end and ours.state in _OURS_REFUND_OK and ours.out_refund_no not in seen_refunds:
            diffs.append(Diff("missing_in_bill", "refund", ours.out_trade_no, "平台已发起退款，但当日账单中没有该退款",
                              out_refund_no=ours.out_refund_no, our_amount_fen=ours.amount_fen, our_state=ours.state))

    totals = {
        "bill_paid_fen": sum(ln.total_fen for ln in payments),
        "bill_refund_fen": sum(ln.refund_fen for ln in refund_lines),
        "ours_paid_fen": sum(o.amount_fen for o in ours_paid),
        "ours_refund_fen": sum(r.amount_fen for r in refunds.values()
                               if start <= r.created_at < end and r.state in _OURS_REFUND_OK),
    }
    if fund_lines is not None:
        matched += _compare_transfers(uow, start, end, fund_lines, diffs, totals)
    _save(uow, day, started, lines, diffs, totals=totals, matched=matched, actor_id=actor_id)
    counts: dict[str, Any] = {"bill_date": day.isoformat(), "status": "differences" if diffs else "matched",
                              "bill_lines": len(lines), "matched": matched, "diffs": len(diffs)}
    for d in diffs:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    return counts


def _compare_transfers(uow: UnitOfWork, start: datetime, end: datetime, fund_lines: list[Any], diffs: list[Diff],
                       totals: dict[str, int]) -> int:
    """The fund-flow bill's merchant transfers against our payout_transfers; returns the lines that matched and adds
    the fund-flow totals to `totals`."""
    transfer_lines = [ln for ln in fund_lines if ln.is_transfer]
    ours = {r.out_bill_no: r for r in uow.execute(
        "SELECT out_bill_no, amount_fen, state, finished_at FROM payout_transfers"
        " WHERE (state = 'success' AND finished_at >= :s AND finished_at < :e) OR out_bill_no = ANY(:nos)",
        {"s": start, "e": end, "nos": [ln.voucher_no for ln in transfer_lines]}).all()}
    paid_out = _paid_out_of_clearing(uow, list(ours))
    matched = 0
    seen: set[str] = set()
    for ln in transfer_lines:
        no = ln.voucher_no
        mine = ours.get(no)
        if mine is None:
            diffs.append(Diff("missing_in_ledger", "transfer", None, "资金账单中的转账在平台没有对应记录",
                              out_bill_no=no, bill_amount_fen=ln.amount_fen, bill_state="SUCCESS"))
            continue
        seen.add(no)
        problem = False
        if ln.amount_fen != mine.amount_fen:
            problem = True
            diffs.append(Diff("amount_mismatch", "transfer", None, "资金账单转账金额与平台转账金额不一致",
                              out_bill_no=no, bill_amount_fen=ln.amount_fen, our_amount_fen=mine.amount_fen,
                              bill_state="SUCCESS", our_state=mine.state))
        if mine.state != "success":
            problem = True
            diffs.append(Diff("state_mismatch", "transfer", None, "微信支付已转出，平台转账未标记为成功",
                              out_bill_no=no, bill_amount_fen=ln.amount_fen, our_amount_fen=mine.amount_fen,
                              bill_state="SUCCESS", our_state=mine.state))
        elif paid_out.get(no) != mine.amount_fen:
            problem = True
            diffs.append(Diff("missing_in_ledger" if no not in paid_out else "amount_mismatch", "transfer", None,
                              "转账已成功，但账本中的转出记录与之不符", out_bill_no=no, bill_amount_fen=ln.amount_fen,
                              our_amount_fen=paid_out.get(no), bill_state="SUCCESS", our_state=mine.state))
        matched += 0 if problem else 1
    for mine in ours.values():
        if (mine.state == "success" and mine.finished_at is not None and start <= mine.finished_at < end
                and mine.out_bill_no not in seen):
            diffs.append(Diff("missing_in_bill", "transfer", None, "平台转账已成功，但当日资金账单中没有该转账",
                              out_bill_no=mine.out_bill_no, our_amount_fen=mine.amount_fen, our_state=mine.state))
    totals.update({
        "fund_lines": len(fund_lines),
        "fund_income_fen": sum(ln.amount_fen for ln in fund_lines if ln.income),
        "fund_expense_fen": sum(ln.amount_fen for ln in fund_lines if not ln.income),
        "bill_transfer_fen": sum(ln.amount_fen for ln in transfer_lines),
        "ours_transfer_fen": sum(m.amount_fen for m in ours.values() if m.state == "success"
                                 and m.finished_at is not None and start <= m.finished_at < end),
    })
    return matched


def _paid_out_of_clearing(uow: UnitOfWork, out_bill_nos: list[str]) -> dict[str, int]:
    """out_bill_no -> what the ledger paid out of wechatpay:clearing for it (`payout_done`, ref transfer:<no>)."""
    return _out_of_clearing(uow, "transfer", out_bill_nos)


def _posted_to_clearing(uow: UnitOfWork, out_trade_nos: list[str]) -> dict[str, int]:
    """out_trade_no -> what the ledger received at WeChat Pay for it (debits to wechatpay:clearing, by
    `order:<out_trade_no>`)."""
    if not out_trade_nos:
        return {}
    rows = uow.execute(
        "SELECT t.ref, sum(p.amount) AS amount FROM ledger_transactions t"
        " JOIN ledger_postings p ON p.transaction_id = t.id"
        " JOIN ledger_accounts a ON a.id = p.account_id AND a.code = :clearing"
        " WHERE t.ref = ANY(:refs) AND p.amount > 0 GROUP BY t.ref",
        {"clearing": CLEARING, "refs": [f"order:{no}" for no in out_trade_nos]}).all()
    return {r.ref.split(":", 1)[1]: int(r.amount) for r in rows}


def _refunded_from_clearing(uow: UnitOfWork, out_refund_nos: list[str]) -> dict[str, int]:
    """out_refund_no -> what the ledger paid out of wechatpay:clearing for it (`refund_done`, ref `refund:<no>`)."""
    return _out_of_clearing(uow, "refund", out_refund_nos)


def _out_of_clearing(uow: UnitOfWork, ref_kind: str, numbers: list[str]) -> dict[str, int]:
    """number -> the credits to wechatpay:clearing of the ledger transactions with ref `<ref_kind>:<number>`."""
    if not numbers:
        return {}
    rows = uow.execute(
        "SELECT t.ref, -sum(p.amount) AS amount FROM ledger_transactions t"
        " JOIN ledger_postings p ON p.transaction_id = t.id"
        " JOIN ledger_accounts a ON a.id = p.account_id AND a.code = :clearing"
        " WHERE t.ref = ANY(:refs) AND p.amount < 0 GROUP BY t.ref",
        {"clearing": CLEARING, "refs": [f"{ref_kind}:{no}" for no in numbers]}).all()
    return {r.ref.split(":", 1)[1]: int(r.amount) for r in rows}


_TOTALS = ("bill_paid_fen", "bill_refund_fen", "ours_paid_fen", "ours_refund_fen", "fund_lines", "fund_income_fen",
           "fund_expense_fen", "bill_transfer_fen", "ours_transfer_fen")


def _save(uow: UnitOfWork, day: date, started: datetime, lines: list[Any], diffs: list[Diff], *,
          totals: dict[str, int] | None, error: str | None = None, matched: int = 0,
          actor_id: int | None = None) -> None:
    status = "failed" if error else "differences" if diffs else "matched"
    t = totals or {}
    # Upsert and lock the date's run: a concurrent re-run of the same date waits here, then replaces this result.
    run_id = uow.execute(
        "INSERT INTO reconciliation_runs (bill_date, status, bill_lines, matched_lines, diff_count, error, runs,"
        f" started_at, finished_at, {', '.join(_TOTALS)})"
        f" VALUES (:d, :st, :bl, :m, :dc, :err, 1, :started, :now, {', '.join(':' + k for k in _TOTALS)})"
        " ON CONFLICT (bill_date) DO UPDATE SET status = EXCLUDED.status, bill_lines = EXCLUDED.bill_lines,"
        " matched_lines = EXCLUDED.matched_lines, diff_count = EXCLUDED.diff_count,"
        f" {', '.join(f'{k} = EXCLUDED.{k}' for k in _TOTALS)},"
        " error = EXCLUDED.error, runs = reconciliation_runs.runs + 1, started_at = EXCLUDED.started_at,"
        " finished_at = EXCLUDED.finished_at RETURNING id",
        {"d": day, "st": status, "bl": len(lines), "m": matched, "dc": len(diffs), "err": error, "started": started,
         "now": uow.now, **{k: t.get(k, 0) for k in _TOTALS}},
    ).scalar_one()
    uow.execute("DELETE FROM reconciliation_diffs WHERE run_id = :r", {"r": run_id})
    for d in diffs:
        uow.execute(
            "INSERT INTO reconciliation_diffs (run_id, bill_date, kind, line_type, out_trade_no, out_refund_no,"
            " out_bill_no, bill_amount_fen, our_amount_fen, bill_state, our_state, detail, created_at)"
            " VALUES (:r, :d, :k, :lt, :no, :rno, :bno, :ba, :oa, :bs, :os, :detail, :now)",
            {"r": run_id, "d": day, "k": d.kind, "lt": d.line_type, "no": d.out_trade_no, "rno": d.out_refund_no,
             "bno": d.out_bill_no, "ba": d.bill_amount_fen, "oa": d.our_amount_fen, "bs": d.bill_state,
             "os": d.our_state, "detail": d.detail, "now": uow.now})
    uow.publish(ReconciliationRecorded(run_id=run_id, bill_date=day.isoformat(), status=status, diffs=len(diffs),
                                       error=error, actor_id=actor_id))


def _save_pending(uow: UnitOfWork, day: date, started: datetime, note: str, *, actor_id: int | None) -> str:
    """Record that the day's bills are not ready. A day that already has a result keeps it; returns the status."""
    row = uow.execute(
        "INSERT INTO reconciliation_runs (bill_date, status, error, runs, started_at, finished_at)"
        " VALUES (:d, 'pending', :note, 1, :started, :now)"
        " ON CONFLICT (bill_date) DO UPDATE SET runs = reconciliation_runs.runs + 1,"
        " status = CASE WHEN reconciliation_runs.status IN ('matched', 'differences')"
        "   THEN reconciliation_runs.status ELSE 'pending' END,"
        " error = CASE WHEN reconciliation_runs.status IN ('matched', 'differences')"
        "   THEN reconciliation_runs.error ELSE EXCLUDED.error END,"
        " finished_at = EXCLUDED.finished_at RETURNING id, status",
        {"d": day, "note": note, "started": started, "now": uow.now}).one()
    uow.publish(ReconciliationRecorded(run_id=row.id, bill_date=day.isoformat(), status="pending", diffs=0,
                                       error=note, actor_id=actor_id))
    return str(row.status)


# --------------------------------------------------------------------------------------------------- admin views

_RUN_COLUMNS = ("id, bill_date, status, bill_lines, matched_lines, diff_count, bill_paid_fen, bill_refund_fen,"
                " ours_paid_fen, ours_refund_fen, fund_lines, fund_income_fen, fund_expense_fen, bill_transfer_fen,"
                " ours_transfer_fen, error, runs, started_at, finished_at")


def list_runs(uow: UnitOfWork, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    from shared.pagination import DATE, decode_cursor, encode_cursor

    sql = f"SELECT {_RUN_COLUMNS} FROM reconciliation_runs"
    params: dict[str, Any] = {"n": limit + 1}
    if cursor:
        (params["c"],) = decode_cursor(cursor, DATE)
        sql += " WHERE bill_date < :c"
    rows = [dict(r) for r in uow.execute(sql + " ORDER BY bill_date DESC LIMIT :n", params).mappings()]
    items = rows[:limit]
    return items, encode_cursor(items[-1]["bill_date"].isoformat()) if len(rows) > limit else None


def run_detail(uow: UnitOfWork, day: date) -> dict[str, Any]:
    from shared.errors import NotFound

    run_row = uow.execute(f"SELECT {_RUN_COLUMNS} FROM reconciliation_runs WHERE bill_date = :d",
                          {"d": day}).mappings().first()
    if run_row is None:
        raise NotFound("RECONCILIATION_NOT_FOUND", "该日期尚未对账")
    diffs = uow.execute(
        "SELECT id, kind, line_type, out_trade_no, out_refund_no, out_bill_no, bill_amount_fen, our_amount_fen,"
        " bill_state, our_state, detail FROM reconciliation_diffs WHERE run_id = :r ORDER BY id",
        {"r": run_row["id"]}).mappings()
    return {"run": dict(run_row), "diffs": [dict(d) for d in diffs]}
