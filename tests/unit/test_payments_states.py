"""The payment order, refund and milestone state machines (shared/payments/rules.py): the state lists the SQL uses
are derived from the transition tables, and the tables cover exactly what the schema allows."""

from __future__ import annotations

import re
from pathlib import Path

from shared.payments import rules

MIGRATION = Path(__file__).resolve().parents[2] / "infra" / "migrations" / "0003_payments.sql"


def _check_list(table: str) -> set[str]:
    sql = MIGRATION.read_text(encoding="utf-8")
    body = sql[sql.index(f"CREATE TABLE {table} ("):]
    match = re.search(r"state\s+text NOT NULL DEFAULT '(\w+)'\s+CHECK \(state IN \(([^)]*)\)\)", body)
    assert match, f"{table}.state CHECK not found"
    return {match.group(1), *re.findall(r"'(\w+)'", match.group(2))}


def test_the_tables_cover_exactly_the_states_the_schema_allows():
    assert _check_list("payment_orders") == rules.ORDER_STATES == set(rules.ORDER_STATE_NAMES)
    assert _check_list("refunds") == rules.REFUND_STATES
    assert _check_list("task_milestones") == rules.MILESTONE_STATES
    assert rules.INITIAL in rules.OPEN and rules.REFUND_INITIAL in rules.REFUND_STATES


def test_derived_order_states():
    assert ({"created"}, "paid", "closed") == (rules.OPEN, rules.PAID, rules.CLOSED)
    # A payment can arrive for an order we closed (the payer was already in the sheet): it is still taken in.
    assert rules.CLOSED in rules.ORDER_TRANSITIONS["pay"]
    assert rules.PAID not in {s for moves in rules.ORDER_TRANSITIONS.values() for s in moves}  # paid is final


def test_derived_refund_states():
    assert (rules.REFUND_PROCESSING, rules.REFUND_SUCCEEDED, rules.REFUND_FAILED) == (
        "processing", "succeeded", "failed")
    # Succeeded is final; a failed refund an operator completed at WeChat can still succeed, never fail twice.
    assert rules.REFUND_SUCCEEDED not in {s for moves in rules.REFUND_TRANSITIONS.values() for s in moves}
    assert rules.REFUND_FAILED in rules.REFUND_TRANSITIONS["succeed"]
    assert rules.REFUND_FAILED not in rules.REFUND_TRANSITIONS["fail"]


def test_derived_milestone_states():
    assert (rules.MILESTONE_UNFUNDED, rules.MILESTONE_FUNDED) == ("awaiting_funding", "funded")
    # Only funded money is released or refunded; only unfunded milestones are cancelled with their task.
    assert set(rules.MILESTONE_TRANSITIONS["release"]) == set(rules.MILESTONE_TRANSITIONS["refund"]) == {"funded"}
    assert set(rules.MILESTONE_TRANSITIONS["cancel"]) == {rules.MILESTONE_UNFUNDED}
