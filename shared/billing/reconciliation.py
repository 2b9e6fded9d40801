"""Daily reconciliation: WeChat Pay's trade bill for a Beijing day, matched line by line against our orders, refunds
and the ledger transactions that account for them.

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
from shared.ledger.accounts import CLEARING
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.billing.reconciliation")

# Our refund states that mean "WeChat accepted it" vs WeChat's refund_status in the bill.
_OURS_REFUND_OK = {"processing", "succeeded"}
_BILL_REFUND_FAILED = {"CLOSED", "ABNORMAL"}


@dataclass
class Diff:
    kind: str
    line_type: str
    out_trade_no: str
    detail: str
    out_refund_no: str | None = None
    bill_amount_fen: int | None = None
    our_amount_fen: int | None = None
    bill_state: str | None = None
    our_state: str | None = None


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def reconcile_yesterday() -> dict[str, Any]:
    """The `payments_reconcile` timer: yesterday in Beijing time (the bill of day D is ready from 10:00 on D+1)."""
    return reconcile_date(clock.shanghai_date(clock.now()) - timedelta(days=1))


def reconcile_date(day: date, *, actor_id: int | None = None) -> dict[str, Any]:
    """Download the day's bill and record the comparison; returns the counts (also for a failed download).
    `actor_id`: the admin who asked for a re-run (audited), None for the timer."""
    from shared.adapters.clients import wechatpay
    from shared.adapters.wechatpay import WeChatPayError

    started = clock.now()
    # The download happens outside any transaction: no row lock is held while WeChat answers.
    try:
        lines = wechatpay().trade_bill(day)
    except WeChatPayError as exc:
        log.error("trade bill %s could not be downloaded: %s", day, exc)
        error = str(exc)
        run(lambda uow: _save(uow, day, started, [], [], totals=None, error=error, actor_id=actor_id))
        return {"bill_date": day.isoformat(), "status": "failed", "bill_lines": 0, "matched": 0, "diffs": 0}
    return run(lambda uow: compare(uow, day, lines, started, actor_id=actor_id))


def compare(uow: UnitOfWork, day: date, lines: list[Any], started: datetime, *, actor_id: int | None = None
            ) -> dict[str, Any]:
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
    _save(uow, day, started, lines, diffs, totals=totals, matched=matched, actor_id=actor_id)
    counts: dict[str, Any] = {"bill_date": day.isoformat(), "status": "differences" if diffs else "matched",
                              "bill_lines": len(lines), "matched": matched, "diffs": len(diffs)}
    for d in diffs:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    return counts


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
    if not out_refund_nos:
        return {}
    rows = uow.execute(
        "SELECT t.ref, -sum(p.amount) AS amount FROM ledger_transactions t"
        " JOIN ledger_postings p ON p.transaction_id = t.id"
        " JOIN ledger_accounts a ON a.id = p.account_id AND a.code = :clearing"
        " WHERE t.ref = ANY(:refs) AND p.amount < 0 GROUP BY t.ref",
        {"clearing": CLEARING, "refs": [f"refund:{no}" for no in out_refund_nos]}).all()
    return {r.ref.split(":", 1)[1]: int(r.amount) for r in rows}


def _save(uow: UnitOfWork, day: date, started: datetime, lines: list[Any], diffs: list[Diff], *,
          totals: dict[str, int] | None, error: str | None = None, matched: int = 0,
          actor_id: int | None = None) -> None:
    status = "failed" if error else "differences" if diffs else "matched"
    t = totals or {}
    # Upsert and lock the date's run: a concurrent re-run of the same date waits here, then replaces this result.
    run_id = uow.execute(
        "INSERT INTO reconciliation_runs (bill_date, status, bill_lines, matched_lines, diff_count, bill_paid_fen,"
        " bill_refund_fen, ours_paid_fen, ours_refund_fen, error, runs, started_at, finished_at)"
        " VALUES (:d, :st, :bl, :m, :dc, :bp, :br, :op, :orf, :err, 1, :started, :now)"
        " ON CONFLICT (bill_date) DO UPDATE SET status = EXCLUDED.status, bill_lines = EXCLUDED.bill_lines,"
        " matched_lines = EXCLUDED.matched_lines, diff_count = EXCLUDED.diff_count,"
        " bill_paid_fen = EXCLUDED.bill_paid_fen, bill_refund_fen = EXCLUDED.bill_refund_fen,"
        " ours_paid_fen = EXCLUDED.ours_paid_fen, ours_refund_fen = EXCLUDED.ours_refund_fen,"
        " error = EXCLUDED.error, runs = reconciliation_runs.runs + 1, started_at = EXCLUDED.started_at,"
        " finished_at = EXCLUDED.finished_at RETURNING id",
        {"d": day, "st": status, "bl": len(lines), "m": matched, "dc": len(diffs), "bp": t.get("bill_paid_fen", 0),
         "br": t.get("bill_refund_fen", 0), "op": t.get("ours_paid_fen", 0), "orf": t.get("ours_refund_fen", 0),
         "err": error, "started": started, "now": uow.now},
    ).scalar_one()
    uow.execute("DELETE FROM reconciliation_diffs WHERE run_id = :r", {"r": run_id})
    for d in diffs:
        uow.execute(
            "INSERT INTO reconciliation_diffs (run_id, bill_date, kind, line_type, out_trade_no, out_refund_no,"
            " bill_amount_fen, our_amount_fen, bill_state, our_state, detail, created_at)"
            " VALUES (:r, :d, :k, :lt, :no, :rno, :ba, :oa, :bs, :os, :detail, :now)",
            {"r": run_id, "d": day, "k": d.kind, "lt": d.line_type, "no": d.out_trade_no, "rno": d.out_refund_no,
             "ba": d.bill_amount_fen, "oa": d.our_amount_fen, "bs": d.bill_state, "os": d.our_state,
             "detail": d.detail, "now": uow.now})
    uow.record("reconciliation", run_id, status, actor_id=actor_id,
               data={"bill_date": day.isoformat(), "diffs": len(diffs), "error": error})


# --------------------------------------------------------------------------------------------------- admin views

_RUN_COLUMNS = ("id, bill_date, status, bill_lines, matched_lines, diff_count, bill_paid_fen, bill_refund_fen,"
                " ours_paid_fen, ours_refund_fen, error, runs, started_at, finished_at")


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
        "SELECT id, kind, line_type, out_trade_no, out_refund_no, bill_amount_fen, our_amount_fen, bill_state,"
        " our_state, detail FROM reconciliation_diffs WHERE run_id = :r ORDER BY id", {"r": run_row["id"]}).mappings()
    return {"run": dict(run_row), "diffs": [dict(d) for d in diffs]}
