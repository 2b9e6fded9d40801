"""Typed rows of the payouts tables (infra/migrations/0004_payouts.sql), and the reads that lock them.

Plain frozen dataclasses built from result rows: the columns a query selects are the dataclass's fields, so a row
can only be read under the names (and types) declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Payout:
    id: int
    developer_id: int
    ref: str  # task:<id> or withdraw:<uuid>, unique
    source: str  # task, dispute, withdraw
    task_id: int | None
    amount_fen: int  # what the developer receives
    gross_fen: int
    commission_fen: int
    state: str  # shared/payouts/rules.py: TRANSITIONS
    attempts: int  # transfers started so far; the current one has attempt == attempts
    bill_key: str
    fail_reason: str | None
    next_retry_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Transfer:
    id: int
    payout_id: int
    attempt: int
    out_bill_no: str
    amount_fen: int
    strategy: str
    state: str  # shared/payouts/rules.py: TRANSFER_TRANSITIONS
    transfer_bill_no: str | None
    package_info: str | None
    with_real_name: bool
    fail_reason: str | None
    settled_via: str | None
    confirm_by: datetime | None
    cancel_requested_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _columns(cls: type, alias: str = "") -> str:
    return ", ".join(f"{alias}{f.name}" for f in fields(cls))


def _build(cls: type[Any], row: Any) -> Any:
    mapping = row._mapping
    return cls(**{f.name: mapping[f.name] for f in fields(cls)})


def load_payout(uow: UnitOfWork, payout_id: int, *, lock: bool = False) -> Payout | None:
    row = uow.execute(f"SELECT {_columns(Payout)} FROM payouts WHERE id = :id" + (" FOR UPDATE" if lock else ""),
                      {"id": payout_id}).first()
    return None if row is None else _build(Payout, row)


def load_transfer(uow: UnitOfWork, out_bill_no: str, *, lock: bool = False) -> Transfer | None:
    row = uow.execute(f"SELECT {_columns(Transfer)} FROM payout_transfers WHERE out_bill_no = :n"
                      + (" FOR UPDATE" if lock else ""), {"n": out_bill_no}).first()
    return None if row is None else _build(Transfer, row)


def current_transfer(uow: UnitOfWork, payout: Payout, *, lock: bool = True) -> Transfer | None:
    """The payout's latest attempt (attempt == payout.attempts)."""
    row = uow.execute(f"SELECT {_columns(Transfer)} FROM payout_transfers WHERE payout_id = :p AND attempt = :a"
                      + (" FOR UPDATE" if lock else ""), {"p": payout.id, "a": payout.attempts}).first()
    return None if row is None else _build(Transfer, row)


@dataclass(frozen=True)
class PayoutView(Payout):
    """A payout as its developer sees it: with its task's title and its current transfer."""

    task_title: str | None
    out_bill_no: str | None
    package_info: str | None
    confirm_by: datetime | None
    transfer_state: str | None


_VIEW_SELECT = (
    f"SELECT {_columns(Payout, 'p.')}, t.title AS task_title, pt.out_bill_no, pt.package_info, pt.confirm_by,"
    " pt.state AS transfer_state FROM payouts p LEFT JOIN tasks t ON t.id = p.task_id"
    " LEFT JOIN payout_transfers pt ON pt.payout_id = p.id AND pt.attempt = p.attempts")


def own_payout_view(uow: UnitOfWork, developer_id: int, payout_id: int) -> PayoutView | None:
    row = uow.execute(_VIEW_SELECT + " WHERE p.id = :id AND p.developer_id = :u",
                      {"id": payout_id, "u": developer_id}).first()
    return None if row is None else _build(PayoutView, row)


def payout_views(uow: UnitOfWork, developer_id: int, *, before_id: int | None, limit: int) -> list[PayoutView]:
    """A developer's payouts, newest first (keyset: ids below `before_id`)."""
    rows = uow.execute(_VIEW_SELECT + " WHERE p.developer_id = :u AND (CAST(:c AS bigint) IS NULL OR p.id < :c)"
                       " ORDER BY p.id DESC LIMIT :n", {"u": developer_id, "c": before_id, "n": limit}).all()
    return [_build(PayoutView, r) for r in rows]
