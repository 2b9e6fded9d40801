"""Pure community rules: a like count that follows any sequence of taps is the number of users whose last tap was a
like (idempotence), who may see a hidden post, and tag cleaning."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.community.rules import MAX_TAGS, can_view, clean_tags, like_delta


def test_like_delta_table():
    assert like_delta(False, True) == 1
    assert like_delta(True, False) == -1
    assert like_delta(True, True) == 0  # liking twice
    assert like_delta(False, False) == 0  # unliking what was never liked


@given(st.lists(st.tuples(st.integers(1, 5), st.booleans()), max_size=60))
def test_any_sequence_of_taps_counts_each_user_at_most_once(taps):
    liked: dict[int, bool] = {}
    count = 0
    for user, like in taps:
        count += like_delta(liked.get(user, False), like)
        liked[user] = like
        assert 0 <= count <= len(liked)
    assert count == sum(liked.values())


def test_a_hidden_post_is_seen_by_its_author_and_operators_only():
    assert can_view("visible", None, 1, False) and can_view("visible", 2, 1, False)
    assert can_view("hidden", 1, 1, False) and can_view("hidden", 9, 1, True)
    assert not can_view("hidden", 2, 1, False) and not can_view("hidden", None, 1, False)


@given(st.lists(st.text(max_size=8), max_size=12))
def test_clean_tags(tags):
    out = clean_tags(tags)
    assert len(out) <= MAX_TAGS and len(set(out)) == len(out)
    assert all(t and t == t.strip().lower() for t in out)


def test_clean_tags_keeps_order_and_drops_duplicates():
    assert clean_tags([" Vue", "vue", "", "Python", "a", "b", "c", "d"]) == ["vue", "python", "a", "b", "c"]
