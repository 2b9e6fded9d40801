"""Verify every ledger invariant from the rows themselves (`make ledger-check`, GET /admin/ledger/check, and the
tests after every money scenario). Independent of the triggers: it recomputes, it does not trust."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text


@dataclass
class LedgerReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    transactions: int = 0
    postings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "totals": self.totals,
                "transactions": self.transactions, "postings": self.postings}


def check_ledger(conn: Any, *, attempts: bool = True) -> LedgerReport:
    """Every invariant of the ledger; with `attempts` (always, except for a model of the ledger alone that posts
    without refund / transfer rows) also the in-flight accounts against the open refund and transfer attempts."""
    problems: list[str] = []
    unbalanced = conn.execute(text(
        "SELECT t.id, t.kind, t.ref, coalesce(sum(p.amount), 0) AS total, count(p.id) AS n"
        " FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id"
        " GROUP BY t.id HAVING coalesce(sum(p.amount), 0) <> 0 OR count(p.id) < 2")).all()
    problems += [f"transaction {r.id} ({r.kind}/{r.ref}) sums to {r.total} over {r.n} postings" for r in unbalanced]
    drift = conn.execute(text(
        "SELECT a.code, a.balance, coalesce(sum(CASE a.normal_side WHEN 'debit' THEN p.amount ELSE -p.amount END), 0)"
        " AS derived FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id"
        " GROUP BY a.id HAVING a.balance <> coalesce(sum(CASE a.normal_side WHEN 'debit' THEN p.amount"
        " ELSE -p.amount END), 0)")).all()
    problems += [f"account {r.code}: stored balance {r.balance} but postings sum to {r.derived}" for r in drift]
    negative = conn.execute(text("SELECT code, balance FROM ledger_accounts WHERE balance < 0")).all()
    problems += [f"account {r.code} is negative: {r.balance}" for r in negative]
    grand = conn.execute(text("SELECT coalesce(sum(amount), 0) FROM ledger_postings")).scalar_one()
    if grand != 0:
        problems.append(f"all postings sum to {grand}, not 0")
    # Escrow of a finished task must be empty: released (completed), refunded (cancelled/expired/failed).
    stuck = conn.execute(text(
        "SELECT a.code, a.balance, t.status FROM ledger_accounts a"
        " JOIN tasks t ON a.code = 'escrow:task:' || t.id"
        " WHERE a.balance <> 0 AND t.status IN ('completed', 'cancelled', 'expired', 'rejected', 'failed')")).all()
    problems += [f"{r.code} still holds {r.balance} fen but the task is {r.status}" for r in stuck]
    # Money in flight is exactly what the open attempts say: refunds asked for, accepted or failed (a failed one keeps
    # its money until an operator retries it — the retry, request_key `retry:<its number>`, then carries it — or it is
    # settled), and merchant transfers not yet final.
    in_flight = None if not attempts else conn.execute(text(
        "SELECT (SELECT coalesce(sum(balance), 0) FROM ledger_accounts WHERE code = 'refunds:in_flight') AS refunds,"
        " (SELECT coalesce(sum(r.amount_fen), 0) FROM refunds r WHERE r.state IN ('requested', 'processing')"
        "   OR (r.state = 'failed' AND NOT EXISTS (SELECT 1 FROM refunds n WHERE n.request_key = 'retry:' ||"
        "   r.out_refund_no))) AS open_refunds,"
        " (SELECT coalesce(sum(balance), 0) FROM ledger_accounts WHERE code = 'payouts:in_flight') AS payouts,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM payout_transfers"
        "   WHERE state NOT IN ('success', 'fail', 'cancelled')) AS open_transfers")).one()
    if in_flight is not None and in_flight.refunds != in_flight.open_refunds:
        problems.append(f"refunds:in_flight holds {in_flight.refunds} fen but the open refunds total "
                        f"{in_flight.open_refunds}")
    if in_flight is not None and in_flight.payouts != in_flight.open_transfers:
        problems.append(f"payouts:in_flight holds {in_flight.payouts} fen but the open transfers total "
                        f"{in_flight.open_transfers}")
    totals = {r.kind: int(r.total) for r in conn.execute(text(
        "SELECT kind, sum(balance) AS total FROM ledger_accounts GROUP BY kind ORDER BY kind"))}
    counts = conn.execute(text("SELECT (SELECT count(*) FROM ledger_transactions) AS txns,"
                               " (SELECT count(*) FROM ledger_postings) AS posts")).one()
    return LedgerReport(ok=not problems, problems=problems, totals=totals, transactions=counts.txns,
                        postings=counts.posts)


def main() -> None:
    import sys

    from shared.db import get_engine

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    print(f"ledger: {report.transactions} transactions, {report.postings} postings")
    for kind, total in report.totals.items():
        print(f"  {kind:<22} {total / 100:>14,.2f} 元")
    if report.ok:
        print("ledger-check: OK — every transaction balances, balances match postings, nothing negative or stuck")
    else:
        for p in report.problems:
            print("PROBLEM:", p)
        sys.exit(1)


if __name__ == "__main__":
    main()
