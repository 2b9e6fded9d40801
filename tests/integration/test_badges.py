"""Badges on the real database and the real event path: the pinned growth events (published here through a unit of
work, as growth will) and real core-loop events grant badges once however often they are delivered; several grants
at once are one notification; a backfill by replay grants silently; revocation is a compensating record; titles;
the admin routes with their preview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import clock, events
from shared.badges import queries
from shared.badges.service import SUBSCRIBER, list_badges, nightly_candidates, reconcile, run_digest, run_nightly
from shared.events.delivery import replay_events
from shared.uow import UnitOfWork, run
from tests.support.api import call
from tests.support.challenges import seed_badges
from tests.support.db import publish, rows, work_all


@pytest.fixture(autouse=True)
def seeded_badges(db):
    seed_badges()


def tell() -> int:
    """The digest timer, once the grants so far have settled (30 s)."""
    clock.get_clock().advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    return run_digest()["notified"]


def held(user_id: int) -> dict[str, int]:
    return {b.key: b.count for b in run(lambda uow: queries.badges_of(uow, user_id))}


def notifications(user_id: int) -> list[Any]:
    return rows("SELECT title, body, data FROM notifications WHERE user_id = :u AND kind = 'badge' ORDER BY id",
                u=user_id)


def xp(n: int, user: int, amount: int = 10) -> events.XpGranted:
    return events.XpGranted(user_id=user, amount=amount, source="task", ref=f"task:{n}", reason=f"任务 #{n}")


def rated(rating_id: int, developer: int, stars: int) -> events.RatingGiven:
    return events.RatingGiven(rating_id=rating_id, task_id=rating_id, rater_id=900, ratee_id=developer,
                              direction="merchant_to_developer", stars=stars)


def test_real_core_loop_events_grant_badges_once(world, db):
    merchant, developer = world.merchant(), world.developer()
    task = world.assigned_task(merchant, developer)  # the developer applied: ApplicationSubmitted
    delivery = {"content": "登录页已完成，含测试。", "links": []}
    r = call("POST", f"/work/{task['id']}/deliveries", delivery, developer.token)
    assert r.status == 201, r.body
    r = call("POST", f"/work/{task['id']}/accept", {"note": "好"}, merchant.token)
    assert r.status == 200, r.body
    work_all(retries_ok=True)
    mine = held(developer.user_id)
    assert mine.get("job_seeker") == 1 and mine.get("first_win") == 1
    assert "job_seeker" not in held(merchant.user_id)
    with db.connect() as conn:  # the read API takes a plain connection too (other areas' queries)
        assert {b.key for b in queries.badges_of(conn, developer.user_id)} == set(mine)
        assert queries.title_of(conn, developer.user_id) is None
    granted = rows("SELECT name, data FROM event_log WHERE name = 'BadgeGranted' AND user_ids @> ARRAY[CAST(:u AS"
                   " bigint)]", u=developer.user_id)
    assert {g.data["badge_key"] for g in granted} >= {"job_seeker", "first_win"}
    assert all(not g.data["backfill"] for g in granted)

    assert tell() == 1  # the developer hears of 入驻见面礼, 求职者 and 首单告捷 at once
    (note,) = notifications(developer.user_id)
    assert note.title == "获得 3 枚新徽章" and "求职者" in note.body and "首单告捷" in note.body
    assert sorted(b["key"] for b in note.data["badges"]) == ["first_win", "job_seeker", "welcome"]
    # The same events again (a replay of everything) change nothing and notify nobody again.
    before = len(notifications(developer.user_id))
    since, until = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    for name in ("ApplicationSubmitted", "TaskCompleted"):
        run(lambda uow, n=name: replay_events(uow, n, SUBSCRIBER, since, until))
    work_all(retries_ok=True)
    assert tell() == 0
    assert held(developer.user_id) == mine
    assert len(notifications(developer.user_id)) == before
    r = call("GET", "/leaderboards/badges", token=developer.token)
    assert r.status == 200 and {b["key"] for b in r["badges"]} >= {"job_seeker", "first_win"}


def test_the_same_event_twice_grants_once_and_several_grants_are_one_notification(world):
    dev = world.developer().user_id
    work_all(retries_ok=True)
    assert held(dev) == {"welcome": 1}  # the resume card was completed (ProfileCompleted)
    for i in range(1, 6):  # five ratings, each its own use case and event: five_stars, then high_scorer
        publish(rated(i, dev, 5))
    work_all(retries_ok=True)
    assert held(dev) == {"welcome": 1, "five_stars": 1, "high_scorer": 1}
    assert notifications(dev) == []  # nothing is told before the grants settle
    assert run_digest()["notified"] == 0
    assert tell() == 1
    (note,) = notifications(dev)
    assert note.title == "获得 3 枚新徽章" and all(n in note.body for n in ("入驻见面礼", "五星好评", "高分达人"))
    assert sorted(b["key"] for b in note.data["badges"]) == ["five_stars", "high_scorer", "welcome"]
    assert tell() == 0  # told once

    # the same events delivered again (a replay), and the worker run twice: still one grant each, no new notice
    since, until = clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1)
    run(lambda uow: replay_events(uow, "RatingGiven", SUBSCRIBER, since, until))
    work_all(retries_ok=True)
    work_all(retries_ok=True)
    assert held(dev) == {"welcome": 1, "five_stars": 1, "high_scorer": 1}
    assert rows("SELECT count(*) AS n FROM badge_grants WHERE user_id = :u", u=dev)[0].n == 3
    assert tell() == 0 and len(notifications(dev)) == 1
    assert len(rows("SELECT 1 FROM event_log WHERE name = 'BadgeGranted'")) == 3


def test_growth_contract_events_grant_xp_level_and_challenge_badges(world):
    dev = world.developer().user_id
    publish(events.XpGranted(user_id=dev, amount=600, source="task", ref="task:1", reason="任务 #1"),
            events.XpGranted(user_id=dev, amount=400, source="challenge", ref="ch:1", reason="挑战"),
            events.LevelChanged(user_id=dev, old_level="B", new_level="A", direction="promoted", reasons=("够了",)),
            events.ChallengeCompleted(user_id=dev, challenge_key="reg_w1", challenge_name="新手第一周",
                                      window="reg:w1", points=50))
    work_all(retries_ok=True)
    assert {"xp_1000", "level_a", "challenger"} <= set(held(dev))
    # a demotion revokes the revocable level badge with a compensating record and its reason
    publish(events.LevelChanged(user_id=dev, old_level="A", new_level="B", direction="demoted"))
    work_all(retries_ok=True)
    assert "level_a" not in held(dev)
    (rev,) = rows("SELECT r.reason, r.admin_id FROM badge_revocations r JOIN badge_grants g ON g.id = r.grant_id"
                  " WHERE g.user_id = :u", u=dev)
    assert "需 A 或以上" in rev.reason and rev.admin_id is None
    assert rows("SELECT 1 FROM event_log WHERE name = 'BadgeRevoked'")
    # promoted again: granted again under a new business key, the old grant stays revoked
    publish(events.LevelChanged(user_id=dev, old_level="B", new_level="A", direction="promoted"))
    work_all(retries_ok=True)
    assert held(dev)["level_a"] == 1
    refs = [r.ref for r in rows("SELECT ref FROM badge_grants WHERE user_id = :u AND badge_key = 'level_a'"
                                " ORDER BY id", u=dev)]
    assert refs == ["once", "once:2"]


def test_high_scorer_is_revoked_when_the_average_drops_and_the_title_comes_off(world):
    developer = world.developer()
    dev = developer.user_id
    publish(*[rated(i, dev, 5) for i in range(1, 6)])
    work_all(retries_ok=True)
    assert "high_scorer" in held(dev)
    r = call("PUT", "/leaderboards/badges/title", {"badge_key": "high_scorer"}, developer.token)
    assert r.status == 200 and r["title"]["key"] == "high_scorer", r.body
    assert run(lambda uow: queries.title_of(uow, dev)).name == "高分达人"
    r = call("PUT", "/leaderboards/badges/title", {"badge_key": "five_stars"}, developer.token)
    assert r.status == 409 and r["code"] == "BADGE_NOT_WEARABLE"
    r = call("PUT", "/leaderboards/badges/title", {"badge_key": "steady_output"}, developer.token)
    assert r.status == 409 and r["code"] == "BADGE_NOT_HELD"

    publish(rated(6, dev, 1))  # 26 / 6 = 4.33 < 4.8
    work_all(retries_ok=True)
    assert "high_scorer" not in held(dev)
    assert run(lambda uow: queries.title_of(uow, dev)) is None
    assert [n.title for n in notifications(dev)][-1] == "徽章已收回"


def test_an_operator_creates_previews_and_enables_a_badge_which_backfills_silently(world):
    admin = world.admin()
    devs = [world.developer().user_id for _ in range(3)]
    d1, d2, d3 = devs
    publish(*[xp(100 + i, d) for i, d in enumerate(devs)], xp(200, d1), xp(201, d1))
    work_all(retries_ok=True)
    tell()
    notes_before = {d: len(notifications(d)) for d in devs}
    body = {"key": "hat_trick", "name": "帽子戏法", "description": "获得 3 次 XP", "rule_kind": "count",
            "params": {"event": "XpGranted", "n": 3}, "triggers": ["XpGranted"], "wearable": True}
    r = call("POST", "/admin/badges/preview", body, admin.token)
    assert r.status == 200 and r["users"] == 1 and r["new"] == 1 and r["sample"] == [d1], r.body
    r = call("POST", "/admin/badges", body, admin.token)
    assert r.status == 201 and r["enabled"] is False, r.body
    assert call("POST", "/admin/badges", body, admin.token)["code"] == "BADGE_KEY_TAKEN"
    edit = {k: v for k, v in body.items() if k != "key"}
    bad = {**edit, "params": {"event": "XpGranted", "n": 0}}
    r = call("PUT", "/admin/badges/hat_trick", bad, admin.token)
    assert r.status == 422 and r["errors"][0]["field"] == "params.n"
    r = call("PUT", "/admin/badges/hat_trick", {**edit, "repeatable": True, "revocable": True}, admin.token)
    assert r.status == 422 and r["errors"] == [{"field": "revocable", "message": "可重复获得的徽章不能设为可收回"}]

    # disabled: a new event grants nothing
    publish(xp(300, d2), xp(301, d2))
    work_all(retries_ok=True)
    assert "hat_trick" not in held(d2)
    r = call("POST", "/admin/badges/hat_trick/preview", None, admin.token)
    assert r.status == 200 and r["users"] == 2 and r["new"] == 2

    r = call("POST", "/admin/badges/hat_trick/enable", {"reason": "上线"}, admin.token)
    assert r.status == 200 and r["badge"]["enabled"] and r["backfill_queued"] >= 7, r.body
    work_all(retries_ok=True)
    assert held(d1).get("hat_trick") == 1 and held(d2).get("hat_trick") == 1 and "hat_trick" not in held(d3)
    grants = rows("SELECT backfill FROM badge_grants WHERE badge_key = 'hat_trick'")
    assert len(grants) == 2 and all(g.backfill for g in grants)
    assert tell() == 0
    assert {d: len(notifications(d)) for d in devs} == notes_before  # a backfill notifies nobody
    assert all(e.data["backfill"] for e in rows("SELECT data FROM event_log WHERE name = 'BadgeGranted' AND"
                                                " data->>'badge_key' = 'hat_trick'"))
    r = call("GET", "/admin/badges", token=admin.token)
    assert {b["key"]: b["holders"] for b in r.body}["hat_trick"] == 2

    # a raised threshold, on an enabled badge: a new version, backfilled again; nothing is taken (not revocable)
    r = call("PUT", "/admin/badges/hat_trick", {**edit, "params": {"event": "XpGranted", "n": 4},
                                                "reason": "提高门槛"}, admin.token)
    assert r.status == 200 and r["version"] == 2
    work_all(retries_ok=True)
    assert held(d1).get("hat_trick") == 1
    audit = rows("SELECT data->>'action' AS a FROM event_log WHERE name = 'AdminAudited' AND data->>'action' LIKE"
                 " 'badge.%' ORDER BY id")
    assert [a.a for a in audit] == ["badge.create", "badge.enable", "badge.update"]


def test_operator_revocation_only_for_revocable_badges(world):
    admin = world.admin()
    dev = world.developer().user_id
    publish(*[rated(i, dev, 5) for i in range(1, 6)], events.ProfileCompleted(user_id=dev, skills=("python",)))
    work_all(retries_ok=True)
    assert "welcome" in held(dev)
    r = call("POST", "/admin/badges/welcome/revoke", {"user_id": dev, "reason": "误发"}, admin.token)
    assert r.status == 409 and r["code"] == "BADGE_NOT_REVOCABLE"
    r = call("POST", "/admin/badges/high_scorer/revoke", {"user_id": dev, "reason": "刷分"}, admin.token)
    assert r.status == 200 and r["revoked"] == 1
    assert "high_scorer" not in held(dev)
    r = call("POST", "/admin/badges/high_scorer/revoke", {"user_id": dev, "reason": "刷分"}, admin.token)
    assert r.status == 409 and r["code"] == "BADGE_NOT_HELD"
    assert call("POST", "/admin/badges/nope/revoke", {"user_id": dev, "reason": "x"}, admin.token).status == 404


def test_the_nightly_recheck_grants_what_time_made_true_and_is_idempotent(world, clock):
    dev = world.developer().user_id
    # a 1-star and four 5-stars (4.2), then five more 5-stars a month later (4.6): not a high scorer ...
    publish(rated(1, dev, 1), *[rated(i, dev, 5) for i in range(2, 6)])
    clock.advance(timedelta(days=30))
    publish(*[rated(10 + i, dev, 5) for i in range(5)])
    work_all(retries_ok=True)
    tell()
    assert "high_scorer" not in held(dev)
    # ... until the first month leaves the 90-day window: no new event, the nightly re-check grants it (notified)
    clock.advance(timedelta(days=61))
    first = run_nightly()
    assert first["granted"] >= 1
    assert "high_scorer" in held(dev)
    again = run_nightly()
    assert again["granted"] == 0 and again["revoked"] == 0
    assert tell() == 1 and tell() == 0
    assert [n.title for n in notifications(dev)].count("获得新徽章：高分达人") == 1


def test_the_nightly_rechecks_only_users_whose_verdict_time_or_new_events_can_have_changed(world, clock):
    """A windowed badge taken back by time alone (its ratings leave the 90-day window) and a grant whose live
    delivery has not happened caught up, while a holder whose ratings are still inside the window and a user whose
    new events were delivered live are not re-read at all."""
    leaving, staying, fresh, lost = (world.developer().user_id for _ in range(4))
    publish(*[rated(100 + i, leaving, 5) for i in range(5)])
    clock.advance(timedelta(days=40))
    publish(*[rated(200 + i, staying, 5) for i in range(5)])
    work_all(retries_ok=True)
    assert "high_scorer" in held(leaving) and "high_scorer" in held(staying)
    clock.advance(timedelta(days=51))  # day 91: the first five ratings have just left the window
    publish(*[rated(300 + i, fresh, 5) for i in range(5)])
    work_all(retries_ok=True)  # delivered live: reconciled already, granted
    assert "high_scorer" in held(fresh)
    publish(*[rated(400 + i, lost, 5) for i in range(5)])  # not delivered (yet): the nightly catches it up
    badges = run(lambda uow: list_badges(uow, enabled_only=True))
    users = run(lambda uow: nightly_candidates(uow, badges))
    assert leaving in users and lost in users and staying not in users and fresh not in users
    before = sum(held(lost).values())
    first = run_nightly()
    assert "high_scorer" not in held(leaving) and "high_scorer" in held(staying) and "high_scorer" in held(lost)
    assert first["revoked"] == 1 and first["granted"] == sum(held(lost).values()) - before  # lost's only
    again = run_nightly()
    assert (again["revoked"], again["granted"]) == (0, 0)


def _badge_writes(uow: UnitOfWork, users: list[int]) -> dict[str, list[Any]]:
    """Everything a reconciliation of `users` writes, without ids (they differ between two runs)."""
    q = {"us": users}
    return {
        "grants": uow.execute(
            "SELECT g.user_id, g.badge_key, g.ref, g.reason, g.backfill, g.notified_at, r.reason AS revoked, r.admin_id"
            " FROM badge_grants g LEFT JOIN badge_revocations r ON r.grant_id = g.id WHERE g.user_id = ANY(:us)"
            " ORDER BY g.user_id, g.badge_key, g.ref", q).all(),
        "titles": uow.execute("SELECT user_id, badge_key FROM badge_titles WHERE user_id = ANY(:us) ORDER BY 1",
                              q).all(),
        "events": uow.execute("SELECT name, user_ids, data FROM event_log WHERE name IN ('BadgeGranted',"
                              " 'BadgeRevoked') AND user_ids && CAST(:us AS bigint[]) ORDER BY id", q).all(),
        "notices": uow.execute("SELECT user_id, kind, title, body, data, dedupe_key FROM notifications"
                               " WHERE user_id = ANY(:us) ORDER BY id", q).all(),
    }


def test_a_batch_reconciliation_writes_exactly_what_one_user_at_a_time_would(world, clock):
    a, b, c, d, e = (world.developer() for _ in range(5))
    publish(*[rated(100 + i, a.user_id, 5) for i in range(5)])  # a: a high scorer, wearing it as a title ...
    publish(rated(1, b.user_id, 1), *[rated(i, b.user_id, 5) for i in range(2, 6)])  # b: 4.2, not yet
    work_all(retries_ok=True)
    assert call("PUT", "/leaderboards/badges/title", {"badge_key": "high_scorer"}, a.token).status == 200
    clock.advance(timedelta(days=30))
    publish(*[rated(10 + i, b.user_id, 5) for i in range(5)])
    publish(events.LevelChanged(user_id=c.user_id, old_level="B", new_level="A", direction="promoted"))
    work_all(retries_ok=True)
    publish(events.LevelChanged(user_id=c.user_id, old_level="A", new_level="B", direction="demoted"))
    work_all(retries_ok=True)
    tell()
    assert "high_scorer" in held(a.user_id) and "level_a" not in held(c.user_id)
    clock.advance(timedelta(days=61))  # ... until a's ratings leave the 90-day window; b's first month leaves it too
    # Not delivered (no work_all): only the reconciliation sees them. c: A again (a second grant: "once:2"); d: 1200 XP
    # and two weekly top-10 ranks (a repeatable badge, one grant each); e: nothing.
    publish(events.LevelChanged(user_id=c.user_id, old_level="B", new_level="A", direction="promoted"),
            xp(1, d.user_id, 600), xp(2, d.user_id, 600),
            *[events.RankReached(user_id=d.user_id, board="weekly", period=p, rank=3)
              for p in ("2026-W01", "2026-W02")])
    users = [e.user_id, d.user_id, c.user_id, b.user_id, a.user_id]
    badges = run(lambda uow: list_badges(uow, enabled_only=True))

    with UnitOfWork() as uow:  # one user at a time, in id order as the re-check goes; never committed
        for user_id in sorted(users):
            reconcile(uow, [user_id], badges, backfill=False, notify_key="nightly:test")
        one_by_one = _badge_writes(uow, users)
    before = run(lambda uow: _badge_writes(uow, users))
    outcomes = run(lambda uow: reconcile(uow, users, badges, backfill=False, notify_key="nightly:test"))
    batched = run(lambda uow: _badge_writes(uow, users))

    assert batched == one_by_one and batched != before
    assert {u: ([(bd.key, ref) for bd, ref in o.granted], [bd.key for bd, _ in o.revoked])
            for u, o in outcomes.items()} == {
        a.user_id: ([], ["high_scorer"]),
        b.user_id: ([("high_scorer", "once")], []),
        c.user_id: ([("level_a", "once:2")], []),
        d.user_id: ([("weekly_top10", "2026-W01:weekly"), ("weekly_top10", "2026-W02:weekly"), ("xp_1000", "once")],
                    []),
    }
    assert run(lambda uow: queries.title_of(uow, a.user_id)) is None
    assert [n.title for n in notifications(a.user_id)][-1] == "徽章已收回"
    # the same again changes nothing
    assert run(lambda uow: reconcile(uow, users, badges, backfill=False, notify_key="nightly:test")) == {}
    assert run(lambda uow: _badge_writes(uow, users)) == batched
