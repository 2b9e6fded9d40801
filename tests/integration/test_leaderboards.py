"""Leaderboards on the real database and event path: XpGranted / SkillPointsGranted (the pinned growth contract,
published here as growth will) build the boards per Beijing week, month and all time; period edges; replays change
nothing; banned and opted-out users vanish; RankReached once per board, period and threshold; skill portraits; "my
rank" exact to 1,000 and from the snapshot beyond; and (Hypothesis) the SQL ranks equal a plain competition ranking."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import events
from shared.clock import SHANGHAI
from shared.events.delivery import replay_events
from shared.leaderboards import rules, service
from shared.uow import UnitOfWork, run
from tests.support.api import call
from tests.support.challenges import seed_badges
from tests.support.db import publish, work_all


@pytest.fixture(autouse=True)
def seeded_badges(db):
    seed_badges()


_refs = itertools.count(1)


def xp(user: int, amount: int) -> events.XpGranted:
    n = next(_refs)
    return events.XpGranted(user_id=user, amount=amount, source="task", ref=f"task:{n}", reason=f"任务 #{n}")


def board(name: str, token: str | None = None, **query: Any) -> Any:
    r = call("GET", f"/leaderboards/{name}", token=token, query=query)
    assert r.status == 200, r.body
    return r.body


def scores(body: Any) -> list[tuple[int, int, int]]:
    return [(e["rank"], e["user_id"], e["score"]) for e in body["entries"]]


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_periods_at_the_week_and_month_edges_and_replays_change_nothing(world, clock):
    a, b = world.developer(), world.developer()
    clock.set(bj(2026, 11, 29, 23, 59, 59))  # Sunday, the last second of 2026-W48
    publish(xp(a.user_id, 100))
    clock.set(bj(2026, 11, 30, 0, 0, 0))  # Monday 00:00: 2026-W49, still November
    publish(xp(b.user_id, 50), xp(a.user_id, 10))
    clock.set(bj(2026, 12, 1, 0, 0, 0))  # December
    publish(xp(b.user_id, 5))
    work_all()
    assert scores(board("weekly", period="2026-W48")) == [(1, a.user_id, 100)]
    assert scores(board("weekly", period="2026-W49")) == [(1, b.user_id, 55), (2, a.user_id, 10)]
    assert scores(board("monthly", period="2026-11")) == [(1, a.user_id, 110), (2, b.user_id, 50)]
    assert scores(board("monthly", period="2026-12")) == [(1, b.user_id, 5)]
    assert scores(board("all_time")) == [(1, a.user_id, 110), (2, b.user_id, 55)]
    world.renew(a, b)  # the clock travelled past the access tokens' life
    current = board("weekly", a.token)  # the current period by default, with my rank
    assert current["period"] == "2026-W49" and current["me"]["rank"] == 2 and current["me"]["exact"]
    assert current["period_start"].startswith("2026-11-29T16:00:00")
    assert board("monthly", b.token)["me"] == {"score": 5, "rank": 1, "exact": True, "as_of": None, "as_of_at": None}

    # growth's backfill (XP of old tasks granted now) counts all time only: its real week is unknown
    publish(events.XpGranted(user_id=b.user_id, amount=1000, source="task", ref="task:old", reason="补发",
                             backfill=True))
    work_all()
    assert scores(board("weekly", period="2026-W49")) == [(1, b.user_id, 55), (2, a.user_id, 10)]
    assert scores(board("all_time")) == [(1, b.user_id, 1055), (2, a.user_id, 110)]

    # every XpGranted again (a replay) and the worker twice: nothing counts twice
    before = scores(board("all_time"))
    run(lambda uow: replay_events(uow, "XpGranted", "leaderboards.xp", bj(2026, 11, 1), bj(2026, 12, 2)))
    work_all()
    work_all()
    assert scores(board("all_time")) == before


def test_rank_reached_once_per_board_period_and_threshold(world):
    a = world.developer()
    publish(xp(a.user_id, 30))
    work_all()
    publish(xp(a.user_id, 30))
    work_all()
    reached = run(lambda uow: uow.execute(
        "SELECT data->>'board' AS b, data->>'period' AS p, (data->>'rank')::int AS r FROM event_log"
        " WHERE name = 'RankReached' ORDER BY id").all())
    week, month = "2026-W48", "2026-11"  # the test clock: Wednesday 2026-11-25
    assert sorted((r.b, r.p, r.r) for r in reached) == sorted(
        (b, p, t) for b, p in (("weekly", week), ("monthly", month), ("all_time", "all")) for t in (10, 100))
    # the weekly top-10 badge (repeatable per week) is granted from RankReached, once
    held = run(lambda uow: uow.execute("SELECT ref FROM badge_grants WHERE badge_key = 'weekly_top10'").all())
    assert [h.ref for h in held] == [f"{week}:weekly"]


def test_banned_and_opted_out_users_vanish(world):
    a, b, c = world.developer(), world.developer(), world.developer()
    admin = world.admin()
    publish(xp(a.user_id, 30), xp(b.user_id, 20), xp(c.user_id, 10))
    work_all()
    assert [u for _, u, _ in scores(board("all_time"))] == [a.user_id, b.user_id, c.user_id]

    publish(events.UserBanned(user_id=a.user_id, admin_id=admin.user_id, reason="刷分"))
    work_all()
    assert scores(board("all_time", c.token)) == [(1, b.user_id, 20), (2, c.user_id, 10)]
    assert board("all_time", c.token)["me"]["rank"] == 2  # the banned user above no longer counts

    r = call("PUT", "/leaderboards/settings", {"opted_out": True, "portrait_public": True}, b.token)
    assert r.status == 200 and r["opted_out"] is True
    body = board("all_time", b.token)
    assert scores(body) == [(1, c.user_id, 10)]
    assert body["me"] == {"score": 20, "rank": None, "exact": True, "as_of": None, "as_of_at": None}

    publish(events.UserUnbanned(user_id=a.user_id, admin_id=admin.user_id, reason="申诉成功"))
    work_all()
    assert [u for _, u, _ in scores(board("all_time"))] == [a.user_id, c.user_id]
    # the ban delivered again after the unban (a replay, out of order) does not ban again
    run(lambda uow: replay_events(uow, "UserBanned", "leaderboards.ban", bj(2020, 1, 1), bj(2030, 1, 1)))
    work_all()
    assert [u for _, u, _ in scores(board("all_time"))] == [a.user_id, c.user_id]


def test_skill_boards_and_portraits_of_the_top_ten(world):
    a, b = world.developer(), world.developer()
    python, vue = {"skill": "python", "category": "backend"}, {"skill": "vue", "category": "frontend"}
    publish(events.SkillPointsGranted(user_id=a.user_id, ref="task:1", reason="任务 #1", task_id=1,
                                      skills=({**python, "points": 8}, {**vue, "points": 3})),
            events.SkillPointsGranted(user_id=b.user_id, ref="task:2", reason="任务 #2", task_id=2,
                                      skills=({**python, "points": 5},)))
    work_all()
    body = board("skill", skill="python", period="all")
    assert scores(body) == [(1, a.user_id, 8), (2, b.user_id, 5)]
    assert body["entries"][0]["portrait"] == [{"skill": "python", "points": 8}, {"skill": "vue", "points": 3}]
    assert body["entries"][0]["display_name"].startswith("dev")  # the resume card's public display name
    r = call("PUT", "/profiles/developer", {"display_name": "小王", "headline": "全栈工程师", "bio": "五年经验",
                                            "skills": ["python"], "public_fields": ["headline", "skills"]}, b.token)
    assert r.status == 200, r.body
    assert board("skill", skill="python", period="all")["entries"][1]["display_name"] == "匿名开发者"  # not public
    r = call("PUT", "/leaderboards/settings", {"opted_out": False, "portrait_public": False}, a.token)
    assert r.status == 200
    body = board("skill", skill="python", period="all")
    assert body["entries"][0]["portrait"] is None and body["entries"][1]["portrait"] == [
        {"skill": "python", "points": 5}]
    assert scores(board("skill", skill="vue")) == [(1, a.user_id, 3)]  # this week, by default

    for query, code in (({"skill": "nope"}, 422), ({}, 422), ({"skill": "python", "period": "2026-W99"}, 422)):
        assert call("GET", "/leaderboards/skill", query=query).status == code
    assert call("GET", "/leaderboards/weekly", query={"period": "2026-12"}).status == 422
    assert call("GET", "/leaderboards/weekly", query={"skill": "python"}).status == 422
    assert call("GET", "/leaderboards/daily").body["code"] == "BOARD_NOT_FOUND"


def test_my_rank_beyond_the_top_thousand_comes_from_the_snapshot(world, clock):
    me = world.developer()
    n = rules.EXACT_RANKS + 5

    def seed(uow: UnitOfWork) -> None:  # users who are only on the board (no accounts needed for scores)
        for i in range(n):
            service.credit(uow, 1_000_000 + i, "xp", f"seed:{i}", uow.now, {"xp": 1000 + i})
        service.credit(uow, me.user_id, "xp", "seed:me", uow.now, {"xp": 500})

    run(seed)
    body = board("all_time", me.token, limit=3)
    assert [e["score"] for e in body["entries"]] == [1000 + n - 1, 1000 + n - 2, 1000 + n - 3]
    assert body["me"]["rank"] == n + 1 and body["me"]["exact"]  # no snapshot yet: counted in full
    clock.set(bj(2026, 11, 25, 11, 5))
    assert service.refresh_snapshots()["boards"] >= 3
    clock.advance(timedelta(minutes=3))
    body = board("all_time", me.token, limit=3)
    assert body["me"]["rank"] == n + 1 and body["me"]["exact"] is False and body["me"]["as_of"] == "截至 11:05"
    # ten of the users above opt out after the snapshot: the live top reflects it at once, the snapshot on its next run
    run(lambda uow: [service.set_settings(uow, 1_000_000 + n - 1 - i, True, True) for i in range(10)])
    assert board("all_time", limit=1)["entries"][0]["score"] == 1000 + n - 11
    service.refresh_snapshots()
    assert board("all_time", me.token)["me"]["rank"] == n + 1 - 10


_ids = itertools.count(0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.integers(0, 30), st.integers(-3, 12), min_size=1, max_size=25),
       st.sets(st.integers(0, 30), max_size=5), st.booleans())
def test_sql_ranks_equal_a_competition_ranking(db, data, hidden, hidden_first):
    """Whether users opt out before their scores exist (the credit writes hidden rows) or after (the opt-out rewrites
    them), the SQL ranks are the reference's."""
    base = 2_000_000 + next(_ids) * 100  # fresh users and board for each example
    name = f"skill:h{base}"

    def use_case(uow: UnitOfWork) -> None:
        for u in hidden if hidden_first else ():
            service.set_settings(uow, base + u, True, True)
        for u, s in data.items():
            service.credit(uow, base + u, "skill", f"h:{base}:{u}", uow.now, {name: s})
        for u in () if hidden_first else hidden:
            service.set_settings(uow, base + u, True, True)

    run(use_case)
    want = rules.competition_ranks({base + u: s for u, s in data.items()}, {base + u for u in hidden})
    got = run(lambda uow: service.top(uow, name, "all", 100))
    assert {e.user_id: e.rank for e in got} == want
    assert [e.score for e in got] == sorted((e.score for e in got), reverse=True)
    for u in data:
        mine = run(lambda uow, uid=base + u: service.my_rank(uow, name, "all", uid))
        assert (mine.rank if mine else None) == want.get(base + u)
        assert (mine is None) == (data[u] == 0)  # a zero grant writes no score: not on the board at all


def test_concurrent_credits_of_one_user_add_up(db):
    """Two workers crediting the same user's boards at once (their rows in one order: no deadlock, no lost update)."""
    import threading

    user, errors = 3_000_000, []

    def worker(offset: int) -> None:
        try:
            for i in range(15):
                run(lambda uow, i=i: service.credit(uow, user, "xp", f"c:{offset}:{i}", uow.now, {"xp": 2}))
                run(lambda uow, i=i: service.credit(uow, user, "skill", f"c:{offset}:{i}", uow.now,
                                                    {"skill:python": 1, "skill:vue": 1}))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = run(lambda uow: {(r.board, r.period): int(r.score) for r in uow.execute(
        "SELECT board, period, score FROM lb_scores WHERE user_id = :u", {"u": user})})
    assert set(got.values()) == {60, 30} and len(got) == 9
    assert got[("xp", "all")] == 60 and got[("skill:python", "all")] == 30


def test_an_opt_out_racing_new_credits_leaves_every_score_row_as_the_setting_says(db):
    """The hidden copy on lb_scores against lb_users: one worker credits new boards of a user while another flips the
    user's opt-out; whoever commits first, no row is left visible for an opted-out user (or hidden for one back)."""
    import threading

    user, errors = 3_100_000, []

    def credits() -> None:
        try:
            for i in range(20):
                run(lambda uow, i=i: service.credit(uow, user, "skill", f"r:{i}", uow.now, {f"skill:race{i}": 3}))
        except Exception as exc:  # reported below
            errors.append(exc)

    def flips() -> None:
        try:
            for i in range(21):
                run(lambda uow, i=i: service.set_settings(uow, user, i % 2 == 0, True))  # ends opted out
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=credits), threading.Thread(target=flips)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    hidden = run(lambda uow: [bool(r.hidden) for r in uow.execute(
        "SELECT hidden FROM lb_scores WHERE user_id = :u", {"u": user})])
    assert len(hidden) == 20 * 3 and all(hidden)  # 20 boards × (week, month, all time)
    assert all(run(lambda uow, i=i: service.my_rank(uow, f"skill:race{i}", "all", user)).rank is None
               for i in range(20))
    run(lambda uow: service.set_settings(uow, user, False, True))
    assert run(lambda uow: [bool(r.hidden) for r in uow.execute(
        "SELECT DISTINCT hidden FROM lb_scores WHERE user_id = :u", {"u": user})]) == [False]
    assert run(lambda uow: service.my_rank(uow, "skill:race0", "all", user)).rank == 1
