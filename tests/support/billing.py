"""Helpers for the money tests of shared/billing: pay through the fake WeChat Pay and wait for the webhook."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import text

from shared.db import get_engine


def order_state(out_trade_no: str) -> str | None:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT state FROM payment_orders WHERE out_trade_no = :no"),
                            {"no": out_trade_no}).scalar_one_or_none()


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def pay(platform: Any, out_trade_no: str, success_time: datetime | None = None) -> dict:
    """The payer pays in the mini-program; the fake notifies /payments/notify asynchronously: wait until the order
    is paid here (the grant and the ledger posting commit in the same transaction)."""
    resource = platform.fakes["wechatpay"].pay(out_trade_no, success_time)
    wait_until(lambda: order_state(out_trade_no) == "paid", what=f"order {out_trade_no} paid")
    return resource


def ledger_ok() -> None:
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    assert report.ok, report.problems


def scalar(sql: str, **params: Any) -> Any:
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(sql: str, **params: Any) -> list[Any]:
    with get_engine().connect() as conn:
        return list(conn.execute(text(sql), params).all())


def timer(name: str) -> Any:
    from functions.timers.index import main_handler

    answer = main_handler({"Type": "Timer", "TriggerName": name, "Time": "2026-01-01T00:00:00Z"}, None)
    assert answer["ok"], answer
    return answer["result"]
