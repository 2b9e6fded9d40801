"""The task state machine (shared/tasks/rules.py) against SPEC's lifecycle, written out here independently of the
code's table: every (status, action) pair either leads where the diagram says or is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.tasks import rules
from shared.tasks.rules import InvalidTransition, decide_publication, transition

STATUSES = ["pending_review", "awaiting_funding", "open", "in_progress", "delivered", "disputed", "completed",
            "cancelled", "expired", "rejected", "failed"]
ACTIONS = ["approve", "reject", "fund", "assign", "deliver", "request_revision", "accept", "auto_accept", "dispute",
           "rule_payout", "rule_refund", "cancel", "expire", "flag_for_review"]

# (from, action) -> to, with escrow required. Anything not listed is refused.
EXPECTED = {
    ("pending_review", "approve"): "awaiting_funding",
    ("pending_review", "reject"): "rejected",
    ("pending_review", "cancel"): "cancelled",
    ("pending_review", "expire"): "expired",
    ("awaiting_funding", "fund"): "open",
    ("awaiting_funding", "cancel"): "cancelled",
    ("awaiting_funding", "expire"): "expired",
    ("awaiting_funding", "flag_for_review"): "pending_review",
    ("open", "assign"): "in_progress",
    ("open", "cancel"): "cancelled",
    ("open", "expire"): "expired",
    ("open", "flag_for_review"): "pending_review",
    ("in_progress", "deliver"): "delivered",
    ("delivered", "request_revision"): "in_progress",
    ("delivered", "accept"): "completed",
    ("delivered", "auto_accept"): "completed",
    ("delivered", "dispute"): "disputed",
    ("disputed", "rule_payout"): "completed",
    ("disputed", "rule_refund"): "failed",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_pair_goes_where_the_lifecycle_says_or_is_refused(status, action):
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            transition(status, action, escrow_required=True)
        assert (refused.value.status, refused.value.action) == (status, action)
    else:
        assert transition(status, action, escrow_required=True) == expected


def test_the_table_has_no_status_or_action_this_test_does_not_know():
    assert set(rules.TRANSITIONS) == set(ACTIONS)
    assert {s for m in rules.TRANSITIONS.values() for pair in m.items() for s in pair} == set(STATUSES)
    assert set(rules.STATUS_NAMES) == set(STATUSES), "every status has a Chinese name for the 409 message"


def test_approval_skips_funding_when_escrow_is_not_required():
    assert transition("pending_review", "approve", escrow_required=False) == "open"
    assert transition("pending_review", "approve", escrow_required=True) == "awaiting_funding"
    # only the approval is affected: nothing else lands on awaiting_funding anyway
    assert transition("awaiting_funding", "fund", escrow_required=False) == "open"


def test_unknown_action_or_status_is_refused():
    with pytest.raises(InvalidTransition):
        transition("open", "teleport")
    with pytest.raises(InvalidTransition):
        transition("archived", "cancel")


@pytest.mark.parametrize("status", sorted(rules.TERMINAL))
def test_terminal_statuses_have_no_way_out(status):
    for action in ACTIONS:
        with pytest.raises(InvalidTransition):
            transition(status, action, escrow_required=True)


def test_status_sets():
    assert {"completed", "cancelled", "expired", "rejected", "failed"} == rules.TERMINAL
    assert {"pending_review", "awaiting_funding", "open"} == rules.EDITABLE  # before anyone is working on it
    assert {"open"} == rules.PUBLIC
    assert not rules.EDITABLE & rules.TERMINAL


@given(st.lists(st.sampled_from(ACTIONS), max_size=30), st.booleans())
def test_any_sequence_of_actions_stays_in_the_machine(actions, escrow):
    status = "pending_review"
    for action in actions:
        try:
            following = transition(status, action, escrow_required=escrow)
        except InvalidTransition:
            continue
        assert following in STATUSES
        assert status not in rules.TERMINAL, "nothing leaves a terminal status"
        if following == "completed":
            assert status in ("delivered", "disputed"), "only delivered work completes"
        status = following


@pytest.mark.parametrize(("approved_before", "suggest", "label", "escrow", "status", "reason"), [
    (True, "pass", None, True, "awaiting_funding", None),
    (True, "pass", None, False, "open", None),
    (False, "pass", None, False, "pending_review", "首次发布任务，需人工审核"),
    (True, "review", "Ad", True, "pending_review", "内容安全检测：Ad"),
    (True, "block", None, False, "pending_review", "内容安全检测：block"),
    (False, "risky", "Polity", True, "pending_review", "内容安全检测：Polity"),  # the content reason wins
])
def test_where_a_new_task_goes(approved_before, suggest, label, escrow, status, reason):
    d = decide_publication(merchant_approved_before=approved_before, content_suggest=suggest, content_label=label,
                           escrow_required=escrow)
    assert (d.status, d.review_reason) == (status, reason)
