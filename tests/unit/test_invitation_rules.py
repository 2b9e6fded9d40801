"""Pure invitation rules: codes, the same person, ring detection over any invitation graph, the claim window at its
edge, and the credit condition in any order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.invitations.rules import (
    ALPHABET,
    CLAIM_WINDOW,
    Person,
    closes_ring,
    credit_due,
    inviters_of,
    is_code,
    make_code,
    refusal,
    same_person,
)

T = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def person(uid: int, phone: str | None = None, unionid: str | None = None, at: datetime = T) -> Person:
    return Person(uid, phone, unionid, at)


@given(st.binary(min_size=8, max_size=8))
def test_codes_use_the_alphabet(raw):
    code = make_code(raw)
    assert is_code(code) and len(code) == 8 and set(code) <= set(ALPHABET)


def test_make_code_needs_eight_bytes():
    with pytest.raises(ValueError):
        make_code(b"1234567")


def test_same_person():
    assert same_person(person(1), person(1))
    assert same_person(person(1, phone="138"), person(2, phone="138"))
    assert same_person(person(1, unionid="u"), person(2, unionid="u"))
    assert not same_person(person(1), person(2))  # no phone / unionid on either: different people
    assert not same_person(person(1, phone="138", unionid="u"), person(2, phone="139", unionid="v"))


def test_refusals_in_order_and_at_the_window_edge():
    inviter, now = person(1), T + timedelta(hours=1)
    assert refusal(inviter, person(1), [], now) == "SELF_INVITATION"
    assert refusal(inviter, person(2, phone="1", at=T), [], now) is None
    assert refusal(person(1, phone="1"), person(2, phone="1"), [], now) == "SELF_INVITATION"
    assert refusal(inviter, person(2), [2], now) == "INVITATION_RING"  # 2 invited 1 already
    invitee = person(2, at=T)
    assert refusal(inviter, invitee, [], T + CLAIM_WINDOW) is None  # exactly 7 days: still allowed
    assert refusal(inviter, invitee, [], T + CLAIM_WINDOW + timedelta(microseconds=1)) == "INVITATION_CLAIM_EXPIRED"
    assert refusal(person(1, at=T), person(2, at=T - timedelta(seconds=1)), [], now) == "INVITEE_NOT_NEW"


def test_a_two_and_a_three_ring():
    parents = {2: 1}  # 1 invited 2
    assert closes_ring(inviters_of(parents, 2), 2, 1)  # 2 inviting 1: ring
    parents = {2: 1, 3: 2}  # 1 → 2 → 3
    assert closes_ring(inviters_of(parents, 3), 3, 1)
    assert not closes_ring(inviters_of(parents, 3), 3, 4)


@given(st.dictionaries(st.integers(1, 12), st.integers(1, 12), max_size=20), st.integers(1, 12), st.integers(1, 12))
def test_accepting_only_non_ring_claims_keeps_the_graph_acyclic(existing, inviter, invitee):
    # Build a forest by replaying claims through the rule, then check one more claim.
    parents: dict[int, int] = {}
    for child, parent in existing.items():
        if child not in parents and not closes_ring(inviters_of(parents, parent), parent, child):
            parents[child] = parent
    if invitee in parents:
        return
    if not closes_ring(inviters_of(parents, inviter), inviter, invitee):
        parents[invitee] = inviter
    for start in parents:  # no walk up from any node comes back to it
        seen, node = set(), start
        while node in parents:
            assert node not in seen
            seen.add(node)
            node = parents[node]


def test_inviters_of_stops_on_a_repeat():
    assert inviters_of({1: 2, 2: 1}, 1) == [2, 1]
    assert inviters_of({}, 5) == []


@pytest.mark.parametrize("status,phone,profile,due", [
    ("pending", True, True, True), ("pending", True, False, False), ("pending", False, True, False),
    ("pending", False, False, False), ("credited", True, True, False), ("refused", True, True, False),
])
def test_credit_due(status, phone, profile, due):
    assert credit_due(status, phone, profile) is due
