"""Helpers for the money tests of shared/billing: pay through the fake WeChat Pay and wait for the webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from shared.db import get_engine
from tests.support.db import ledger_ok, rows, scalar, timer, wait_until  # noqa: F401 - re-exported to the suites


def order_state(out_trade_no: str) -> str | None:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT state FROM payment_orders WHERE out_trade_no = :no"),
                            {"no": out_trade_no}).scalar_one_or_none()




def pay(platform: Any, out_trade_no: str, success_time: datetime | None = None) -> dict:
    """The payer pays in the mini-program; the fake notifies /payments/notify asynchronously: wait until the order
    is paid here (the grant and the ledger posting commit in the same transaction)."""
    resource = platform.fakes["wechatpay"].pay(out_trade_no, success_time)
    wait_until(lambda: order_state(out_trade_no) == "paid", what=f"order {out_trade_no} paid")
    return resource

