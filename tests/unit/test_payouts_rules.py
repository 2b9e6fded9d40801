"""The payout and transfer state machines (shared/payouts/rules.py): the state lists the queries use are derived
from the transition tables, and the tables match what the schema allows."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from shared.payouts import rules

MIGRATION = Path(__file__).resolve().parents[2] / "infra" / "migrations" / "0004_payouts.sql"


def _check_list(table: str, column: str) -> set[str]:
    sql = MIGRATION.read_text(encoding="utf-8")
    body = sql[sql.index(f"CREATE TABLE {table} ("):]
    match = re.search(rf"{column}\s+text NOT NULL DEFAULT '\w+' CHECK \({column} IN \(([^)]*)\)\)", body)
    assert match, f"{table}.{column} CHECK not found"
    return set(re.findall(r"'(\w+)'", match.group(1)))


def test_the_tables_cover_exactly_the_states_the_schema_allows():
    assert _check_list("payouts", "state") == rules.STATES
    assert _check_list("payout_transfers", "state") == rules.TRANSFER_STATES
    assert rules.INITIAL in rules.STATES and rules.TRANSFER_INITIAL in rules.TRANSFER_STATES


def test_derived_state_lists():
    assert {"transferring", "wait_user_confirm", "cancelling"} == rules.IN_FLIGHT
    assert {"pending", "needs_real_name", "needs_wechat"} == rules.QUEUED
    assert {"failed"} == rules.RETRYING
    assert {"pending", "transferring"} == rules.RESUMABLE
    assert {"wait_user_confirm", "cancelling"} == rules.AWAITING_ANSWER
    assert {"needs_real_name", "needs_wechat"} == rules.WAITING_FOR_DEVELOPER
    assert rules.PAID == "paid"
    assert {"success", "fail", "cancelled"} == rules.FINAL_TRANSFER_STATES
    assert {"failed", "cancelled"} == rules.RESENDABLE
    assert rules.final_states(rules.TRANSITIONS) == {"paid"}  # failed is retried, failed / cancelled re-sent


def test_money_sits_in_exactly_one_place_per_state():
    """Queued money is in payable, in-flight money in payouts:in_flight; no state is both, and every action that
    crosses between them posts a ledger transaction."""
    assert not rules.IN_FLIGHT & rules.QUEUED
    for action, moves in rules.TRANSITIONS.items():
        for a, b in moves.items():
            crosses = (a in rules.IN_FLIGHT) != (b in rules.IN_FLIGHT)
            assert crosses == (action in rules.POSTS), (action, a, b)


def test_out_bill_no_fits_wechat_pay():
    number = rules.out_bill_no(2_147_483_647, "AB12CD", 5)
    assert number == "PO2147483647AB12CDA5" and re.fullmatch(r"[0-9A-Za-z]{5,32}", number)


def test_retry_back_off_doubles_until_the_last_attempt():
    assert rules.retry_delay(1, 3, 30) == timedelta(minutes=30)
    assert rules.retry_delay(2, 3, 30) == timedelta(minutes=60)
    assert rules.retry_delay(3, 3, 30) is None  # the last automatic attempt failed: the developer withdraws


@given(st.integers(1, 20), st.integers(1, 20), st.integers(1, 240))
def test_retry_back_off_properties(attempts, max_attempts, minutes):
    delay = rules.retry_delay(attempts, max_attempts, minutes)
    if attempts >= max_attempts:
        assert delay is None
    else:
        assert delay == timedelta(minutes=minutes) * 2 ** (attempts - 1)
        assert rules.retry_delay(attempts + 1, max_attempts + 1, minutes) == 2 * delay


@given(st.lists(st.integers(0, 10_000), max_size=40))
def test_any_walk_through_the_table_keeps_the_money_in_one_place(choices):
    """Walk the payout table by any actions (the operator's resend included): the money is in payouts:in_flight
    exactly in the IN_FLIGHT states, every move across posts, and a payout that can be re-sent holds nothing in
    flight."""
    state, in_flight = rules.INITIAL, False
    for choice in choices:
        moves = sorted((a, m[state]) for a, m in rules.TRANSITIONS.items() if state in m)
        if not moves:
            break
        action, target = moves[choice % len(moves)]
        if rules.POSTS.get(action) == "payout_start":
            in_flight = True
        elif action in rules.POSTS:
            in_flight = False
        state = target
        assert in_flight == (state in rules.IN_FLIGHT), (action, state)
        if state in rules.RESENDABLE:
            assert not in_flight and rules.to("resend") in rules.QUEUED
