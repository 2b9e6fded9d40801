"""The task hall: filters, sorts, keyset pagination, stability under concurrent inserts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.api import call


@pytest.fixture
def seeded(world, clock):
    merchant = world.merchant()
    world.open_task(merchant)  # clears the first-task review
    call("POST", "/tasks/1/cancel", {}, merchant.token)
    specs = [
        (["python"], 1, 10_000, 5), (["python", "postgresql"], 2, 30_000, 3), (["vue"], 3, 50_000, 9),
        (["vue", "typescript"], 4, 80_000, 2), (["go"], 5, 200_000, 20), (["python", "vue"], 3, 60_000, 7),
    ]
    ids = []
    for i, (tags, difficulty, reward, days) in enumerate(specs):
        clock.advance(timedelta(minutes=1))
        t = world.open_task(merchant, title=f"任务编号 {i}", skill_tags=tags, difficulty=difficulty,
                            reward_fen=reward, deadline=(clock.now() + timedelta(days=days)).isoformat())
        ids.append(t["id"])
    return ids


def ids_of(r):
    assert r.status == 200, r.body
    return [t["id"] for t in r["items"]]


def test_newest_first_by_default(seeded):
    assert ids_of(call("GET", "/tasks")) == list(reversed(seeded))


def test_filters(seeded):
    t = seeded
    assert set(ids_of(call("GET", "/tasks", query={"tags": "python"}))) == {t[0], t[1], t[5]}
    assert set(ids_of(call("GET", "/tasks", query={"tags": "python,vue", "tag_mode": "all"}))) == {t[5]}
    assert set(ids_of(call("GET", "/tasks", query={"tags": "python,vue", "tag_mode": "any"}))) == {
        t[0], t[1], t[2], t[3], t[5]}
    assert set(ids_of(call("GET", "/tasks", query={"difficulty_min": 3, "difficulty_max": 4}))) == {t[2], t[3], t[5]}
    assert set(ids_of(call("GET", "/tasks", query={"reward_min": 50_000, "reward_max": 80_000}))) == {
        t[2], t[3], t[5]}


def test_three_filters_and_a_sort(seeded):
    r = call("GET", "/tasks", query={"tags": "python,vue", "difficulty_min": 2, "reward_min": 20_000,
                                     "sort": "reward"})
    assert ids_of(r) == [seeded[3], seeded[5], seeded[2], seeded[1]]


def test_deadline_filter_and_sort(seeded, clock):
    before = (clock.now() + timedelta(days=6)).isoformat()
    r = call("GET", "/tasks", query={"deadline_before": before, "sort": "deadline"})
    assert ids_of(r) == [seeded[3], seeded[1], seeded[0]]


def test_keyset_pagination_walks_everything_once(seeded):
    for sort in ("newest", "reward", "deadline"):
        seen, cursor = [], None
        while True:
            q = {"limit": 2, "sort": sort} | ({"cursor": cursor} if cursor else {})
            r = call("GET", "/tasks", query=q)
            seen += ids_of(r)
            cursor = r["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(seeded) and len(seen) == len(seeded)


def test_pagination_is_stable_under_concurrent_inserts(seeded, world, clock):
    merchant = world.merchant()
    world.open_task(merchant)  # review once
    page1 = call("GET", "/tasks", query={"limit": 3})
    clock.advance(timedelta(minutes=1))
    world.open_task(merchant, title="插队的新任务")  # newer than everything: must not shift page 2
    page2 = call("GET", "/tasks", query={"limit": 3, "cursor": page1["next_cursor"]})
    first, second = ids_of(page1), ids_of(page2)
    assert not set(first) & set(second)
    assert first + second == sorted(set(first + second), reverse=True)


def test_bad_queries_are_422_not_500(seeded):
    for q in ({"difficulty_min": 9}, {"sort": "random"}, {"limit": 0}, {"limit": "many"},
              {"difficulty_min": 4, "difficulty_max": 2}, {"reward_min": -1}, {"deadline_before": "tomorrow"},
              {"unknown": "x"}, {"deadline_before": "2026-12-20T00:00:00-23:59"},
              {"deadline_after": "2026-12-20T00:00:00+16:00"}, {"reward_max": str(2**63)}):
        r = call("GET", "/tasks", query=q)
        assert r.status == 422, (q, r.body)
        assert r["code"] == "VALIDATION_FAILED" and r["message"]
    r = call("GET", "/tasks", query={"cursor": "!!!"})
    assert r.status == 422 and r["code"] == "INVALID_CURSOR"


def test_expired_but_not_yet_swept_tasks_are_hidden(seeded, clock):
    clock.advance(timedelta(days=4))
    assert seeded[3] not in ids_of(call("GET", "/tasks"))  # deadline 2 days: passed, timer has not run


def test_hall_shows_merchant_response_rate(seeded):
    card = call("GET", "/tasks").body["items"][0]
    assert card["merchant_name"] and card["merchant_response_rate"] is None
