"""Growth on the real database, driven by real events: accept + rate through the API, the after-commit subscribers
worked off by the jobs worker. The same event twice grants once, a replay changes nothing, the daily cap holds under
concurrent grants, fair play, levels with their notice, /growth/me and the admin points routes."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import jobs
from shared.events import ChallengeCompleted
from shared.events.delivery import deliver, load, replay_events
from shared.growth import points
from shared.uow import run
from tests.support.api import call
from tests.support.challenges import seed_badges
from tests.support.db import rows, scalar, work_all
from tests.support.payouts import accept, delivered_task


def rate(merchant, task_id, stars):
    r = call("POST", f"/work/{task_id}/ratings", {"stars": stars, "comment": "不错"}, merchant.token)
    assert r.status in (200, 201), r.body


def completed_and_rated(world, merchant, dev, stars=5, **over):
    task = delivered_task(world, merchant, dev, **over)
    accept(merchant, task["id"])
    rate(merchant, task["id"], stars)
    jobs.work()
    return task


def skill_points(user_id):
    return {r.skill: r.points for r in rows("SELECT skill, points FROM user_skills WHERE user_id = :u", u=user_id)}


def test_a_rated_task_grants_skill_points_and_xp_once(world):
    merchant, dev = world.merchant(), world.developer()
    task = completed_and_rated(world, merchant, dev, stars=5, difficulty=4, skill_tags=["python", "vue"])
    assert skill_points(dev.user_id) == {"python": 8, "vue": 8}
    assert scalar("SELECT xp FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == 5 * 4 * 10
    [entry] = rows("SELECT reason, month FROM xp_entries WHERE user_id = :u", u=dev.user_id)
    assert f"任务 #{task['id']} 获得 5 星评价" in entry.reason
    names = [r.name for r in rows("SELECT name FROM event_log WHERE name IN ('SkillPointsGranted', 'XpGranted')")]
    assert sorted(names) == ["SkillPointsGranted", "XpGranted"]
    # The same events delivered again (a retried job: the marker) and replayed (bypassing it): nothing more.
    for name, sub in (("TaskCompleted", "growth.task_completed"), ("RatingGiven", "growth.rating_given")):
        event_id = scalar("SELECT id FROM event_log WHERE name = :n", n=name)
        deliver({"event_id": event_id, "subscriber": sub})
        now = datetime.now().astimezone()
        for _ in range(2):
            run(lambda uow, n=name, s=sub, t=now: replay_events(uow, n, s, t - timedelta(days=400),
                                                                t + timedelta(days=400)))
            jobs.work()
    assert skill_points(dev.user_id) == {"python": 8, "vue": 8}
    assert scalar("SELECT xp FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == 200
    assert scalar("SELECT count(*) FROM skill_point_entries") == 2
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'XpGranted'") == 1


def test_a_low_rating_gives_xp_but_no_skill_points_and_3_stars_half(world):
    merchant, dev = world.merchant(), world.developer()
    completed_and_rated(world, merchant, dev, stars=2, difficulty=2, skill_tags=["go"])
    assert skill_points(dev.user_id) == {}
    assert scalar("SELECT xp FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == 2 * 2 * 10
    completed_and_rated(world, world.merchant(), dev, stars=3, difficulty=2, skill_tags=["go"])
    assert skill_points(dev.user_id) == {"go": 2}


def test_repeated_ratings_from_one_merchant_decay_with_the_reason_shown(world):
    merchant, dev = world.merchant(), world.developer()
    completed_and_rated(world, merchant, dev, stars=5, difficulty=3, skill_tags=["python"])
    completed_and_rated(world, merchant, dev, stars=5, difficulty=3, skill_tags=["python"])
    assert skill_points(dev.user_id) == {"python": 6 + 3}
    reasons = [r.reason for r in rows("SELECT reason FROM xp_entries WHERE user_id = :u ORDER BY id", u=dev.user_id)]
    assert "同一商家" not in reasons[0] and "同一商家 30 天内第 2 次评价，成长按 50% 计" in reasons[1]


def test_the_same_person_earns_nothing_and_the_pair_is_flagged(world):
    merchant, dev = world.merchant(), world.developer()
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as conn:  # the merchant's account and the developer's share a WeChat unionid
        conn.execute(text("UPDATE users SET unionid = 'u-same' WHERE id IN (:m, :d)"),
                     {"m": merchant.user_id, "d": dev.user_id})
    completed_and_rated(world, merchant, dev, stars=5, difficulty=3)
    assert skill_points(dev.user_id) == {}
    assert scalar("SELECT coalesce(xp, 0) FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == 0
    [flag] = rows("SELECT merchant_id, developer_id, reasons FROM growth_fair_play_flags")
    assert (flag.merchant_id, flag.developer_id, flag.reasons) == (merchant.user_id, dev.user_id, ["相同微信 unionid"])
    admin = world.admin()
    r = call("GET", "/growth/admin/fair-play", token=admin.token)
    assert r.status == 200 and r["items"][0]["developer_id"] == dev.user_id
    assert call("GET", "/growth/admin/fair-play", token=dev.token).status == 403


def test_a_merchant_paying_with_the_developers_wechat_is_the_same_person(world):
    merchant, dev = world.merchant(), world.developer()
    task = delivered_task(world, merchant, dev)
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as conn:  # the escrow was paid from the developer's own WeChat Pay
        conn.execute(text("UPDATE payment_orders SET payer_openid = (SELECT openid FROM users WHERE id = :d)"
                          " WHERE payer_id = :m"), {"d": dev.user_id, "m": merchant.user_id})
    accept(merchant, task["id"])
    rate(merchant, task["id"], 5)
    jobs.work()
    assert skill_points(dev.user_id) == {}
    assert rows("SELECT reasons FROM growth_fair_play_flags")[0].reasons == ["商家用开发者的微信支付"]
    why = scalar("SELECT fair_reason FROM growth_tasks WHERE task_id = :t", t=task["id"])
    assert why.startswith("商家与开发者疑似同一人")
    assert call("GET", "/growth/me", token=dev.token)["level"]["tasks"] == 0  # not counted for levels either


def test_promotion_on_the_rating_is_logged_published_and_notified(world):
    dev = world.developer()
    for _ in range(3):
        completed_and_rated(world, world.merchant(), dev, stars=4)
    assert scalar("SELECT level FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == "B"
    [change] = rows("SELECT old_level, new_level, direction, reasons, trigger FROM level_changes")
    assert (change.old_level, change.new_level, change.direction, change.trigger) == ("C", "B", "promoted", "rating")
    assert any("完成任务 3 个" in r for r in change.reasons)
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'LevelChanged'") == 1
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'level_changed'",
                  u=dev.user_id) == 1
    me = call("GET", "/growth/me", token=dev.token)
    assert me.status == 200, me.body
    assert me["level"]["level"] == "B" and me["level"]["next_level"] == "A"
    assert "还差 3 个不同商家的好评" not in me["level"]["missing"]  # 3 distinct merchants rated 4 stars
    assert me["level"]["missing"][0] == "还差 7 个完成的任务"
    assert {s["skill"] for s in me["skills"]} == {"python", "vue"}
    assert me["categories"][0]["category"] in ("backend", "frontend")
    assert me["monthly"][0]["xp"] == 3 * 4 * 3 * 10 and me["xp"] == 360
    held = {r.badge_key for r in rows("SELECT badge_key FROM badge_grants WHERE user_id = :u", u=dev.user_id)}
    assert {b["key"] for b in me["badges"]} == held and me["title"] is None
    public = call("GET", f"/profiles/developers/{dev.user_id}")
    assert public["growth"]["level"] == "B" and public["growth"]["xp"] == 360
    assert {b["key"] for b in public["growth"]["badges"]} == held


def test_badges_and_the_worn_title_show_on_growth_me_and_on_the_public_card_while_skills_are_public(world):
    seed_badges()
    dev = world.developer()
    fresh = call("GET", "/growth/me", token=dev.token)
    assert fresh["title"] is None and fresh["title_badge"] is None
    assert [b["key"] for b in fresh["badges"]] == [r.badge_key for r in rows(
        "SELECT badge_key FROM badge_grants WHERE user_id = :u ORDER BY granted_at DESC", u=dev.user_id)]
    run(lambda uow: _challenge(uow, dev.user_id, "weekly", 50))
    work_all()
    assert scalar("SELECT count(*) FROM badge_grants WHERE user_id = :u AND badge_key = 'challenger'",
                  u=dev.user_id) == 1
    r = call("PUT", "/leaderboards/badges/title", {"badge_key": "challenger"}, dev.token)
    assert r.status == 200, r.body
    me = call("GET", "/growth/me", token=dev.token)
    challenger = next(b for b in me["badges"] if b["key"] == "challenger")
    assert challenger["name"] == "挑战者" and challenger["count"] == 1 and challenger["wearable"]
    assert me["title"] == "挑战者" and me["title_badge"] == {"key": "challenger", "name": "挑战者"}
    public = call("GET", f"/profiles/developers/{dev.user_id}")["growth"]
    assert public["title"] == "挑战者" and "challenger" in {b["key"] for b in public["badges"]}
    assert public["xp"] == scalar("SELECT coalesce(sum(amount), 0) FROM xp_entries WHERE user_id = :u",
                                  u=dev.user_id)
    # The developer hides their skills: the growth part (badges and title with it) leaves the public card.
    r = call("PUT", "/profiles/developer", {"display_name": "dev", "headline": "全栈工程师", "bio": "五年经验",
                                            "skills": ["python"], "public_fields": ["display_name", "headline"]},
             dev.token)
    assert r.status == 200, r.body
    assert call("GET", f"/profiles/developers/{dev.user_id}")["growth"] is None
    assert call("GET", "/growth/me", token=dev.token)["title"] == "挑战者"  # their own view keeps everything


def test_nightly_demotion_waits_for_the_grace_period(world, clock):
    dev = world.developer()
    for stars in (5, 5, 5):
        completed_and_rated(world, world.merchant(), dev, stars=stars)
    assert scalar("SELECT level FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == "B"
    completed_and_rated(world, world.merchant(), dev, stars=1)
    completed_and_rated(world, world.merchant(), dev, stars=1)  # avg 3.4 < 4.0 × 0.9
    assert scalar("SELECT level FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == "B"
    assert scalar("SELECT below_since FROM growth_profiles WHERE user_id = :u", u=dev.user_id) is not None
    from tests.support.db import timer

    clock.advance(timedelta(days=13))
    assert timer("growth_levels")["demoted"] == 0
    clock.advance(timedelta(days=1))
    assert timer("growth_levels")["demoted"] == 1
    assert scalar("SELECT level FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == "C"
    assert rows("SELECT direction, trigger FROM level_changes ORDER BY id")[-1] == ("demoted", "nightly")


# --- points ---------------------------------------------------------------------------------------------------------

def _challenge(uow, user_id, key, pts):
    return uow.publish(ChallengeCompleted(user_id=user_id, challenge_key=key, challenge_name=key, window="w1",
                                          points=pts))


def test_challenge_points_are_capped_per_day_and_once_per_event(world):
    dev = world.developer()
    for key, pts in (("a", 150), ("b", 100), ("c", 30)):
        run(lambda uow, k=key, p=pts: _challenge(uow, dev.user_id, k, p))
    jobs.work()
    got = [tuple(r) for r in rows("SELECT requested, delta FROM points_entries WHERE user_id = :u ORDER BY id",
                                  u=dev.user_id)]
    assert got == [(150, 150), (100, 50), (30, 0)]
    assert scalar("SELECT points_balance FROM developer_profiles WHERE user_id = :u", u=dev.user_id) == 200
    event_id = scalar("SELECT id FROM event_log WHERE name = 'ChallengeCompleted' ORDER BY id LIMIT 1")
    stored = run(lambda uow: load(uow, event_id, replay=True))
    from shared.growth.subscribers import on_challenge_completed

    run(lambda uow: on_challenge_completed(uow, stored))  # delivered once more: nothing
    assert scalar("SELECT count(*) FROM points_entries") == 3
    me = call("GET", "/growth/me", token=dev.token)
    assert me["points"]["balance"] == 200
    assert "今日挑战积分已达上限 200，实得 50" in me["points"]["history"][1]["reason"]
    # Paid work is never capped.
    run(lambda uow: points.grant_points(uow, dev.user_id, 5_000, source_class="work", kind="work", ref="t1",
                                        reason="任务奖励积分"))
    assert scalar("SELECT points_balance FROM developer_profiles WHERE user_id = :u", u=dev.user_id) == 5_200


def test_concurrent_grants_never_pass_the_cap(world):
    dev = world.developer()
    barrier = threading.Barrier(6)
    errors = []

    def grant(i):
        try:
            barrier.wait()
            run(lambda uow: points.grant_points(uow, dev.user_id, 60, source_class="challenge", kind="challenge",
                                                ref=f"c{i}", reason="挑战"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=grant, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert scalar("SELECT sum(delta) FROM points_entries WHERE user_id = :u", u=dev.user_id) == 200
    assert scalar("SELECT credited FROM points_daily WHERE user_id = :u", u=dev.user_id) == 200


def test_operators_change_the_cap_without_a_deploy(world):
    dev, admin = world.developer(), world.admin()
    r = call("PUT", "/admin/rules/growth_points_daily_caps", {"value": {"challenge": 50}}, admin.token)
    assert r.status == 200, r.body
    refused = call("PUT", "/admin/rules/growth_points_daily_caps", {"value": {"work": 50}}, admin.token)
    assert refused.status == 422  # paid work is never capped
    g = run(lambda uow: points.grant_points(uow, dev.user_id, 80, source_class="challenge", kind="challenge",
                                            ref="c", reason="挑战"))
    assert g is not None and g.delta == 50


def test_the_cap_is_per_asia_shanghai_day_of_the_cause(world, clock):
    dev = world.developer()
    at = clock.now()
    late = at + timedelta(days=1)
    run(lambda uow: points.grant_points(uow, dev.user_id, 200, source_class="challenge", kind="challenge", ref="x",
                                        reason="挑战", at=at))
    # A grant for yesterday's challenge delivered today still counts against yesterday.
    clock.advance(timedelta(days=1))
    g = run(lambda uow: points.grant_points(uow, dev.user_id, 50, source_class="challenge", kind="challenge",
                                            ref="y", reason="挑战", at=at))
    assert g is not None and g.delta == 0
    g = run(lambda uow: points.grant_points(uow, dev.user_id, 50, source_class="challenge", kind="challenge",
                                            ref="z", reason="挑战", at=late))
    assert g is not None and g.delta == 50


def test_operators_grant_deduct_and_reverse_with_a_reason(world):
    dev, admin = world.developer(), world.admin()
    body = {"user_id": dev.user_id, "delta": 80, "reason": "社区活动奖励", "request_id": "r-1"}
    assert call("POST", "/growth/admin/points", body, dev.token).status == 403
    r = call("POST", "/growth/admin/points", body, admin.token)
    assert r.status == 201, r.body
    again = call("POST", "/growth/admin/points", body, admin.token)  # a double submit grants once
    assert again.status == 201 and again["entry_id"] == r["entry_id"]
    r2 = call("POST", "/growth/admin/points", {**body, "delta": -30, "reason": "违规扣除", "request_id": "r-2"},
              admin.token)
    assert r2.status == 201
    rev = call("POST", f"/growth/admin/points/{r['entry_id']}/reverse", {"reason": "误发"}, admin.token)
    assert rev.status == 201 and rev["delta"] == -80
    assert call("POST", f"/growth/admin/points/{r['entry_id']}/reverse", {"reason": "误发"},
                admin.token)["code"] == "ALREADY_REVERSED"
    assert call("POST", "/growth/admin/points/999999/reverse", {"reason": "误发冲正"}, admin.token).status == 404
    assert call("POST", "/growth/admin/points", {**body, "user_id": 999999, "request_id": "r-3"},
                admin.token)["code"] == "USER_NOT_FOUND"
    assert scalar("SELECT points_balance FROM developer_profiles WHERE user_id = :u", u=dev.user_id) == -30
    actions = [r.data["action"] for r in rows("SELECT data FROM event_log WHERE name = 'AdminAudited' ORDER BY id")]
    assert actions[-3:] == ["points.grant", "points.deduct", "points.reverse"]
    # The user's history: every entry with its reason and source, newest first, by keyset pages.
    page = call("GET", "/growth/me/points", token=dev.token, query={"limit": 2})
    assert [e["delta"] for e in page["items"]] == [-80, -30]
    assert page["items"][0]["source_class"] == "reversal" and page["items"][0]["reason"] == "误发"
    rest = call("GET", "/growth/me/points", token=dev.token, query={"limit": 2, "cursor": page["next_cursor"]})
    assert [e["delta"] for e in rest["items"]] == [80] and rest["next_cursor"] is None
    assert call("GET", "/growth/me/points", token=dev.token, query={"cursor": "bad"}).status == 422


def test_mentor_reviews_and_challenges_earn_xp(world):
    from shared.events import MentorReviewGiven

    dev = world.developer()
    run(lambda uow: uow.publish(MentorReviewGiven(enrolment_id=7, mentor_id=dev.user_id, developer_id=dev.user_id,
                                                  score=90, accepted=True, letter=True)))
    run(lambda uow: uow.publish(ChallengeCompleted(user_id=dev.user_id, challenge_key="weekly", challenge_name="每周",
                                                   window="2026-W49", xp=30)))
    jobs.work()
    got = {r.source: r.amount for r in rows("SELECT source, amount FROM xp_entries WHERE user_id = :u",
                                            u=dev.user_id)}
    assert got == {"mentor_review": 70, "challenge": 30}


def test_reversing_a_tasks_growth_is_a_compensating_entry(world):
    merchant, dev = world.merchant(), world.developer()
    task = completed_and_rated(world, merchant, dev, stars=5, difficulty=4, skill_tags=["python"])
    admin = world.admin()
    r = call("POST", f"/growth/admin/tasks/{task['id']}/reverse", {"reason": "刷单"}, admin.token)
    assert r.status == 200, r.body
    assert skill_points(dev.user_id) == {"python": 0}
    assert scalar("SELECT xp FROM growth_profiles WHERE user_id = :u", u=dev.user_id) == 0
    assert scalar("SELECT count(*) FROM skill_point_entries") == 2  # the grant and its compensation
    assert call("GET", "/growth/me", token=dev.token)["level"]["tasks"] == 0  # and it no longer counts for levels
    r = call("POST", f"/growth/admin/tasks/{task['id']}/reverse", {"reason": "刷单"}, admin.token)
    assert r["xp"] == 0 and r["skills"] == 0  # once



# --- the hall's match sort ------------------------------------------------------------------------------------------

def test_the_match_sort_ranks_by_skill_points_and_level_with_reasons(world):
    merchant, dev = world.merchant(), world.developer()
    completed_and_rated(world, merchant, dev, stars=5, difficulty=4, skill_tags=["python"])  # python 8, level C
    fit = world.open_task(merchant, skill_tags=["python"], difficulty=2)
    level_only = world.open_task(merchant, skill_tags=["go"], difficulty=2)
    hard = world.open_task(merchant, skill_tags=["python", "vue"], difficulty=5)
    page = call("GET", "/tasks", token=dev.token, query={"sort": "match", "limit": 2})
    assert page.status == 200, page.body
    assert [t["id"] for t in page["items"]] == [fit["id"], level_only["id"]]
    first = page["items"][0]
    assert first["match_score"] == (800 * 7_000 + 10_000 * 3_000) // 10_000
    assert first["match_reasons"] == ["难度适合", "Python 技能 8 分"]
    rest = call("GET", "/tasks", token=dev.token, query={"sort": "match", "limit": 2, "cursor": page["next_cursor"]})
    assert [t["id"] for t in rest["items"]] == [hard["id"]] and rest["next_cursor"] is None
    assert rest["items"][0]["match_score"] == 400 * 7_000 // 10_000
    # The SQL's score is the pure rule's, for every card.
    from shared.growth.queries import match_profile

    profile = run(lambda uow: match_profile(uow, dev.user_id))
    for card in page["items"] + rest["items"]:
        assert card["match_score"] == profile.score(card["skill_tags"], card["difficulty"]).score
    # Anonymous visitors match as a level C developer without skills; a cursor of another sort is refused.
    anon = call("GET", "/tasks", query={"sort": "match"})
    assert anon.status == 200 and anon["items"][0]["match_reasons"] == ["难度适合"]
    assert call("GET", "/tasks", query={"sort": "newest", "limit": 1}).status == 200
    bad = call("GET", "/tasks", query={"sort": "match", "cursor": call("GET", "/tasks", query={
        "sort": "newest", "limit": 1})["next_cursor"]})
    assert bad.status == 422 and bad["code"] == "INVALID_CURSOR"


def test_merchants_see_applicants_ranked_by_fit_with_reasons(world):
    merchant, seasoned, newcomer = world.merchant(), world.developer(), world.developer()
    completed_and_rated(world, world.merchant(), seasoned, stars=5, difficulty=4, skill_tags=["python"])
    task = world.open_task(merchant, skill_tags=["python"], difficulty=2)
    first = call("POST", "/applications", {"task_id": task["id"]}, newcomer.token)  # applied first
    second = call("POST", "/applications", {"task_id": task["id"]}, seasoned.token)
    by_time = call("GET", "/applications", token=merchant.token, query={"task_id": task["id"]})
    assert [a["id"] for a in by_time["items"]] == [first["id"], second["id"]]
    assert by_time["items"][0]["fit_score"] is None
    page = call("GET", "/applications", token=merchant.token, query={"task_id": task["id"], "sort": "fit",
                                                                     "limit": 1})
    assert page.status == 200, page.body
    [best] = page["items"]
    assert best["id"] == second["id"] and best["fit_reasons"][0] == "评分 5.0（1 次）"
    # match 3000+560=3560 × 0.6 + rating 10000 × 0.25 + reliability 1000 × 0.15
    assert best["fit_score"] == (3_560 * 6_000 + 10_000 * 2_500 + 1_000 * 1_500) // 10_000
    rest = call("GET", "/applications", token=merchant.token, query={"task_id": task["id"], "sort": "fit",
                                                                     "cursor": page["next_cursor"]})
    assert [a["id"] for a in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert rest["items"][0]["fit_reasons"] == ["难度适合"] and rest["items"][0]["fit_score"] == 3_000 * 6_000 // 10_000


def test_nightly_promotes_when_operators_lower_a_threshold_in_batches(world):
    devs = [world.developer() for _ in range(3)]
    for dev in devs:
        completed_and_rated(world, world.merchant(), dev, stars=5)
    assert {scalar("SELECT level FROM growth_profiles WHERE user_id = :u", u=d.user_id) for d in devs} == {"C"}
    admin = world.admin()
    lowered = {"B": {"tasks": 1, "avg_rating": 4.0, "merchants": 0, "categories": 0},
               "A": {"tasks": 10, "avg_rating": 4.5, "merchants": 3, "categories": 2},
               "S": {"tasks": 30, "avg_rating": 4.7, "merchants": 10, "categories": 2}}
    assert call("PUT", "/admin/rules/growth_level_thresholds", {"value": lowered}, admin.token).status == 200
    from shared.growth.service import reevaluate_all

    # batches of 2 and 1: the batch's changes are written together (one statement per kind of row), the last alone
    assert reevaluate_all(batch=2) == {"evaluated": 3, "promoted": 3, "demoted": 0}
    assert reevaluate_all(batch=2) == {"evaluated": 3, "promoted": 0, "demoted": 0}  # nothing twice
    changes = rows("SELECT id, user_id, old_level, new_level, direction, reasons FROM level_changes"
                   " WHERE trigger = 'nightly' ORDER BY user_id")
    assert [(c.user_id, c.old_level, c.new_level, c.direction) for c in changes] == [
        (d.user_id, "C", "B", "promoted") for d in sorted(devs, key=lambda d: d.user_id)]
    assert all(c.reasons for c in changes)
    assert scalar("SELECT count(*) FROM growth_profiles WHERE evaluated_at IS NULL") == 0
    assert scalar("SELECT count(*) FROM growth_profiles WHERE level = 'B' AND level_since IS NOT NULL") == 3
    for c in changes:  # each change: its event and its notice (deduped on the change), as a rating-time change has
        [event] = rows("SELECT data FROM event_log WHERE name = 'LevelChanged' AND entity_id = :u", u=c.user_id)
        assert event.data == {"user_id": c.user_id, "old_level": "C", "new_level": "B", "direction": "promoted",
                              "reasons": c.reasons}
        [notice] = rows("SELECT title, body, data FROM notifications WHERE user_id = :u AND dedupe_key = :k",
                        u=c.user_id, k=f"level:{c.id}")
        assert notice.title == "等级提升为 B 级" and notice.body.startswith("恭喜！")
        assert notice.data == {"old_level": "C", "new_level": "B"}
    assert scalar("SELECT count(*) FROM jobs WHERE kind = 'event_delivery'"
                  " AND (payload->>'event_id')::bigint IN (SELECT id FROM event_log WHERE name = 'LevelChanged')") == 3


@pytest.mark.parametrize("viewer", ["developer", "anonymous"])
def test_match_pages_walk_every_task_once_in_the_rules_order(world, viewer):
    import random

    merchant, dev = world.merchant(), world.developer()
    completed_and_rated(world, merchant, dev, stars=5, difficulty=5, skill_tags=["python", "sql"])
    completed_and_rated(world, world.merchant(), dev, stars=3, difficulty=2, skill_tags=["vue"])
    rnd = random.Random(8)
    pool = ["python", "sql", "vue", "go", "figma", "docker"]
    opened = [world.open_task(merchant, skill_tags=rnd.sample(pool, rnd.randint(1, 3)), difficulty=rnd.randint(1, 5))
              for _ in range(14)]
    from shared.growth.queries import match_profile

    token = dev.token if viewer == "developer" else None
    profile = run(lambda uow: match_profile(uow, dev.user_id if token else None))
    expected = sorted(opened, key=lambda t: (-profile.score(t["skill_tags"], t["difficulty"]).score, -t["id"]))
    seen, cursor = [], None
    while True:
        r = call("GET", "/tasks", token=token, query={"sort": "match", "limit": 4} | ({"cursor": cursor} if cursor
                                                                                      else {}))
        assert r.status == 200, r.body
        seen += [(t["id"], t["match_score"]) for t in r["items"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == [(t["id"], profile.score(t["skill_tags"], t["difficulty"]).score) for t in expected]


def test_the_monthly_history_follows_asia_shanghai_months(world, clock):
    from datetime import timezone

    dev = world.developer()
    # 2026-11-30 23:59 and 2026-12-01 00:00 in Beijing are 15:59 and 16:00 UTC on 2026-11-30.
    for minute, key in ((59, "nov"), (60, "dec")):
        clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc) + timedelta(minutes=minute))
        run(lambda uow, k=key: uow.publish(ChallengeCompleted(user_id=dev.user_id, challenge_key=k,
                                                              challenge_name=k, window="m", xp=10 if k == "nov"
                                                              else 20)))
    jobs.work()
    world.renew(dev)
    months = {m["month"]: m["xp"] for m in call("GET", "/growth/me", token=dev.token)["monthly"]}
    assert months == {"2026-11": 10, "2026-12": 20}


def _insert_open_tasks(merchant_id, shapes, now):
    """Open tasks straight into the table (the hall reads them; the trigger of 0022 gives each its tag-set shape)."""
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as conn:
        return [conn.execute(text(
            "INSERT INTO tasks (merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
            " published_at, created_at, updated_at) VALUES (:m, '匹配测试', '匹配排序的测试任务。', :tags, :d, 10000,"
            " :deadline, 'open', :now, :now, :now) RETURNING id"),
            {"m": merchant_id, "tags": tags, "d": d, "deadline": now + timedelta(days=5), "now": now}).scalar_one()
            for tags, d in shapes]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_match_walk_by_score_classes_equals_the_rules_order(world, data):
    """Any viewer (skill points, level), page size, filter, batch of score classes per statement, per-shape walk
    threshold and bands of tag count: the pages hold every filtered open task once, in the order of rules.match then
    id."""
    from shared import clock
    from shared.db import get_engine
    from shared.growth.queries import match_profile
    from shared.tasks import hall
    from shared.tasks.schemas import HallQuery

    pool = ["python", "sql", "vue", "go", "figma", "docker"]
    if not hasattr(world, "_match_tasks"):
        rnd = __import__("random").Random(11)
        shapes = [(rnd.sample(pool, rnd.randint(1, 4)), rnd.randint(1, 5)) for _ in range(40)]
        ids = _insert_open_tasks(world.merchant().user_id, shapes, clock.now())
        world._match_tasks = [{"id": i, "skill_tags": t, "difficulty": d} for i, (t, d) in zip(ids, shapes,
                                                                                            strict=True)]
    tasks = world._match_tasks
    base = run(lambda uow: match_profile(uow, None))
    skills = data.draw(st.dictionaries(st.sampled_from(pool), st.integers(0, 150), max_size=4))
    profile = replace(base, skills=skills, level=data.draw(st.sampled_from(["C", "B", "A", "S"])),
                      full_skill_points=data.draw(st.sampled_from([100, 30, 20_000])))
    dmin = data.draw(st.integers(1, 5))
    tag_filter = data.draw(st.sampled_from([[], ["python"], ["vue", "go"]]))
    mode = data.draw(st.sampled_from(["any", "all"]))
    limit, batch, lateral = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    bands = data.draw(st.sampled_from([(1, 2, 4, None), (1, None), (2, 3, None), (None,)]))

    def keep(t):
        tags = set(t["skill_tags"])
        wanted = not tag_filter or (set(tag_filter) <= tags if mode == "all" else bool(set(tag_filter) & tags))
        return t["difficulty"] >= dmin and wanted

    expected = [(t["id"], profile.score(t["skill_tags"], t["difficulty"]).score)
                for t in sorted(filter(keep, tasks), key=lambda t: (-profile.score(t["skill_tags"],
                                                                                     t["difficulty"]).score, -t["id"]))]
    seen, cursor = [], None
    with get_engine().connect() as conn:
        for _ in range(len(tasks) + 2):
            q = HallQuery(sort="match", limit=limit, difficulty_min=dmin, tags=tag_filter, tag_mode=mode, cursor=cursor)
            found = hall.match_rows(conn, q, clock.now(), profile, batch=batch, lateral=lateral, bands=bands)
            seen += [(r.id, int(r.score)) for r in found[:limit]]
            if len(found) <= limit:
                break
            cursor = hall.encode_cursor(int(found[limit - 1].score), found[limit - 1].id)
    assert seen == expected


def test_a_task_gets_the_shape_of_its_sorted_distinct_tags_and_follows_an_edit(world):
    from shared import clock

    first, same, other = _insert_open_tasks(world.merchant().user_id, [(["vue", "python"], 2), (["python", "vue"], 3),
                                                                        (["go"], 2)], clock.now())
    shape = {r.id: r.shape_id for r in rows("SELECT id, shape_id FROM tasks WHERE id = ANY(:ids)",
                                            ids=[first, same, other])}
    assert shape[first] == shape[same] != shape[other]
    assert scalar("SELECT skill_tags FROM task_shapes WHERE id = :s", s=shape[first]) == ["python", "vue"]
    assert scalar("SELECT ntags FROM task_shapes WHERE id = :s", s=shape[first]) == 2
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE tasks SET skill_tags = '{go}' WHERE id = :t"), {"t": first})
    assert scalar("SELECT shape_id FROM tasks WHERE id = :t", t=first) == shape[other]


# --- the match sort's scored bands, kept between pages (shared/tasks/hall.py ScoredBands) ---------------------------


def _match_walk(profile, limit, fresh=False, between=None):
    """Every page of the match sort for `profile`, [(id, score)] per page; `fresh`: forget the scored bands before
    each page (the uncached walk); `between(n)` runs after page n."""
    from shared import clock
    from shared.db import get_engine
    from shared.tasks import hall
    from shared.tasks.schemas import HallQuery

    pages, cursor = [], None
    for n in range(100):
        if fresh:
            hall._scored_bands.clear()
        with get_engine().connect() as conn:
            found = hall.match_rows(conn, HallQuery(sort="match", limit=limit, cursor=cursor), clock.now(), profile)
        pages.append([(r.id, int(r.score)) for r in found[:limit]])
        if len(found) <= limit:
            return pages
        cursor = hall.encode_cursor(int(found[limit - 1].score), found[limit - 1].id)
        if between:
            between(n + 1)
    raise AssertionError("the walk did not end")


def _band_reads(engine):
    """The statements that score shapes (`_skill_parts`) and that read the shapes' version, as they are sent."""
    from sqlalchemy import event

    seen = {"bands": 0, "version": 0}

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM task_shapes s WHERE" in statement:
            seen["bands"] += 1
        elif "FROM task_shapes" in statement:
            seen["version"] += 1

    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


def _viewer(**skills):
    from shared.growth.queries import match_profile

    return replace(run(lambda uow: match_profile(uow, None)), skills=skills, level="B")


def test_kept_bands_give_the_pages_of_an_uncached_walk_and_are_not_scored_again(world):
    from shared import clock
    from shared.db import get_engine
    from shared.tasks import hall

    rnd = __import__("random").Random(5)
    pool = ["python", "sql", "vue", "go", "figma", "docker"]
    _insert_open_tasks(world.merchant().user_id, [(rnd.sample(pool, rnd.randint(1, 5)), rnd.randint(1, 5))
                                                  for _ in range(60)], clock.now())
    profile = _viewer(python=90, vue=40, docker=10)
    uncached = _match_walk(profile, 3, fresh=True)
    assert len(uncached) > 10 and sum(map(len, uncached)) == 60
    hall._scored_bands.clear()
    seen, stop = _band_reads(get_engine())
    try:
        assert _match_walk(profile, 3) == uncached  # the first walk fills the cache page by page
        first = dict(seen)
        assert first["bands"] == len(hall._MATCH_BANDS)  # each band scored once over the whole walk
        assert _match_walk(profile, 3) == uncached  # again: every band from the cache, one version read per page
        assert seen["bands"] == first["bands"] and seen["version"] == first["version"] + len(uncached)
        # Another viewer's skills, or the same band under another tag filter, are not taken from the cache.
        _match_walk(_viewer(python=90, vue=40), 3)
        assert seen["bands"] > first["bands"]
    finally:
        stop()
    assert len(hall._scored_bands) > 0


def test_a_shape_created_while_another_is_uncommitted_shows_on_the_next_page(world):
    """Two tasks create new tag sets at once; the first commits after page 1 was read (and its band kept). The second
    waits for it (0053), so the shapes' ids are committed in order and max(id) moves when the first commits: both
    tasks show on the next pages. Had the second taken the next id and committed first, max(id) would not have
    moved at the first's commit and the kept band would have hidden its task."""
    from sqlalchemy import text

    from shared import clock
    from shared.db import get_engine

    merchant = world.merchant().user_id
    _insert_open_tasks(merchant, [(["python"], 3)] * 4, clock.now())
    profile = _viewer(python=90, go=60, vue=30)
    insert = text("INSERT INTO tasks (merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline,"
                  " status, published_at, created_at, updated_at) VALUES (:m, '匹配测试', '匹配排序的测试任务。',"
                  " :tags, 3, 10000, :deadline, 'open', :now, :now, :now) RETURNING id, shape_id")
    other: list[int] = []
    second = threading.Thread(target=lambda: other.extend(_insert_open_tasks(merchant, [(["vue"], 3)], clock.now())))
    first = get_engine().connect()
    try:
        first_tx = first.begin()
        go = first.execute(insert, {"m": merchant, "tags": ["go"], "deadline": clock.now() + timedelta(days=5),
                                    "now": clock.now()}).one()
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the first creator of a tag set to finish

        def commit_first(page):
            if page == 1:
                first_tx.commit()
                second.join(10)

        pages = _match_walk(profile, 2, between=commit_first)
    finally:
        first.close()
        second.join(10)
    [vue] = other
    assert scalar("SELECT shape_id FROM tasks WHERE id = :t", t=vue) > go.shape_id
    walked = [i for page in pages for i, _ in page]
    # go (60) outranks vue (30): both after the four python tasks, on page 3 of 2-row pages
    assert walked[4:] == [go.id, vue] and len(walked) == 6
    assert pages == _match_walk(profile, 2, fresh=True)
