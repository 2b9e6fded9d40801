"""Mentor challenges through the API: an operator makes a developer a mentor (flag + approved real-name record),
publishes a challenge with a bonus from the platform budget; a developer with the growth pass enrols, submits a
deliverable; the mentor reviews it with a score, comment and letter; the bonus is posted once through the ledger
and paid out through the payouts area's withdrawal; outsiders see and change nothing."""

from __future__ import annotations

import pytest

from shared.mentors.queries import letters_for
from shared.uow import run
from tests.support.api import call
from tests.support.billing import pay
from tests.support.db import ledger_ok, scalar

BONUS = 50_000
BLOCKED = "赌博"  # risky at the fake msg_sec_check


def ok(r, status: int = 200):
    assert r.status == status, r.body
    return r.body


@pytest.fixture
def setup(world, platform):
    admin = world.admin()
    mentor = world.developer("mentor")
    student = world.developer("student")
    ok(call("POST", "/mentors/me/real-name", {"real_name": "王老师", "title": "资深后端工程师"}, mentor.token))
    ok(call("PUT", f"/admin/mentors/{mentor.user_id}/flag", {"mentor": True, "reason": "社区推荐"}, admin.token))
    ok(call("POST", f"/admin/mentors/{mentor.user_id}/real-name", {"approve": True}, admin.token))
    ok(call("POST", "/payments/admin/budget/topup", {"amount_fen": 80_000, "reference": "BANK-1"}, admin.token))
    challenge = ok(call("POST", "/admin/mentors/challenges", {
        "mentor_id": mentor.user_id, "title": "限流中间件", "brief": "实现令牌桶限流中间件，附单元测试与压测报告。",
        "bonus_fen": BONUS, "pass_score": 60}, admin.token), 201)
    return admin, mentor, student, challenge


def growth_pass(platform, actor) -> None:
    order = ok(call("POST", "/billing/subscriptions", {"plan": "growth", "months": 1}, actor.token), 201)
    pay(platform, order["out_trade_no"])


def enrol(platform, student, challenge) -> dict:
    growth_pass(platform, student)
    return ok(call("POST", f"/mentors/challenges/{challenge['id']}/enrol", None, student.token), 201)


def submit(student, enrolment) -> dict:
    return ok(call("POST", f"/mentors/enrolments/{enrolment['id']}/deliverable",
                   {"url": "https://git.example.com/s/limiter", "note": "含压测报告"}, student.token))


def test_becoming_a_mentor_needs_the_flag_and_the_approved_real_name(world):
    admin, dev = world.admin(), world.developer("would-be")
    body = {"mentor_id": dev.user_id, "title": "特训", "brief": "一个足够长的特训要求说明。"}
    r = call("POST", "/admin/mentors/challenges", body, admin.token)
    assert r.status == 409 and r["code"] == "MENTOR_NOT_ACTIVE"
    ok(call("POST", "/mentors/me/real-name", {"real_name": "李四", "title": "前端专家"}, dev.token))
    mine = ok(call("GET", "/mentors/me", token=dev.token))
    assert mine["real_name_status"] == "pending" and not mine["active"] and "real_name" not in mine
    queue = ok(call("GET", "/admin/mentors", token=admin.token))
    assert [m["real_name"] for m in queue["items"]] == ["李四"]
    assert call("GET", "/admin/mentors", token=dev.token).status == 403
    ok(call("POST", f"/admin/mentors/{dev.user_id}/real-name", {"approve": True}, admin.token))
    assert call("POST", "/admin/mentors/challenges", body, admin.token).status == 409  # approved, but no flag
    ok(call("PUT", f"/admin/mentors/{dev.user_id}/flag", {"mentor": True, "reason": "社区推荐"}, admin.token))
    assert ok(call("GET", "/mentors/me", token=dev.token))["active"]
    ok(call("POST", "/admin/mentors/challenges", body, admin.token), 201)
    r = call("POST", f"/admin/mentors/{dev.user_id}/real-name", {"approve": False}, admin.token)
    assert r.status == 409 and r["code"] == "MENTOR_REAL_NAME_STATE_CONFLICT"
    actions = scalar("SELECT array_agg(data->>'action' ORDER BY id) FROM event_log WHERE name = 'AdminAudited'"
                     " AND entity = 'mentor'")
    assert actions == ["mentor.real_name_approved", "mentor.flag"]


def test_enrolment_requires_the_growth_pass(world, platform, setup):
    _, mentor, student, challenge = setup
    r = call("POST", f"/mentors/challenges/{challenge['id']}/enrol", None, student.token)
    assert r.status == 403 and r["code"] == "GROWTH_PASS_REQUIRED"
    enrolment = enrol(platform, student, challenge)
    assert enrolment["status"] == "enrolled" and enrolment["mentor_id"] == mentor.user_id
    r = call("POST", f"/mentors/challenges/{challenge['id']}/enrol", None, student.token)
    assert r.status == 409 and r["code"] == "ALREADY_ENROLLED"
    growth_pass(platform, mentor)
    r = call("POST", f"/mentors/challenges/{challenge['id']}/enrol", None, mentor.token)
    assert r.status == 409 and r["code"] == "OWN_MENTOR_CHALLENGE"


def test_review_pays_the_bonus_once_through_the_ledger_and_the_payout_path(world, platform, setup):
    _, mentor, student, challenge = setup
    enrolment = enrol(platform, student, challenge)
    r = call("POST", f"/mentors/enrolments/{enrolment['id']}/review", {"score": 90, "comment": "很好"}, mentor.token)
    assert r.status == 409 and r["code"] == "MENTOR_ENROLMENT_STATE_CONFLICT"  # nothing submitted yet
    assert submit(student, enrolment)["status"] == "submitted"
    review = {"score": 86, "comment": "实现清晰，测试充分。", "letter": "该学员工程能力扎实，推荐承担后端开发任务。"}
    out = ok(call("POST", f"/mentors/enrolments/{enrolment['id']}/review", review, mentor.token))
    assert out["status"] == "reviewed" and out["accepted"] and out["bonus_fen"] == BONUS and out["letter"]
    again = call("POST", f"/mentors/enrolments/{enrolment['id']}/review", review, mentor.token)
    assert again.status == 409
    # Once through the ledger: budget → the developer's payable balance.
    assert scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'mentor_bonus'") == 1
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = :c", c=f"payable:user:{student.user_id}") == BONUS
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:budget'") == 80_000 - BONUS
    ledger_ok()
    event = scalar("SELECT data FROM event_log WHERE name = 'MentorReviewGiven'")
    assert event == {"enrolment_id": enrolment["id"], "mentor_id": mentor.user_id, "developer_id": student.user_id,
                     "score": 86, "accepted": True, "letter": True}
    # The existing payout path: the developer withdraws the payable balance.
    payout = ok(call("POST", "/payouts/withdraw", None, student.token), 201)
    assert payout["amount_fen"] == BONUS
    # The letter is readable for the resume card and reports.
    letters = ok(call("GET", f"/mentors/letters/{student.user_id}", token=mentor.token))["items"]
    assert [(x["mentor_id"], x["score"], x["challenge_title"]) for x in letters] == [(mentor.user_id, 86, "限流中间件")]
    assert [x.body for x in run(lambda uow: letters_for(uow, student.user_id))] == [review["letter"]]
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'mentor_reviewed'",
                  u=student.user_id) == 1
    ledger_ok()


def test_a_failing_score_pays_nothing_and_scores_are_bounded(world, platform, setup):
    _, mentor, student, challenge = setup
    enrolment = enrol(platform, student, challenge)
    submit(student, enrolment)
    r = call("POST", f"/mentors/enrolments/{enrolment['id']}/review", {"score": 101, "comment": "超出范围"},
             mentor.token)
    assert r.status == 422
    out = ok(call("POST", f"/mentors/enrolments/{enrolment['id']}/review", {"score": 59, "comment": "还需努力"},
                  mentor.token))
    assert out["accepted"] is False and out["bonus_fen"] == 0 and out["letter"] is None
    assert scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'mentor_bonus'") == 0
    ledger_ok()


def test_an_empty_budget_refuses_the_review_and_changes_nothing(world, platform, setup):
    admin, mentor, student, _ = setup
    big = ok(call("POST", "/admin/mentors/challenges", {
        "mentor_id": mentor.user_id, "title": "大项目", "brief": "预算不足时点评应被拒绝，什么都不改变。",
        "bonus_fen": 90_000}, admin.token), 201)
    enrolment = enrol(platform, student, big)
    submit(student, enrolment)
    r = call("POST", f"/mentors/enrolments/{enrolment['id']}/review", {"score": 95, "comment": "优秀"}, mentor.token)
    assert r.status == 409 and r["code"] == "PLATFORM_BUDGET_INSUFFICIENT"
    assert ok(call("GET", f"/mentors/enrolments/{enrolment['id']}", token=student.token))["status"] == "submitted"
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'MentorReviewGiven'") == 0
    ledger_ok()


def test_outsiders_cannot_see_submit_or_review(world, platform, setup):
    _, mentor, student, challenge = setup
    outsider = world.developer("outsider")
    enrolment = enrol(platform, student, challenge)
    path = f"/mentors/enrolments/{enrolment['id']}"
    assert call("GET", path, token=outsider.token).status == 404
    assert call("POST", f"{path}/deliverable", {"url": "https://x.example.com"}, outsider.token).status == 404
    assert call("POST", f"{path}/deliverable", {"url": "https://x.example.com"}, mentor.token).status == 404
    submit(student, enrolment)
    r = call("POST", f"{path}/review", {"score": 90, "comment": "冒充导师"}, outsider.token)
    assert r.status == 404 and r["code"] == "MENTOR_ENROLMENT_NOT_FOUND"
    r = call("POST", f"{path}/review", {"score": 90, "comment": "自己点评"}, student.token)
    assert r.status == 404
    assert ok(call("GET", path, token=mentor.token))["status"] == "submitted"
    assert ok(call("GET", "/mentors/enrolments", token=mentor.token, query={"role": "mentor"}))["items"][0]["id"] \
        == enrolment["id"]
    assert ok(call("GET", "/mentors/enrolments", token=outsider.token))["items"] == []


def test_risky_text_is_refused(world, platform, setup):
    _, mentor, student, challenge = setup
    enrolment = enrol(platform, student, challenge)
    r = call("POST", f"/mentors/enrolments/{enrolment['id']}/deliverable",
             {"url": "https://git.example.com/x", "note": f"{BLOCKED}"}, student.token)
    assert r.status == 422 and r["code"] == "CONTENT_REJECTED"
    submit(student, enrolment)
    r = call("POST", f"/mentors/enrolments/{enrolment['id']}/review",
             {"score": 90, "comment": "不错", "letter": f"推荐他去{BLOCKED}网站工作，能力很强。"}, mentor.token)
    assert r.status == 422 and r["code"] == "CONTENT_REJECTED"
    assert scalar("SELECT count(*) FROM mentor_letters") == 0
