"""The chart of accounts. An account code says what it is: `escrow:task:42`, `payable:user:7`, `platform:revenue`.

Normal side: assets (money we hold at WeChat Pay) are debit-normal; everything we owe or earned is credit-normal.
No account may go negative (a CHECK in the database).

    wechatpay:clearing        debit   money in our WeChat Pay merchant balance
    escrow:task:<id>          credit  a task's reward held for it (owned by the merchant until released)
    escrow:milestone:<id>     credit  the same, per milestone
    payable:user:<id>         credit  what we owe a developer, not yet paid out
    payouts:in_flight         credit  transfers started, not yet confirmed by WeChat Pay
    refunds:in_flight         credit  refunds requested, not yet confirmed by WeChat Pay
    platform:revenue          credit  commission, promotion fees, subscriptions
    platform:budget           credit  the operators' budget that funds platform tasks
"""

from __future__ import annotations

CLEARING = "wechatpay:clearing"
REVENUE = "platform:revenue"
BUDGET = "platform:budget"
PAYOUTS_IN_FLIGHT = "payouts:in_flight"
REFUNDS_IN_FLIGHT = "refunds:in_flight"

# code prefix -> (kind, normal side, owner taken from the code's id)
_KINDS: dict[str, tuple[str, str, bool]] = {
    "escrow:task": ("task_escrow", "credit", False),
    "escrow:milestone": ("milestone_escrow", "credit", False),
    "payable:user": ("developer_payable", "credit", True),
    "platform:revenue": ("platform_revenue", "credit", False),
    "platform:budget": ("platform_budget", "credit", False),
    "wechatpay:clearing": ("wechatpay_clearing", "debit", False),
    "refunds:in_flight": ("refunds_in_flight", "credit", False),
    "payouts:in_flight": ("payouts_in_flight", "credit", False),
}


def task_escrow(task_id: int) -> str:
    return f"escrow:task:{task_id}"


def milestone_escrow(milestone_id: int) -> str:
    return f"escrow:milestone:{milestone_id}"


def payable(user_id: int) -> str:
    return f"payable:user:{user_id}"


def describe(code: str) -> tuple[str, str, int | None]:
    """(kind, normal side, owner user id) of an account code; ValueError for an unknown one."""
    for prefix, (kind, side, owned) in _KINDS.items():
        if code == prefix:
            return kind, side, None
        if code.startswith(prefix + ":"):
            suffix = code[len(prefix) + 1 :]
            if not suffix.isdigit():
                break
            return kind, side, int(suffix) if owned else None
    raise ValueError(f"unknown ledger account code {code!r}")


def yuan(fen: int) -> str:
    """Display only: 42500 → "425.00" (integer arithmetic, no float)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
