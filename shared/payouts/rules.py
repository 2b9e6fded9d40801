"""The payout and transfer state machines, and every state list derived from them. Pure: no I/O, no clock.

A payout (table `payouts`) moves through these states; the action named in the table does it, and some actions post
a ledger transaction (`POSTS`). The state lists the queries need — what is in flight, what still counts on the
payable balance, what the sweep may resume — are computed from the table, never written out again by hand:

    pending ──start──▶ transferring ──await_payee──▶ wait_user_confirm ──cancel──▶ cancelling
      │ ▲  ▲                └────────────┬────────────────┴───────────────────────┘
      │ │  └─retry── failed ◀──fail──────┤ succeed ─▶ paid
      ▼ │ wechat_bound / real_name_given └ cancelled ─▶ cancelled
    needs_wechat / needs_real_name      (an operator's resend: failed / cancelled ──▶ pending)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

# action -> {from state: to state}
_IN_FLIGHT_SOURCES = ("transferring", "wait_user_confirm", "cancelling")
TRANSITIONS: dict[str, dict[str, str]] = {
    "need_wechat": {"pending": "needs_wechat"},
    "need_real_name": {"pending": "needs_real_name"},
    "wechat_bound": {"needs_wechat": "pending"},
    "real_name_given": {"needs_real_name": "pending"},
    "start": {"pending": "transferring"},
    "await_payee": {"transferring": "wait_user_confirm"},
    "cancel": {"transferring": "cancelling", "wait_user_confirm": "cancelling"},
    "succeed": {s: "paid" for s in _IN_FLIGHT_SOURCES},
    "fail": {s: "failed" for s in _IN_FLIGHT_SOURCES},
    "cancelled": {s: "cancelled" for s in _IN_FLIGHT_SOURCES},
    # Only while `next_retry_at` is set (the automatic retries left); otherwise a failed payout waits for a withdrawal.
    "retry": {"failed": "pending"},
    # An operator re-sends a payout whose transfer failed or was cancelled (the console's 资金异常 page): a new attempt
    # under a new number, from the money the failed attempt returned to payable.
    "resend": {"failed": "pending", "cancelled": "pending"},
}
# The ledger transaction an action posts (every other action moves no money).
POSTS = {"start": "payout_start", "succeed": "payout_done", "fail": "payout_reverted", "cancelled": "payout_reverted"}
CONDITIONAL = frozenset({"retry"})  # taken only when a column says so (next_retry_at)
OPERATOR = frozenset({"resend"})  # taken only when an operator asks (and the payable balance still holds the money)

INITIAL = "pending"  # a payout is recorded owed, its start queued
STATES = frozenset(s for moves in TRANSITIONS.values() for pair in moves.items() for s in pair)

# A transfer attempt (table `payout_transfers`).
TRANSFER_TRANSITIONS: dict[str, dict[str, str]] = {
    "await_payee": {"created": "wait_user_confirm"},
    "cancel": {"created": "cancelling", "wait_user_confirm": "cancelling"},
    "succeed": {s: "success" for s in ("created", "wait_user_confirm", "cancelling")},
    "fail": {s: "fail" for s in ("created", "wait_user_confirm", "cancelling")},
    "cancelled": {s: "cancelled" for s in ("created", "wait_user_confirm", "cancelling")},
}
TRANSFER_INITIAL = "created"  # payout_start posted, WeChat not (known to be) called yet
TRANSFER_STATES = frozenset(s for moves in TRANSFER_TRANSITIONS.values() for pair in moves.items() for s in pair)


def sources(table: Mapping[str, Mapping[str, str]], action: str) -> frozenset[str]:
    return frozenset(table[action])


def targets(table: Mapping[str, Mapping[str, str]], action: str) -> frozenset[str]:
    return frozenset(table[action].values())


def to(action: str) -> str:
    """The one state a payout action leads to (for actions with a single target)."""
    [target] = targets(TRANSITIONS, action)
    return target


def transfer_to(action: str) -> str:
    """The one state a transfer action leads to."""
    [target] = targets(TRANSFER_TRANSITIONS, action)
    return target


def final_states(table: Mapping[str, Mapping[str, str]]) -> frozenset[str]:
    """States no action leaves."""
    every = {s for moves in table.values() for pair in moves.items() for s in pair}
    return frozenset(every - {s for moves in table.values() for s in moves})


def _closure(start: Iterable[str], *, backwards: bool, allowed: Iterable[str]) -> frozenset[str]:
    """States reachable from `start` (or that reach it, backwards) through the `allowed` actions only."""
    edges = [(a, b) for action in allowed for a, b in TRANSITIONS[action].items()]
    found = set(start)
    grown = True
    while grown:
        grown = False
        for a, b in edges:
            src, dst = (b, a) if backwards else (a, b)
            if src in found and dst not in found:
                found.add(dst)
                grown = True
    return frozenset(found)


_MOVES_NO_MONEY = [a for a in TRANSITIONS if a not in POSTS and a not in CONDITIONAL and a not in OPERATOR]

# Money in `payouts:in_flight`: entered by `start`, left only by an action that posts.
IN_FLIGHT = _closure(targets(TRANSITIONS, "start"), backwards=False, allowed=_MOVES_NO_MONEY)
# Money still in payable that a payout counts on: states from which `start` comes without any posting …
QUEUED = _closure(sources(TRANSITIONS, "start"), backwards=True, allowed=_MOVES_NO_MONEY)
# … and those whose conditional retry brings them back there (while `next_retry_at` is set).
RETRYING = sources(TRANSITIONS, "retry")
# What `advance_payout` acts from: a payout to start, or one whose start a crash interrupted (same number again).
RESUMABLE = sources(TRANSITIONS, "start") | targets(TRANSITIONS, "start")
# In flight and already answered by WeChat: only a query (or a notification) moves it on.
AWAITING_ANSWER = IN_FLIGHT - RESUMABLE
# Waiting for the developer to do something before a transfer can start.
WAITING_FOR_DEVELOPER = QUEUED - sources(TRANSITIONS, "start")
PAID = next(iter(targets(TRANSITIONS, "succeed")))
# What an operator may re-send: a payout whose last transfer failed or was cancelled.
RESENDABLE = sources(TRANSITIONS, "resend")

FINAL_TRANSFER_STATES = final_states(TRANSFER_TRANSITIONS)
# A transfer WeChat asked the developer to confirm: overdue ones are cancelled by the sweep.
TRANSFER_AWAITING_PAYEE = next(iter(targets(TRANSFER_TRANSITIONS, "await_payee")))
TRANSFER_CANCELLING = next(iter(targets(TRANSFER_TRANSITIONS, "cancel")))


def out_bill_no(payout_id: int, bill_key: str, attempt: int) -> str:
    """Our number for one transfer attempt: 'PO' + payout id + bill key + 'A' + attempt (alphanumeric, ≤ 32)."""
    return f"PO{payout_id}{bill_key}A{attempt}"


def remark(task_id: int | None) -> str:
    """Shown to the payee in WeChat; part of the bill's identity, so it must not change between retries of a number."""
    return f"CodeLink 任务#{task_id} 报酬" if task_id else "CodeLink 余额提现"


def retry_delay(attempts: int, max_attempts: int, retry_minutes: int) -> timedelta | None:
    """The back-off before the next automatic attempt after `attempts` failed ones (doubling), or None when the
    automatic attempts are used up (the developer withdraws)."""
    if attempts >= max_attempts:
        return None
    return timedelta(minutes=retry_minutes * 2 ** (attempts - 1))
