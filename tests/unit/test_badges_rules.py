"""Badge rules, pure: every kind at its boundary, repeatable refs, windows, validation, and (Hypothesis) that a verdict
depends only on the facts, not on their order or duplicates of other users' events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import subscriptions
from shared.badges.rules import TRIGGERS, Fact, Rule, RuleError, evaluate, subjects, validate

NOW = datetime(2026, 12, 4, 4, 0, tzinfo=timezone.utc)
U = 7


def fact(name: str, days_ago: float = 1, **data) -> Fact:
    return Fact(name, NOW - timedelta(days=days_ago), data)


def done(n: int, user: int = U) -> list[Fact]:
    return [fact("TaskCompleted", i + 1, developer_id=user, merchant_id=99, task_id=i) for i in range(n)]


def rating(stars: int, days_ago: float = 1, user: int = U, direction: str = "merchant_to_developer") -> Fact:
    return fact("RatingGiven", days_ago, ratee_id=user, rater_id=99, stars=stars, direction=direction)


COUNT5 = Rule("count", {"event": "TaskCompleted", "n": 5}, ("TaskCompleted",))


def test_count_boundary_and_whose_event_it_is():
    assert not evaluate(COUNT5, U, done(4), NOW).met
    v = evaluate(COUNT5, U, done(5), NOW)
    assert v.owed == ("once",) and v.progress == (5, 5)
    assert "还差 1" in evaluate(COUNT5, U, done(4), NOW).reason
    # the merchant of the same tasks counts nothing: the developer is the subject
    assert not evaluate(COUNT5, 99, done(5), NOW).met


def test_repeatable_count_owes_one_grant_per_n():
    rule = Rule("count", {"event": "TaskCompleted", "n": 5}, ("TaskCompleted",), repeatable=True)
    assert evaluate(rule, U, done(14), NOW).owed == ("n:1", "n:2")
    assert evaluate(rule, U, done(15), NOW).owed == ("n:1", "n:2", "n:3")


def test_events_after_now_are_ignored():
    facts = [*done(4), Fact("TaskCompleted", NOW + timedelta(seconds=1), {"developer_id": U})]
    assert not evaluate(COUNT5, U, facts, NOW).met


def test_first_with_filters():
    rule = Rule("first", {"event": "RatingGiven", "where": {"direction": "merchant_to_developer"},
                          "at_least": {"stars": 5}}, ("RatingGiven",))
    assert not evaluate(rule, U, [rating(4)], NOW).met
    assert not evaluate(rule, U, [rating(5, direction="developer_to_merchant")], NOW).met
    assert evaluate(rule, U, [rating(4), rating(5)], NOW).met


def test_user_field_overrides_the_subject():
    rule = Rule("count", {"event": "InvitationCredited", "n": 3, "user_field": "inviter_id"}, ("InvitationCredited",))
    invites = [fact("InvitationCredited", i, inviter_id=U, invitee_id=100 + i, invitation_id=i) for i in range(3)]
    assert evaluate(rule, U, invites, NOW).met
    assert not evaluate(rule, 100, invites, NOW).met


def test_sum_boundary():
    rule = Rule("sum", {"event": "XpGranted", "field": "amount", "n": 1000}, ("XpGranted",))
    xp = [fact("XpGranted", 1, user_id=U, amount=600), fact("XpGranted", 2, user_id=U, amount=399)]
    assert not evaluate(rule, U, xp, NOW).met
    assert evaluate(rule, U, [*xp, fact("XpGranted", 3, user_id=U, amount=1)], NOW).met


HIGH = Rule("avg_rating", {"min_avg": 4.8, "min_count": 5, "window_days": 90}, ("RatingGiven",))


def test_average_rating_exact_boundary_count_and_window():
    assert evaluate(HIGH, U, [rating(5), rating(5), rating(5), rating(5), rating(4)], NOW).met  # exactly 4.8
    assert not evaluate(HIGH, U, [rating(5), rating(5), rating(5), rating(4), rating(4)], NOW).met  # 4.6
    assert not evaluate(HIGH, U, [rating(5)] * 4, NOW).met  # too few
    # a rating exactly window_days old has left the window; one a second younger has not
    old = [rating(5, days_ago=90)] + [rating(5)] * 4
    assert not evaluate(HIGH, U, old, NOW).met
    young = [Fact("RatingGiven", NOW - timedelta(days=90) + timedelta(seconds=1),
                  {"ratee_id": U, "stars": 5, "direction": "merchant_to_developer"})] + [rating(5)] * 4
    assert evaluate(HIGH, U, young, NOW).met
    # ratings the developer gave merchants do not count
    assert not evaluate(HIGH, U, [rating(5, direction="developer_to_merchant")] * 5, NOW).met


def test_streak_rank_level_challenge():
    streak = Rule("streak", {"n": 7}, ("CheckedIn",))
    assert not evaluate(streak, U, [fact("CheckedIn", user_id=U, streak=6)], NOW).met
    assert evaluate(streak, U, [fact("CheckedIn", user_id=U, streak=7)], NOW).met

    rank = Rule("rank", {"rank": 10, "board": "weekly"}, ("RankReached",), repeatable=True)
    hits = [fact("RankReached", 9, user_id=U, board="weekly", period="2026-W48", rank=10),
            fact("RankReached", 2, user_id=U, board="weekly", period="2026-W49", rank=10),
            fact("RankReached", 2, user_id=U, board="weekly", period="2026-W49", rank=100),
            fact("RankReached", 2, user_id=U, board="monthly", period="2026-12", rank=10)]
    assert evaluate(rank, U, hits, NOW).owed == ("2026-W48:weekly", "2026-W49:weekly")

    level = Rule("level", {"level": "A"}, ("LevelChanged",))
    up = fact("LevelChanged", 5, user_id=U, old_level="B", new_level="A", direction="promoted")
    down = fact("LevelChanged", 1, user_id=U, old_level="A", new_level="B", direction="demoted")
    assert evaluate(level, U, [up], NOW).met
    assert not evaluate(level, U, [down, up], NOW).met  # the latest counts, whatever order the facts come in

    mine = Rule("challenge", {}, ("ChallengeCompleted",), badge_key="challenger")
    anyone = Rule("challenge", {"any": True}, ("ChallengeCompleted",), badge_key="challenger")
    done_other = fact("ChallengeCompleted", user_id=U, challenge_key="reg_w1", window="reg:w1", badge_key="other")
    assert not evaluate(mine, U, [done_other], NOW).met
    assert evaluate(anyone, U, [done_other], NOW).met
    named = fact("ChallengeCompleted", user_id=U, challenge_key="reg_w2", window="reg:w2", badge_key="challenger")
    assert evaluate(mine, U, [done_other, named], NOW).met


def test_validation_names_every_bad_field():
    with pytest.raises(RuleError) as exc:
        validate(Rule("count", {"event": "TaskCompleted", "n": 0}, ("Nope",)))
    fields = {f for f, _ in exc.value.errors}
    assert {"params.n", "triggers"} <= fields
    with pytest.raises(RuleError):
        validate(Rule("avg_rating", {"min_avg": 5.5, "min_count": 5, "window_days": 90}, ("RatingGiven",)))
    with pytest.raises(RuleError):
        validate(Rule("count", {"event": "TaskCompleted", "n": True}, ("TaskCompleted",)))  # a bool is no count
    with pytest.raises(RuleError):
        validate(Rule("magic", {}, ("TaskCompleted",)))
    with pytest.raises(RuleError) as exc:  # nested structures beyond where/at_least are refused (stored as jsonb)
        validate(Rule("count", {"event": "TaskCompleted", "n": 5, "deep": {"a": [1]}}, ("TaskCompleted",)))
    assert exc.value.errors == [("params.deep", "须为简单值（字符串、数字、布尔）")]
    with pytest.raises(RuleError):
        validate(Rule("count", {"event": "TaskCompleted", "n": 5, "where": {"a": {"b": 1}}}, ("TaskCompleted",)))
    validate(COUNT5)
    validate(HIGH)


def test_the_badges_subscriber_listens_to_every_trigger():
    subscribed = {name for name, subs in subscriptions.SUBSCRIPTIONS.items()
                  if any(s.name == "badges.evaluate" for s in subs)}
    assert subscribed == set(TRIGGERS)


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(0, 200)), max_size=30),
       st.randoms(use_true_random=False))
def test_a_verdict_depends_on_the_facts_not_their_order(rows, rnd):
    facts = [Fact("RatingGiven", NOW - timedelta(days=d), {"ratee_id": u, "stars": s,
                                                            "direction": "merchant_to_developer"})
             for u, s, d in rows]
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    for user in (1, 2, 3):
        a, b = evaluate(HIGH, user, facts, NOW), evaluate(HIGH, user, shuffled, NOW)
        assert a == b
        mine = [s for u, s, d in rows if u == user and d < 90]
        assert a.met == (len(mine) >= 5 and sum(mine) >= 4.8 * len(mine) - 1e-9)


# The seeded badges' rules (infra/migrations/0026_badges_seed.sql), one or more of every kind.
SEEDED = [
    Rule("first", {"event": "ProfileCompleted"}, ("ProfileCompleted",)),
    Rule("challenge", {"any": True}, ("ChallengeCompleted",), False, "challenger"),
    Rule("count", {"event": "TaskCompleted", "n": 2}, ("TaskCompleted",)),
    HIGH,
    Rule("first", {"event": "RatingGiven", "where": {"direction": "merchant_to_developer"}, "at_least": {"stars": 5}},
         ("RatingGiven",)),
    Rule("streak", {"n": 3}, ("CheckedIn",)),
    Rule("rank", {"rank": 10, "board": "weekly"}, ("RankReached",), True),
    Rule("level", {"level": "A"}, ("LevelChanged",)),
    Rule("sum", {"event": "XpGranted", "field": "amount", "n": 100}, ("XpGranted",)),
    Rule("count", {"event": "InvitationCredited", "n": 2, "user_field": "inviter_id"}, ("InvitationCredited",)),
]
PEOPLE = ("user_id", "developer_id", "merchant_id", "ratee_id", "rater_id", "inviter_id", "invitee_id")
EVENT = st.builds(
    lambda name, people, d, n: Fact(name, NOW - timedelta(days=d), {
        **people, "stars": 1 + n % 5, "direction": "merchant_to_developer", "streak": n, "rank": n, "board": "weekly",
        "period": f"2026-W{n % 3}", "new_level": "CBAS"[n % 4], "challenge_key": "c", "window": str(n % 2),
        "amount": 10 * n}),
    st.sampled_from(sorted({t for r in SEEDED for t in r.triggers})),
    st.dictionaries(st.sampled_from(PEOPLE), st.sampled_from([U, U + 1, str(U)]), min_size=1), st.integers(0, 120),
    st.integers(0, 12))


@given(st.lists(EVENT, max_size=25))
def test_a_verdict_reads_only_the_events_naming_the_user_in_a_subject_field(facts):
    """What the database leaves out (service.facts_of_users: only events whose subject field, as text, is the user)
    never changes a verdict."""
    for rule in SEEDED:
        kept = [f for f in facts if any(f.name == name and str(f.data.get(field)) == str(U)
                                        for name, field in subjects(rule))]
        assert evaluate(rule, U, kept, NOW) == evaluate(rule, U, facts, NOW), rule
