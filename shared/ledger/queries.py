"""Read-only ledger questions other areas may ask (the growth reports): what was credited to a developer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.ledger.accounts import REVENUE


@dataclass(frozen=True)
class Credit:
    kind: str  # release_escrow, challenge_bonus, mentor_bonus …
    ref: str  # task:<id>, challenge:<window id> …
    net_fen: int  # credited to the developer's payable account
    commission_fen: int  # credited to platform:revenue in the same transaction (release_escrow)
    at: datetime


def credits_to(uow: Any, user_id: int, start: datetime, end: datetime) -> list[Credit]:
    """Every credit to `payable:user:<id>` in [start, end), oldest first (payouts, which debit it, left out)."""
    rows = uow.execute(
        "SELECT t.kind, t.ref, t.created_at, -p.amount AS net,"
        " coalesce((SELECT -sum(r.amount) FROM ledger_postings r JOIN ledger_accounts ra ON ra.id = r.account_id"
        "           WHERE r.transaction_id = t.id AND ra.code = :revenue), 0) AS commission"
        " FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id"
        " JOIN ledger_transactions t ON t.id = p.transaction_id"
        " WHERE a.code = :account AND p.amount < 0 AND t.created_at >= :start AND t.created_at < :end"
        " ORDER BY t.created_at, t.id",
        {"account": f"payable:user:{user_id}", "revenue": REVENUE, "start": start, "end": end}).all()
    return [Credit(r.kind, r.ref, int(r.net), max(int(r.commission), 0), r.created_at) for r in rows]
