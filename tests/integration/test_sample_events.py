"""Every sample event in events/ runs through its function as `make invoke` would, on an empty database, and gets
exactly the answer written next to it below — a new sample without an expectation fails.

The URL samples of logged-in routes carry a placeholder token (`replace-with-a-real-access-token`): as shipped they
are refused 401 INVALID_TOKEN, which is what a developer sees before pasting a real token. The WeChat login sample's
code is made up (401 WECHAT_CODE_INVALID) and the WeChat Pay notification is unsigned (401, WeChat Pay's own answer
shape {"code": "FAIL"}); the public reads answer 200. Timers and the jobs worker find nothing to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.local.gateway import FunctionRunner

EVENTS = Path(__file__).resolve().parents[2] / "events"

UNAUTHENTICATED = (401, "INVALID_TOKEN")

# URL samples: file -> (status, error code, or None for a success)
URL_ANSWERS: dict[str, tuple[int, str | None]] = {
    "admin.url.json": UNAUTHENTICATED,
    "applications.url.json": UNAUTHENTICATED,
    "auth.url.json": (401, "WECHAT_CODE_INVALID"),
    "billing.url.json": UNAUTHENTICATED,
    "community.url.json": UNAUTHENTICATED,
    "disputes.url.json": UNAUTHENTICATED,
    "growth.url.json": (200, None),  # the function's health check
    "leaderboards.url.json": (200, None),  # this week's board, empty
    "mentors.url.json": UNAUTHENTICATED,
    "challenges.url.json": UNAUTHENTICATED,
    "checkin.url.json": UNAUTHENTICATED,
    "lottery.url.json": (200, None),  # the public list of draws
    "notifications.url.json": UNAUTHENTICATED,
    "payments.url.json": (401, "FAIL"),
    "payouts.url.json": UNAUTHENTICATED,
    "profiles.url.json": (200, None),  # the skill taxonomy
    "tasks.url.json": (200, None),  # the hall
    "work.url.json": UNAUTHENTICATED,
}

# Timer and worker samples: file -> the whole answer on an empty database
NOTHING_TO_DO = {"done": 0, "retried": 0, "failed": 0}
OTHER_ANSWERS: dict[str, dict[str, Any]] = {
    "jobs_worker.jobs_sweep.json": {"ok": True, "result": NOTHING_TO_DO},
    "jobs_worker.kick.json": {"ok": True, "result": NOTHING_TO_DO},
    "timers.auto_accept.json": {"ok": True, "trigger": "auto_accept", "result": 0},
    "timers.feedback_guarantee.json": {"ok": True, "trigger": "feedback_guarantee",
                                       "result": {"reminded": 0, "closed": 0}},
    "timers.badges_digest.json": {"ok": True, "trigger": "badges_digest", "result": {"notified": 0}},
    "timers.badges_nightly.json": {"ok": True, "trigger": "badges_nightly",
                                   "result": {"users": 0, "granted": 0, "revoked": 0}},
    "timers.growth_levels.json": {"ok": True, "trigger": "growth_levels",
                                  "result": {"evaluated": 0, "promoted": 0, "demoted": 0}},
    "timers.leaderboard_snapshots.json": {"ok": True, "trigger": "leaderboard_snapshots",
                                          "result": {"boards": 0, "ranked": 0}},
    "timers.challenges.json": {"ok": True, "trigger": "challenges", "result": {"bonuses_paid": 0, "reminders": 0}},
    "timers.lottery.json": {"ok": True, "trigger": "lottery",  # this month's draw is announced
                            "result": {"announced": 1, "closed": 0, "drawn": 0, "waiting": 0, "prizes_paid": 0}},
    "timers.memberships.json": {"ok": True, "trigger": "memberships",
                                "result": {"memberships_expired": 0, "memberships_lapsed": 0, "reminded": 0,
                                           "promotions_ended": 0}},
    "timers.orders_poll.json": {"ok": True, "trigger": "orders_poll",
                                "result": {"checked": 0, "settled": 0, "closed": 0, "refused": 0, "errors": 0,
                                           "refunds_checked": 0, "refunds_settled": 0}},
    "timers.payments_reconcile.json": {"ok": True, "trigger": "payments_reconcile",
                                       "result": {"bill_date": "2026-11-24", "status": "matched", "bill_lines": 0,
                                                  "matched": 0, "diffs": 0}},  # yesterday of the test clock
    "timers.payouts_sweep.json": {"ok": True, "trigger": "payouts_sweep",
                                  "result": {"cancelled": 0, "settled": 0, "resumed": 0, "retried": 0, "errors": 0}},
    "timers.task_expiry.json": {"ok": True, "trigger": "task_expiry", "result": 0},
}


def test_every_sample_has_an_expectation_and_every_expectation_a_sample():
    on_disk = {p.name for p in EVENTS.glob("*.json")}
    assert on_disk == set(URL_ANSWERS) | set(OTHER_ANSWERS)


def invoke(name: str) -> dict[str, Any]:
    function = name.split(".", 1)[0]
    return FunctionRunner().invoke(function, json.loads((EVENTS / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(URL_ANSWERS))
def test_url_sample_answers_as_expected(db, name):
    status, code = URL_ANSWERS[name]
    answer = invoke(name)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == status, (name, body)
    if name == "tasks.url.json":
        assert body == {"items": [], "next_cursor": None}  # the hall of an empty database
    elif name == "growth.url.json":
        assert body["ok"] is True and body["function"] == "growth" and body["migration"].endswith(".sql")
    elif name == "leaderboards.url.json":
        assert body["board"] == "weekly" and body["entries"] == [] and body["me"] is None
    elif name == "lottery.url.json":
        assert body == {"items": []}  # no draw announced yet on an empty database
    elif name == "profiles.url.json":
        assert body and all({"slug", "name", "skills"} <= set(group) for group in body)  # the skill taxonomy
    else:
        assert body["code"] == code and body["message"], body


@pytest.mark.parametrize("name", sorted(OTHER_ANSWERS))
def test_timer_and_worker_sample_answers_as_expected(db, name):
    assert invoke(name) == OTHER_ANSWERS[name]
