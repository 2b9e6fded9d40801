"""Posting to the ledger. One call = one balanced transaction, idempotent on (kind, ref).

    post(uow, "release_escrow", f"task:{id}", [
        (task_escrow(id), +50_000),        # debit: the escrow gives the money up
        (payable(dev), -42_500),           # credit: we now owe the developer
        (REVENUE, -7_500),                 # credit: our commission
    ])

Amounts are integer fen, debit positive and credit negative. A second post with the same (kind, ref) does nothing
and returns None — so a retried webhook, job or timer can never move money twice. Postings are written in account-id
order so concurrent transactions lock accounts in the same order (no deadlocks); the database refuses an unbalanced
transaction at COMMIT and any overdraft at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shared.ledger.accounts import BUDGET, describe, payable
from shared.uow import UnitOfWork


class LedgerError(Exception):
    pass


@dataclass(frozen=True)
class Posted:
    transaction_id: int
    kind: str
    ref: str


def account_id(uow: UnitOfWork, code: str) -> int:
    kind, side, owner = describe(code)
    row = uow.execute("SELECT id FROM ledger_accounts WHERE code = :c", {"c": code}).first()
    if row is not None:
        return int(row.id)
    return int(uow.execute(
        "INSERT INTO ledger_accounts (code, kind, normal_side, owner_user_id, created_at)"
        " VALUES (:c, :k, :s, :o, :now) ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id",
        {"c": code, "k": kind, "s": side, "o": owner, "now": uow.now},
    ).scalar_one())


def post(uow: UnitOfWork, kind: str, ref: str, entries: list[tuple[str, int]], memo: str = "") -> Posted | None:
    merged: dict[str, int] = defaultdict(int)
    for code, amount in entries:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError(f"amount for {code} must be integer fen, got {amount!r}")
        merged[code] += amount
    merged = {code: amount for code, amount in merged.items() if amount != 0}
    if sum(merged.values()) != 0:
        raise LedgerError(f"{kind}/{ref} does not balance: {dict(merged)}")
    if len(merged) < 2:
        raise LedgerError(f"{kind}/{ref} needs at least two accounts")
    row = uow.execute(
        "INSERT INTO ledger_transactions (kind, ref, memo, created_at) VALUES (:k, :r, :m, :now)"
        " ON CONFLICT (kind, ref) DO NOTHING RETURNING id",
        {"k": kind, "r": ref, "m": memo, "now": uow.now},
    ).first()
    if row is None:
        return None  # already posted: idempotent
    ids = sorted((account_id(uow, code), amount) for code, amount in merged.items())
    for acc, amount in ids:
        uow.execute(
            "INSERT INTO ledger_postings (transaction_id, account_id, amount, created_at) VALUES (:t, :a, :x, :now)",
            {"t": row.id, "a": acc, "x": amount, "now": uow.now},
        )
    return Posted(int(row.id), kind, ref)


def balance(uow: UnitOfWork, code: str) -> int:
    row = uow.execute("SELECT balance FROM ledger_accounts WHERE code = :c", {"c": code}).first()
    return int(row.balance) if row else 0


def budget_covers(uow: UnitOfWork, amount_fen: int) -> bool:
    """Lock the platform budget's row and tell whether it covers `amount_fen`: concurrent payers see one balance, and
    an empty budget is the caller's decision (stay owed, or refuse) rather than a failed CHECK at commit."""
    held = uow.execute("SELECT balance FROM ledger_accounts WHERE code = :c FOR UPDATE", {"c": BUDGET}).scalar()
    return int(held or 0) >= amount_fen


def pay_from_budget(uow: UnitOfWork, kind: str, ref: str, user_id: int, amount_fen: int, memo: str) -> Posted | None:
    """platform:budget → payable:user:<id> (withdrawable through the payout path), once per (kind, ref): the bonuses
    and prizes the platform pays (challenge cash, mentor bonus, lottery prize). Call `budget_covers` first."""
    return post(uow, kind, ref, [(BUDGET, amount_fen), (payable(user_id), -amount_fen)], memo=memo)


def already_posted(uow: UnitOfWork, kind: str, ref: str) -> bool:
    return uow.execute("SELECT 1 FROM ledger_transactions WHERE kind = :k AND ref = :r",
                       {"k": kind, "r": ref}).first() is not None


def posted_amount(uow: UnitOfWork, kind: str, ref: str, code: str) -> int:
    """What transaction (kind, ref) posted to account `code` (debit +, credit −); 0 when it posted nothing there."""
    return int(uow.execute(
        "SELECT coalesce(sum(p.amount), 0) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id"
        " JOIN ledger_accounts a ON a.id = p.account_id WHERE t.kind = :k AND t.ref = :r AND a.code = :c",
        {"k": kind, "r": ref, "c": code}).scalar_one())
