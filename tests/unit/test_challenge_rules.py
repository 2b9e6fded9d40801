"""The challenge engine's pure rules: windows at the Asia/Shanghai midnight edges, conditions all/any with counts,
order independence and exactly-once completion (Hypothesis), the check-in streak with freezes, and the seeded
onboarding table as SPEC states it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.challenges import rules
from shared.challenges.rules import Streak, check_in, parse_definition, replay_checkins, window_at
from shared.subscriptions import SUBSCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
BJ = timezone(timedelta(hours=8))
US = timedelta(microseconds=1)


def bj(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BJ)


def seeded() -> dict[str, dict]:
    """The definitions the migration seeds, read from the SQL itself."""
    sql = (ROOT / "infra/migrations/0030_challenges.sql").read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"\('(\w+)', '([^']+)', '[^']*', '(\{.*?\})', \d+, now\(\), now\(\)\)", sql, re.S):
        found[m.group(1)] = {"name": m.group(2), "definition": json.loads(m.group(3))}
    return found


# --------------------------------------------------------------------------------------------- windows


def test_a_registration_window_counts_beijing_days_from_the_day_of_registration():
    w = rules.Window("registration", 0, 7)
    registered = bj(2026, 12, 1, 23, 59)  # one minute before midnight in Beijing: day 0 is Dec 1
    span = window_at(w, registered, registered)
    assert span is not None and span.key == "reg:0-7"
    assert span.starts_at == bj(2026, 12, 1) and span.ends_at == bj(2026, 12, 8)
    assert window_at(w, registered, bj(2026, 12, 8) - US) is not None
    assert window_at(w, registered, bj(2026, 12, 8)) is None  # midnight Beijing: the window is over
    # 16:00 UTC is midnight in Beijing: the same instant seen in UTC changes nothing.
    assert window_at(w, registered, datetime(2026, 12, 7, 16, 0, tzinfo=timezone.utc)) is None


def test_weeks_two_to_three_start_at_the_seventh_midnight():
    w = rules.Window("registration", 7, 21)
    registered = bj(2026, 12, 1, 0, 0)
    assert window_at(w, registered, bj(2026, 12, 8) - US) is None
    assert window_at(w, registered, bj(2026, 12, 8)) is not None
    assert window_at(w, registered, bj(2026, 12, 22) - US) is not None
    assert window_at(w, registered, bj(2026, 12, 22)) is None


def test_recurring_windows_turn_at_beijing_midnight():
    reg = bj(2026, 1, 1)
    sunday_late = bj(2026, 12, 6, 23, 59)  # Sunday, Beijing
    monday = bj(2026, 12, 7)
    week = rules.Window("weekly")
    assert window_at(week, reg, sunday_late).key == "2026-W49"
    assert window_at(week, reg, monday).key == "2026-W50"
    assert window_at(week, reg, monday).starts_at == monday
    day = rules.Window("daily")
    assert window_at(day, reg, monday - US).key == "2026-12-06"
    assert window_at(day, reg, monday).key == "2026-12-07"
    month = rules.Window("monthly")
    assert window_at(month, reg, bj(2027, 1, 1) - US).key == "2026-12"
    span = window_at(month, reg, bj(2027, 1, 1))
    assert span.key == "2027-01" and span.ends_at == bj(2027, 2, 1)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["daily", "weekly", "monthly"]))
def test_a_recurring_window_contains_the_instant_it_was_computed_for(at, kind):
    span = window_at(rules.Window(kind), at, at)
    assert span is not None and span.starts_at <= at < span.ends_at
    assert span.starts_at.astimezone(BJ).time() == datetime.min.time()  # starts at a Beijing midnight


# --------------------------------------------------------------------------------------------- conditions


def definition(combine: str, *conds: tuple[str, str, int]) -> rules.Definition:
    return parse_definition({"window": {"kind": "weekly"}, "rule": {"combine": combine, "conditions": [
        {"key": k, "label": k, "event": e, "user_field": rules.EVENTS[e][0], "count": n} for k, e, n in conds]}})


def test_all_needs_every_condition_with_its_count_and_shows_done_of_total():
    d = definition("all", ("a", "ApplicationSubmitted", 2), ("p", "PostPublished", 1), ("h", "HallBrowsed", 1))
    p = rules.progress(d.rule, [("a", 1), ("p", 2)])
    assert (p.done, p.total, p.complete) == (1, 3, False) and p.summary() == "1/3 已完成"
    p = rules.progress(d.rule, [("a", 1), ("a", 3), ("p", 2)])
    assert p.summary() == "2/3 已完成" and not p.complete
    assert rules.progress(d.rule, [("a", 1), ("a", 3), ("p", 2), ("h", 4)]).complete


def test_any_needs_one_condition_and_a_count_is_of_distinct_events():
    d = definition("any", ("t", "TaskCompleted", 2), ("p", "PostPublished", 1))
    assert not rules.progress(d.rule, [("t", 1), ("t", 1), ("t", 1)]).complete  # one event thrice is one
    assert rules.progress(d.rule, [("t", 1), ("t", 2)]).complete
    assert rules.progress(d.rule, [("p", 9)]).summary() == "1/1 已完成"


def test_a_condition_counts_only_its_event_for_its_user_with_its_filters():
    d = parse_definition(seeded()["resume"]["definition"])
    rated = {"rating_id": 1, "task_id": 2, "rater_id": 5, "ratee_id": 7, "direction": "merchant_to_developer",
             "stars": 5}
    assert rules.count_event(d.rule, 10, "RatingGiven", rated, 7) == [("rated", 10)]
    assert rules.count_event(d.rule, 10, "RatingGiven", rated, 5) == []  # the rater is not the one rated
    assert rules.count_event(d.rule, 10, "RatingGiven", {**rated, "direction": "developer_to_merchant"}, 7) == []
    assert rules.count_event(d.rule, 10, "PostPublished", {"post_id": 1, "author_id": 7}, 7) == []
    assert d.users_of("RatingGiven", rated) == {7}


EVENT_POOL = [  # (event id, name, data) for user 7 and someone else
    (1, "ApplicationSubmitted", {"developer_id": 7}), (2, "ApplicationSubmitted", {"developer_id": 7}),
    (3, "PostPublished", {"author_id": 7}), (4, "PostPublished", {"author_id": 8}),
    (5, "HallBrowsed", {"user_id": 7}), (6, "TaskCompleted", {"developer_id": 7}),
    (7, "InvitationCredited", {"inviter_id": 7}), (8, "HallBrowsed", {"user_id": 8}),
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(EVENT_POOL), max_size=20), st.randoms(use_true_random=False),
       st.sampled_from(["all", "any"]), st.integers(1, 2))
def test_completion_happens_once_whatever_the_order_and_duplicates(events, rnd, combine, need):
    d = definition(combine, ("a", "ApplicationSubmitted", need), ("p", "PostPublished", 1), ("h", "HallBrowsed", 1))

    def fold(seq):
        counted: frozenset = frozenset()
        completions = 0
        for event_id, name, data in seq:
            counted, done = rules.step(d.rule, counted, event_id, name, data, 7)
            completions += done
        return counted, completions

    shuffled = list(events) + list(events[: len(events) // 2])  # redeliveries
    rnd.shuffle(shuffled)
    a, first = fold(events)
    b, second = fold(shuffled)
    assert a == b  # the same progress whatever the order and duplicates
    complete = rules.progress(d.rule, a).complete
    assert first == second == (1 if complete else 0)  # granted once, exactly when the rule is met
    # the independent check: met iff the distinct events of user 7 satisfy the rule
    distinct = {(i, n) for i, n, data in events if 7 in data.values()}
    has = {"a": sum(n == "ApplicationSubmitted" for _, n in distinct) >= need,
           "p": any(n == "PostPublished" for _, n in distinct), "h": any(n == "HallBrowsed" for _, n in distinct)}
    assert complete == (all(has.values()) if combine == "all" else any(has.values()))


@pytest.mark.parametrize(("patch", "field"), [
    ({"window": {"kind": "yearly"}}, "window.kind"),
    ({"window": {"kind": "registration", "start_day": 7, "end_day": 7}}, "window.end_day"),
    ({"rule": {"combine": "some", "conditions": []}}, "rule.combine"),
    ({"rule": {"combine": "all", "conditions": []}}, "rule.conditions"),
    ({"rule": {"combine": "all", "conditions": [{"key": "x", "event": "TaskOpened", "user_field": "task_id"}]}},
     "rule.conditions[0].event"),
    ({"rule": {"combine": "all", "conditions": [{"key": "x", "event": "PostPublished", "user_field": "post_id"}]}},
     "rule.conditions[0].user_field"),
    ({"rule": {"combine": "all", "conditions": [{"key": "x", "event": "PostPublished", "user_field": "author_id",
                                                 "count": 0}]}}, "rule.conditions[0].count"),
    ({"rewards": {"cash_fen": 1.5}}, "rewards.cash_fen"),
    ({"rewards": {"unlocks": ["everything"]}}, "rewards.unlocks"),
])
def test_a_bad_definition_names_its_field(patch, field):
    good = seeded()["weekly"]["definition"]
    with pytest.raises(rules.RuleError) as err:
        parse_definition({**good, **patch})
    assert err.value.field == field


def test_the_seeded_table_is_specs_onboarding_table_and_round_trips():
    rows = seeded()
    assert {k: v["name"] for k, v in rows.items()} == {
        "welcome": "入驻见面礼", "apply": "投递挑战", "resume": "履历挑战", "weekly": "每周成长挑战",
        "mentor": "导师特训"}
    d = {k: parse_definition(v["definition"]) for k, v in rows.items()}
    for k, v in rows.items():
        assert d[k].to_json() == parse_definition(d[k].to_json()).to_json()
        assert parse_definition(v["definition"]) == d[k]
    assert (d["welcome"].window, d["welcome"].rule.combine, len(d["welcome"].rule.conditions)) == (
        rules.Window("registration", 0, 7), "all", 3)
    assert d["welcome"].rewards.points == 100 and d["welcome"].rewards.badge_key
    assert d["apply"].window == rules.Window("registration", 7, 21)
    assert d["apply"].rewards.title_key and d["apply"].rewards.lottery_entries == 1
    assert d["resume"].window == rules.Window("registration", 14, 28)
    assert set(d["resume"].rewards.unlocks) == {"skill_graph", "resume"}
    assert d["weekly"].window.kind == "weekly" and d["weekly"].rule.combine == "any"
    assert {c.event for c in d["weekly"].rule.conditions} == {"TaskCompleted", "PostPublished", "InvitationCredited"}
    assert d["weekly"].rewards.points > 0 and d["weekly"].rewards.lottery_entries == 1
    assert d["mentor"].requires_growth_pass and d["mentor"].rewards.cash_fen > 0


def test_the_subscriber_table_listens_to_exactly_the_countable_events():
    listened = {e for e, subs in SUBSCRIPTIONS.items() if any(s.name == "challenges.progress" for s in subs)}
    assert listened == set(rules.EVENTS)


# --------------------------------------------------------------------------------------------- check-in

D = date(2026, 12, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_the_same_day_twice_changes_nothing_and_the_next_day_continues():
    s1 = check_in(Streak(), day(0))
    assert s1.new and s1.state == Streak(day(0), 1, 1, 0, 1)
    again = check_in(s1.state, day(0))
    assert not again.new and again.state == s1.state
    s2 = check_in(s1.state, day(1))
    assert (s2.state.streak, s2.state.total) == (2, 2)
    assert not check_in(s2.state, day(0)).new  # a day in the past is not a check-in


def test_freezes_are_earned_every_seventh_day_and_held_at_most_two():
    state = replay_checkins(day(i) for i in range(6))
    assert state.freezes == 0
    r = check_in(state, day(6))
    assert r.freeze_earned and r.state.freezes == 1 and r.state.streak == 7
    assert replay_checkins(day(i) for i in range(14)).freezes == 2
    full = replay_checkins(day(i) for i in range(21))
    assert full.freezes == 2 and full.streak == 21  # the third is not earned: at most 2 held


def test_a_gap_consumes_one_freeze_per_missed_day_or_breaks_the_streak():
    two = replay_checkins(day(i) for i in range(14))  # 14 days, 2 freezes
    r = check_in(two, day(16))  # missed days 14 and 15
    assert (r.freezes_used, r.state.streak, r.state.freezes, r.broken) == (2, 15, 0, False)
    r = check_in(two, day(15))  # missed one
    assert (r.freezes_used, r.state.streak, r.state.freezes) == (1, 15, 1)
    r = check_in(two, day(17))  # missed three with two freezes: broken, freezes kept, total goes on
    assert (r.broken, r.state.streak, r.state.freezes, r.state.total, r.state.longest) == (True, 1, 2, 15, 14)


def test_excused_outage_days_are_not_missed():
    state = replay_checkins([day(0), day(1)])
    assert check_in(state, day(5), excused=[day(2), day(3), day(4)]).state.streak == 3
    assert check_in(state, day(5), excused=[day(2), day(3)]).broken
    assert replay_checkins([day(0), day(1), day(5)], excused=[day(2), day(3), day(4)]).streak == 3


@given(st.sets(st.integers(0, 60), max_size=40), st.sets(st.integers(0, 60), max_size=10))
def test_a_streak_never_exceeds_the_days_and_the_total_counts_every_day(days, excused):
    state = replay_checkins([day(i) for i in days], [day(i) for i in excused])
    assert state.total == len(days)
    assert 0 <= state.freezes <= rules.MAX_FREEZES
    assert state.streak <= state.longest <= max(len(days), 0)
    if days:
        assert state.streak >= 1 and state.last_day == day(max(days))
