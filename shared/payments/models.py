"""Typed rows of `payment_orders` (infra/migrations/0003_payments.sql) and the statements on them.

Every read of an order builds an `Order`: the columns selected are the dataclass's fields, so code reads orders only
under the names and types declared here. Other modules never compose SQL about orders; they call these functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from shared.payments import rules
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Order:
    id: int
    out_trade_no: str
    purpose: str  # task_escrow, milestone_escrow, promotion, subscription
    payer_id: int
    payer_openid: str
    task_id: int | None
    milestone_id: int | None
    description: str
    amount_fen: int  # what the payer pays
    reward_fen: int  # the part that goes to escrow
    promotion_fee_fen: int  # the part that is our revenue
    promotion_days: int | None
    breakdown: dict[str, Any]
    state: str  # shared/payments/rules.py: ORDER_TRANSITIONS
    prepay_id: str | None
    transaction_id: str | None
    paid_at: datetime | None
    settled_via: str | None
    expires_at: datetime
    wechat_time_expire: datetime
    closed_at: datetime | None
    close_reason: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(f.name for f in fields(Order))


def _order(row: Any) -> Order:
    m = row._mapping
    return Order(**{f.name: m[f.name] for f in fields(Order)})


def _one(uow: UnitOfWork, where: str, params: dict[str, Any], lock: bool) -> Order | None:
    row = uow.execute(f"SELECT {_COLUMNS} FROM payment_orders WHERE {where}" + (" FOR UPDATE" if lock else ""),
                      params).first()
    return None if row is None else _order(row)


def order_by_id(uow: UnitOfWork, order_id: int, *, lock: bool = False) -> Order | None:
    return _one(uow, "id = :id", {"id": order_id}, lock)


def order_by_number(uow: UnitOfWork, out_trade_no: str, *, lock: bool = False) -> Order | None:
    return _one(uow, "out_trade_no = :no", {"no": out_trade_no}, lock)


def open_escrow_order(uow: UnitOfWork, purpose: str, task_id: int, milestone_id: int | None, *,
                      lock: bool = False) -> Order | None:
    """The unpaid order for one escrow (at most one: a unique index)."""
    return _one(uow, "purpose = :p AND task_id = :t AND coalesce(milestone_id, 0) = :m AND state = ANY(:open)",
                {"p": purpose, "t": task_id, "m": milestone_id or 0, "open": sorted(rules.OPEN)}, lock)


def escrow_orders_of_task(uow: UnitOfWork, task_id: int, limit: int = 50) -> list[Order]:
    rows = uow.execute(f"SELECT {_COLUMNS} FROM payment_orders WHERE task_id = :t AND purpose = ANY(:purposes)"
                       " ORDER BY id DESC LIMIT :n",
                       {"t": task_id, "purposes": list(rules.ESCROW_PURPOSES), "n": limit}).all()
    return [_order(r) for r in rows]


def insert_order(uow: UnitOfWork, *, out_trade_no: str, purpose: str, payer_id: int, payer_openid: str,
                 task_id: int | None, milestone_id: int | None, description: str, amount_fen: int, reward_fen: int,
                 promotion_fee_fen: int, promotion_days: int | None, breakdown: dict[str, Any],
                 expires_at: datetime, wechat_time_expire: datetime) -> Order:
    row = uow.execute(
        "INSERT INTO payment_orders (out_trade_no, purpose, payer_id, payer_openid, task_id, milestone_id,"
        " description, amount_fen, reward_fen, promotion_fee_fen, promotion_days, breakdown, state, expires_at,"
        " wechat_time_expire, created_at, updated_at) VALUES (:no, :purpose, :payer, :openid, :task, :ms, :desc,"
        " :amount, :reward, :fee, :days, CAST(:breakdown AS jsonb), :state, :expires, :wx_expires, :now, :now)"
        f" RETURNING {_COLUMNS}",
        {"no": out_trade_no, "purpose": purpose, "payer": payer_id, "openid": payer_openid, "task": task_id,
         "ms": milestone_id, "desc": description, "amount": amount_fen, "reward": reward_fen,
         "fee": promotion_fee_fen, "days": promotion_days, "breakdown": json.dumps(breakdown, ensure_ascii=False),
         "state": rules.INITIAL, "expires": expires_at, "wx_expires": wechat_time_expire, "now": uow.now},
    ).one()
    return _order(row)


def store_prepay_id(uow: UnitOfWork, order_id: int, prepay_id: str) -> None:
    uow.execute("UPDATE payment_orders SET prepay_id = :p, updated_at = :now WHERE id = :id AND prepay_id IS NULL",
                {"p": prepay_id, "now": uow.now, "id": order_id})


def mark_closed(uow: UnitOfWork, out_trade_no: str, reason: str) -> bool:
    """Close an unpaid order here (it was closed at WeChat, or never reached it). False if it was not open."""
    return bool(uow.execute(
        "UPDATE payment_orders SET state = :closed, closed_at = :now, close_reason = :r, updated_at = :now"
        " WHERE out_trade_no = :no AND state = ANY(:open)",
        {"closed": rules.CLOSED, "open": sorted(rules.OPEN), "now": uow.now, "r": reason, "no": out_trade_no}
    ).rowcount)


def mark_paid(uow: UnitOfWork, order_id: int, *, transaction_id: str, paid_at: datetime, via: str) -> Order:
    uow.execute(
        "UPDATE payment_orders SET state = :paid, transaction_id = :tx, paid_at = :at, settled_via = :via,"
        " updated_at = :now WHERE id = :id",
        {"paid": rules.PAID, "tx": transaction_id, "at": paid_at, "via": via, "now": uow.now, "id": order_id})
    order = order_by_id(uow, order_id)
    assert order is not None
    return order


@dataclass(frozen=True)
class UnpaidOrder:
    """An open order as the orders timer sees it: with what its task and milestone are doing now."""

    out_trade_no: str
    expires_at: datetime
    purpose: str
    milestone_id: int | None
    task_status: str | None
    task_funded_at: datetime | None
    milestone_state: str | None


def unpaid_orders(uow: UnitOfWork, created_before: datetime, limit: int) -> list[UnpaidOrder]:
    rows = uow.execute(
        "SELECT o.out_trade_no, o.expires_at, o.purpose, o.milestone_id, t.status AS task_status,"
        " t.funded_at AS task_funded_at, m.state AS milestone_state FROM payment_orders o"
        " LEFT JOIN tasks t ON t.id = o.task_id LEFT JOIN task_milestones m ON m.id = o.milestone_id"
        " WHERE o.state = ANY(:open) AND o.created_at <= :cutoff ORDER BY o.created_at LIMIT :n",
        {"open": sorted(rules.OPEN), "cutoff": created_before, "n": limit}).all()
    return [UnpaidOrder(**{f.name: r._mapping[f.name] for f in fields(UnpaidOrder)}) for r in rows]


@dataclass(frozen=True)
class Refund:
    """A refund row with the order it returns money from."""

    id: int
    out_refund_no: str
    request_key: str  # the decision it executes (idempotency)
    order_id: int
    task_id: int | None
    milestone_id: int | None
    escrow_account: str  # where the money came from (an escrow, or revenue for a promotion fee)
    amount_fen: int
    reason: str
    state: str  # shared/payments/rules.py: REFUND_TRANSITIONS
    refund_id: str | None  # WeChat's number
    failure: str | None
    created_at: datetime
    succeeded_at: datetime | None
    updated_at: datetime
    out_trade_no: str
    order_amount_fen: int
    payer_id: int


def refund_from_row(row: Any) -> Refund:
    m = row._mapping
    return Refund(**{f.name: m[f.name] for f in fields(Refund)})


@dataclass(frozen=True)
class Milestone:
    id: int
    task_id: int
    position: int
    title: str
    reward_fen: int
    state: str  # shared/payments/rules.py: MILESTONE_TRANSITIONS
    funded_at: datetime | None


def milestone_from_row(row: Any) -> Milestone:
    m = row._mapping
    return Milestone(**{f.name: m[f.name] for f in fields(Milestone)})
