"""The inbox, subscribe-message consents and their WeChat delivery, and the jobs worker (outbox)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from shared import jobs
from shared.adapters import clients
from shared.notifications.kinds import UnknownNotificationKind
from shared.pagination import encode_cursor
from shared.uow import run
from tests.support.api import Actor, call
from tests.support.db import execute, scalar, uniq

TASK_TEMPLATE = "tmpl-task-update"
APPLICATION_TEMPLATE = "tmpl-application-update"


def notify(user_id: int, kind: str = "task_approved", title: str = "任务已通过审核",
           body: str = "「登录页」已通过审核。",
           *, data: dict[str, Any] | None = None, dedupe_key: str | None = None, push: bool = True) -> int | None:
    """Record a notification the way a use case does (uow.notify), return its id (None if deduplicated away)."""

    def add(uow):  # type: ignore[no-untyped-def]
        uow.notify(user_id, kind, title, body, data=data if data is not None else {"task_id": 77},
                   dedupe_key=dedupe_key, push=push)
        return uow.execute("SELECT max(id) FROM notifications WHERE user_id = :u", {"u": user_id}).scalar()

    return run(add)


def push_state(db, notification_id: int) -> str | None:
    return scalar("SELECT data->>'push' FROM notifications WHERE id = :id", id=notification_id)


def remaining(db, user_id: int, template: str = TASK_TEMPLATE) -> int | None:
    return scalar("SELECT remaining FROM subscribe_consents WHERE user_id = :u AND template_id = :t",
                  u=user_id, t=template)


def consent(actor: Actor, wechat, template: str = TASK_TEMPLATE, times: int = 1) -> dict[str, int]:
    """The user taps 允许 in wx.requestSubscribeMessage: WeChat grants it, and the mini-program tells us."""
    wechat.grant_subscription(actor.openid, template, times)
    r = call("POST", "/notifications/subscriptions", {"template_ids": [template] * times}, actor.token)
    assert r.status == 200, r.body
    return r["remaining"]


def settled(actor):
    """Signing up queues the dashboard's event deliveries (metrics.record): work them off, so each test below counts
    only the jobs it makes."""
    jobs.work()
    return actor


@pytest.fixture
def user(world):
    return settled(world.login_wechat(uniq("u")))


@pytest.fixture
def other(world):
    return settled(world.login_wechat(uniq("o")))


@pytest.fixture
def test_handlers(monkeypatch):
    """A private handler table for the test: shared.jobs.register_handler writes here, undone afterwards."""
    monkeypatch.setattr(jobs, "_extra_handlers", dict(jobs._extra_handlers))
    return jobs


# --- the inbox ---


def test_inbox_lists_the_callers_notifications_newest_first(world, user, other, clock):
    first = notify(user.user_id, title="第一条")
    clock.advance(timedelta(minutes=1))
    second = notify(user.user_id, title="第二条", data={"task_id": 5})
    notify(other.user_id, title="别人的")
    r = call("GET", "/notifications", token=user.token)
    assert r.status == 200
    assert [i["id"] for i in r["items"]] == [second, first]
    assert [i["title"] for i in r["items"]] == ["第二条", "第一条"]
    item = r["items"][0]
    assert item["kind"] == "task_approved" and item["body"] == "「登录页」已通过审核。"
    assert item["data"]["task_id"] == 5 and item["read_at"] is None
    assert item["created_at"].startswith("2026-11-25T02:01:00")
    assert r["unread"] == 2 and r["next_cursor"] is None
    r = call("GET", "/notifications", token=other.token)
    assert [i["title"] for i in r["items"]] == ["别人的"] and r["unread"] == 1


def test_inbox_needs_login(world):
    assert call("GET", "/notifications").status == 401
    assert call("POST", "/notifications/read-all").status == 401
    assert call("POST", "/notifications/1/read").status == 401


def test_empty_inbox(world, user):
    r = call("GET", "/notifications", token=user.token)
    assert r.body == {"items": [], "next_cursor": None, "unread": 0}


def test_user_b_cannot_read_or_mark_user_as_notification(world, user, other, db):
    mine = notify(user.user_id)
    r = call("POST", f"/notifications/{mine}/read", token=other.token)
    assert r.status == 404
    assert r["code"] == "NOTIFICATION_NOT_FOUND" and r["message"] == "消息不存在"
    assert scalar("SELECT read_at FROM notifications WHERE id = :id", id=mine) is None
    assert mine not in [i["id"] for i in call("GET", "/notifications", token=other.token)["items"]]
    # read-all by B leaves A's inbox alone.
    assert call("POST", "/notifications/read-all", token=other.token)["count"] == 0
    assert call("GET", "/notifications", token=user.token)["unread"] == 1


def test_marking_an_unknown_notification_is_404(world, user):
    assert call("POST", "/notifications/999999/read", token=user.token).status == 404
    assert call("POST", "/notifications/abc/read", token=user.token).status == 404


def test_mark_read_and_unread_count(world, user, clock, db):
    a = notify(user.user_id, title="a")
    notify(user.user_id, title="b")
    assert call("GET", "/notifications", token=user.token)["unread"] == 2
    r = call("POST", f"/notifications/{a}/read", token=user.token)
    assert r.status == 200 and r.body == {"count": 1}
    inbox = call("GET", "/notifications", token=user.token)
    assert inbox["unread"] == 1
    read = next(i for i in inbox["items"] if i["id"] == a)
    assert read["read_at"].startswith("2026-11-25T02:00:00")
    # Marking again is harmless and keeps the first read time.
    clock.advance(timedelta(hours=1))
    assert call("POST", f"/notifications/{a}/read", token=user.token).status == 200
    assert call("GET", "/notifications", token=user.token)["items"][1]["read_at"].startswith("2026-11-25T02:00:00")
    assert call("GET", "/notifications", token=user.token)["unread"] == 1


def test_read_all(world, user, clock):
    for i in range(3):
        notify(user.user_id, title=f"n{i}")
    first = call("GET", "/notifications", token=user.token)["items"][-1]["id"]
    call("POST", f"/notifications/{first}/read", token=user.token)
    clock.advance(timedelta(minutes=5))
    r = call("POST", "/notifications/read-all", token=user.token)
    assert r.status == 200 and r.body == {"count": 2}
    inbox = call("GET", "/notifications", token=user.token)
    assert inbox["unread"] == 0
    assert all(i["read_at"] is not None for i in inbox["items"])
    # The one read earlier keeps its time.
    assert inbox["items"][-1]["read_at"].startswith("2026-11-25T02:00:00")
    assert inbox["items"][0]["read_at"].startswith("2026-11-25T02:05:00")
    assert call("POST", "/notifications/read-all", token=user.token)["count"] == 0


def test_unread_only_filter(world, user):
    a = notify(user.user_id, title="a")
    b = notify(user.user_id, title="b")
    call("POST", f"/notifications/{a}/read", token=user.token)
    r = call("GET", "/notifications", token=user.token, query={"unread_only": "true"})
    assert [i["id"] for i in r["items"]] == [b]
    assert r["unread"] == 1


def test_inbox_pages_with_a_cursor(world, user):
    ids = [notify(user.user_id, title=f"n{i}") for i in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"limit": 2}
        if cursor:
            query["cursor"] = cursor
        r = call("GET", "/notifications", token=user.token, query=query)
        assert r.status == 200 and len(r["items"]) <= 2
        seen += [i["id"] for i in r["items"]]
        pages += 1
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", encode_cursor(1, 2), encode_cursor("abc"),
                                    encode_cursor(1.5), encode_cursor([3]), encode_cursor(None), encode_cursor(True)])
def test_bad_cursor_is_422(world, user, cursor):
    notify(user.user_id)
    r = call("GET", "/notifications", token=user.token, query={"cursor": cursor})
    assert r.status == 422, r.body
    assert r["errors"] == [{"field": "cursor", "message": "分页游标无效"}]


@pytest.mark.parametrize(("query", "field"), [({"limit": 0}, "limit"), ({"limit": 51}, "limit"),
                                              ({"limit": "x"}, "limit"), ({"unread_only": "maybe"}, "unread_only"),
                                              ({"page": 2}, "page"), ({"cursor": "c" * 201}, "cursor")])
def test_inbox_query_is_validated(world, user, query, field):
    r = call("GET", "/notifications", token=user.token, query=query)
    assert r.status == 422
    assert r["errors"][0]["field"] == field


# --- consents ---


def test_consents_add_up_per_template(world, user, db):
    r = call("POST", "/notifications/subscriptions", {"template_ids": [TASK_TEMPLATE]}, user.token)
    assert r.status == 200 and r.body == {"remaining": {TASK_TEMPLATE: 1}}
    r = call("POST", "/notifications/subscriptions", {"template_ids": [TASK_TEMPLATE, APPLICATION_TEMPLATE]},
             user.token)
    assert r.body == {"remaining": {TASK_TEMPLATE: 2, APPLICATION_TEMPLATE: 1}}
    assert remaining(db, user.user_id) == 2


@pytest.mark.parametrize(("body", "field"), [({}, "template_ids"), ({"template_ids": []}, "template_ids"),
                                             ({"template_ids": ["t"] * 11}, "template_ids"),
                                             ({"template_ids": "t"}, "template_ids"),
                                             ({"template_ids": ["t\x00"]}, "template_ids.0")])
def test_consents_are_validated(world, user, body, field, db):
    r = call("POST", "/notifications/subscriptions", body, user.token)
    assert r.status == 422, r.body
    assert r["errors"][0]["field"] == field
    assert scalar("SELECT count(*) FROM subscribe_consents") == 0


# --- the wechat_subscribe job ---


def test_one_consent_sends_exactly_one_message(world, user, db):
    consent(user, world.wechat)
    long_body = "「开发一个小程序登录页」已通过审核，等待开发者投递。"
    first = notify(user.user_id, title="任务已通过审核", body=long_body, data={"task_id": 42})
    second = notify(user.user_id, kind="work_delivered", title="开发者已提交交付")
    assert scalar("SELECT count(*) FROM jobs WHERE kind = 'wechat_subscribe' AND status = 'queued'") == 2
    report = jobs.work()
    assert report.as_dict() == {"done": 2, "retried": 0, "failed": 0}
    sent = world.wechat.messages(user.openid)
    assert len(sent) == 1
    message = sent[0]
    assert message["template_id"] == TASK_TEMPLATE
    assert message["page"] == "pages/task/detail?id=42"
    assert message["data"]["thing1"] == {"value": "任务已通过审核"}
    assert message["data"]["thing2"] == {"value": long_body[:20]}  # a "thing" slot holds at most 20 characters
    assert len(long_body) > 20
    assert message["data"]["time3"] == {"value": "2026-11-25 10:00"}  # Beijing time
    assert push_state(db, first) == "sent"
    assert push_state(db, second) == "no_consent"
    assert remaining(db, user.user_id) == 0
    assert world.wechat.remaining_subscriptions(user.openid, TASK_TEMPLATE) == 0
    # Both notifications are in the inbox regardless.
    assert call("GET", "/notifications", token=user.token)["unread"] == 2


def test_each_consent_allows_one_message(world, user, db):
    consent(user, world.wechat, times=3)
    for i in range(5):
        notify(user.user_id, title=f"第{i}条")
    jobs.work()
    assert len(world.wechat.messages(user.openid)) == 3
    assert remaining(db, user.user_id) == 0
    assert scalar("SELECT count(*) FROM notifications WHERE data->>'push' = 'no_consent'") == 2


def test_without_consent_nothing_is_sent(world, user, db):
    n = notify(user.user_id)
    report = jobs.work()
    assert report.done == 1
    assert world.wechat.messages(user.openid) == []
    assert push_state(db, n) == "no_consent"
    assert scalar("SELECT status FROM jobs") == "done"


def test_consent_for_another_template_does_not_count(world, user, db):
    consent(user, world.wechat, template=APPLICATION_TEMPLATE)
    n = notify(user.user_id, kind="task_approved")
    jobs.work()
    assert world.wechat.messages(user.openid) == []
    assert push_state(db, n) == "no_consent"
    assert remaining(db, user.user_id, APPLICATION_TEMPLATE) == 1


def test_application_kinds_use_the_application_template(world, user):
    consent(user, world.wechat, template=APPLICATION_TEMPLATE)
    notify(user.user_id, kind="application_accepted", title="你的投递已被接受")
    jobs.work()
    assert [m["template_id"] for m in world.wechat.messages(user.openid)] == [APPLICATION_TEMPLATE]


@pytest.mark.parametrize(("kind", "push"), [("membership_expiring", True), ("escrow_funded", True),
                                           ("task_approved", False)])
def test_no_push_job_without_a_template_or_when_not_pushed(world, user, db, kind, push):
    notify(user.user_id, kind=kind, push=push)
    assert scalar("SELECT count(*) FROM notifications") == 1
    assert scalar("SELECT count(*) FROM jobs WHERE kind <> 'event_delivery'") == 0


def test_an_unregistered_kind_is_refused_and_nothing_is_written(world, user, db):
    with pytest.raises(UnknownNotificationKind, match="points_granted"):
        notify(user.user_id, kind="points_granted")
    assert scalar("SELECT count(*) FROM notifications") == 0
    assert scalar("SELECT count(*) FROM jobs WHERE kind <> 'event_delivery'") == 0


def test_same_dedupe_key_notifies_once(world, user, db):
    assert notify(user.user_id, dedupe_key="task_approved:1") is not None
    notify(user.user_id, dedupe_key="task_approved:1")
    assert scalar("SELECT count(*) FROM notifications") == 1
    assert scalar("SELECT count(*) FROM jobs WHERE kind <> 'event_delivery'") == 1


def test_a_rerun_job_never_sends_twice(world, user, db):
    consent(user, world.wechat, times=2)
    n = notify(user.user_id)
    jobs.work()
    assert len(world.wechat.messages(user.openid)) == 1
    # The job runs again (a lost lease, an operator retry): nothing more is sent, no consent is spent.
    execute("UPDATE jobs SET status = 'queued', run_at = :now WHERE kind = 'wechat_subscribe'", now=world_now())
    assert jobs.work().done == 1
    from shared.notifications.delivery import deliver_subscribe_message

    deliver_subscribe_message({"notification_id": n})
    assert len(world.wechat.messages(user.openid)) == 1
    assert remaining(db, user.user_id) == 1
    assert world.wechat.remaining_subscriptions(user.openid, TASK_TEMPLATE) == 1


def world_now():
    from shared import clock

    return clock.now()


def test_wechat_refusing_zeroes_our_count(world, user, db):
    # We believe there are 3 consents, but the user revoked them in WeChat's settings: WeChat holds none.
    r = call("POST", "/notifications/subscriptions", {"template_ids": [TASK_TEMPLATE] * 3}, user.token)
    assert r["remaining"] == {TASK_TEMPLATE: 3}
    first = notify(user.user_id)
    report = jobs.work()
    assert report.done == 1 and report.failed == 0
    assert world.wechat.messages(user.openid) == []
    assert push_state(db, first) == "refused"
    assert remaining(db, user.user_id) == 0
    # The next notification does not even try.
    second = notify(user.user_id)
    jobs.work()
    assert push_state(db, second) == "no_consent"


def test_a_transient_wechat_failure_retries_without_spending_another_consent(world, user, db, clock, monkeypatch):
    from shared.adapters.wechat import WeChatError

    real = clients.wechat()
    failures = {"left": 1}

    class Flaky:
        def send_subscribe_message(self, *args: Any, **kwargs: Any) -> bool:
            if failures["left"]:
                failures["left"] -= 1
                raise WeChatError(None, "cannot reach WeChat: timeout")
            return real.send_subscribe_message(*args, **kwargs)

    monkeypatch.setattr(clients, "wechat", lambda: Flaky())
    consent(user, world.wechat, times=2)
    n = notify(user.user_id)
    report = jobs.work()
    assert report.as_dict() == {"done": 0, "retried": 1, "failed": 0}
    assert push_state(db, n) == "sending"
    assert remaining(db, user.user_id) == 1  # spent once
    assert "timeout" in scalar("SELECT last_error FROM jobs WHERE kind = 'wechat_subscribe'")
    clock.advance(timedelta(seconds=30))
    assert jobs.work().done == 1
    assert len(world.wechat.messages(user.openid)) == 1
    assert push_state(db, n) == "sent"
    assert remaining(db, user.user_id) == 1  # not spent again


def test_user_without_wechat_gets_inbox_only(world, db):
    sms_user = settled(world.login_sms("13800137000"))
    call("POST", "/notifications/subscriptions", {"template_ids": [TASK_TEMPLATE]}, sms_user.token)
    n = notify(sms_user.user_id)
    assert jobs.work().done == 1
    assert push_state(db, n) is None
    assert remaining(db, sms_user.user_id) == 1
    assert call("GET", "/notifications", token=sms_user.token)["unread"] == 1


def test_applying_notifies_the_merchant_in_the_inbox_and_on_wechat(world, db):
    merchant = world.merchant(uniq("shop"))
    developer = world.developer(uniq("dev"))
    task = world.open_task(merchant)
    consent(merchant, world.wechat, template=APPLICATION_TEMPLATE)
    jobs.work()  # the review notifications (task template, no consent) are out of the way
    before = len(world.wechat.messages(merchant.openid))
    r = call("POST", "/applications", {"task_id": task["id"]}, developer.token)
    assert r.status == 201, r.body
    inbox = call("GET", "/notifications", token=merchant.token)
    received = [i for i in inbox["items"] if i["kind"] == "application_received"]
    assert len(received) == 1
    assert received[0]["data"]["task_id"] == task["id"]
    assert call("GET", "/notifications", token=developer.token)["items"] == []
    jobs.work()
    sent = world.wechat.messages(merchant.openid)[before:]
    assert len(sent) == 1
    assert sent[0]["template_id"] == APPLICATION_TEMPLATE
    assert sent[0]["page"] == f"pages/task/detail?id={task['id']}"
    assert sent[0]["data"]["thing1"] == {"value": "收到新的投递"}


# --- the jobs worker ---


def enqueue(kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    def add(uow):  # type: ignore[no-untyped-def]
        uow.enqueue(kind, payload or {}, **kw)
        return uow.execute("SELECT max(id) FROM jobs").scalar()

    return run(add)


def job(db, job_id: int) -> Any:
    with db.connect() as conn:
        return conn.execute(text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id}).mappings().one()


def test_backoff_doubles_from_30_seconds_up_to_2_hours():
    assert [jobs.backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert jobs.backoff(0) == timedelta(seconds=30)
    assert jobs.backoff(20) == timedelta(hours=2)
    assert jobs.backoff(1000) == timedelta(hours=2)


def test_successful_job_is_done(db, clock, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_ok", seen.append)
    j = enqueue("test_ok", {"n": 1, "text": "你好"})
    assert jobs.work().as_dict() == {"done": 1, "retried": 0, "failed": 0}
    assert seen == [{"n": 1, "text": "你好"}]
    row = job(db, j)
    assert row["status"] == "done" and row["attempts"] == 1 and row["locked_until"] is None
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 0}
    assert len(seen) == 1


def test_failing_job_retries_with_backoff(db, clock, test_handlers):
    calls: list[int] = []

    def flaky(payload: dict) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError(f"boom {len(calls)}")

    jobs.register_handler("test_flaky", flaky)
    j = enqueue("test_flaky", max_attempts=5)
    t0 = clock.now()
    assert jobs.work().retried == 1
    row = job(db, j)
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["run_at"] == t0 + timedelta(seconds=30)
    assert "boom 1" in row["last_error"] and row["locked_until"] is None
    # Not before the back-off is over.
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 0}
    clock.advance(timedelta(seconds=29))
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 0}
    clock.advance(timedelta(seconds=1))
    assert jobs.work().retried == 1
    assert job(db, j)["run_at"] == clock.now() + timedelta(seconds=60)  # doubled
    clock.advance(timedelta(seconds=60))
    assert jobs.work().done == 1
    row = job(db, j)
    assert row["status"] == "done" and row["attempts"] == 3
    assert len(calls) == 3


def test_job_is_parked_as_failed_after_max_attempts(world, db, clock, test_handlers):
    calls: list[int] = []

    def always_fails(payload: dict) -> None:
        calls.append(1)
        raise ValueError("still broken")

    jobs.register_handler("test_broken", always_fails)
    j = enqueue("test_broken", {"x": 1}, max_attempts=3)
    reports = []
    for _ in range(6):
        reports.append(jobs.work().as_dict())
        clock.advance(timedelta(hours=3))
    assert len(calls) == 3
    assert [r["retried"] for r in reports[:2]] == [1, 1] and reports[2]["failed"] == 1
    assert all(r == {"done": 0, "retried": 0, "failed": 0} for r in reports[3:])
    row = job(db, j)
    assert row["status"] == "failed" and row["attempts"] == 3 and "still broken" in row["last_error"]
    # Operators see it in the dead-letter queue and can retry it.
    admin = world.admin()
    world.renew(admin)
    r = call("GET", "/admin/jobs/failed", token=admin.token)
    assert r.status == 200 and [f["id"] for f in r.body] == [j]
    assert r.body[0]["kind"] == "test_broken" and r.body[0]["payload"] == {"x": 1}
    assert call("POST", f"/admin/jobs/{j}/retry", token=admin.token)["count"] == 1
    assert jobs.work().retried == 1
    assert len(calls) == 4


def test_permanent_error_parks_at_once(db, test_handlers):
    calls: list[int] = []

    def hopeless(payload: dict) -> None:
        calls.append(1)
        raise jobs.PermanentJobError("payload refers to nothing")

    jobs.register_handler("test_hopeless", hopeless)
    j = enqueue("test_hopeless", max_attempts=6)
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 1}
    row = job(db, j)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["last_error"] == "payload refers to nothing"
    assert jobs.work().failed == 0 and len(calls) == 1


def test_unknown_job_kind_is_parked(db, test_handlers):
    j = enqueue("no_such_kind")
    assert jobs.work().failed == 1
    row = job(db, j)
    assert row["status"] == "failed" and "no handler" in row["last_error"]


def test_delayed_job_waits(db, clock, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_later", seen.append)
    enqueue("test_later", delay=timedelta(minutes=10))
    assert jobs.work().done == 0
    clock.advance(timedelta(minutes=10))
    assert jobs.work().done == 1 and len(seen) == 1


def test_enqueue_with_dedupe_key_is_once(db, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_once", seen.append)
    enqueue("test_once", {"v": 1}, dedupe_key="k")
    enqueue("test_once", {"v": 2}, dedupe_key="k")
    enqueue("test_once", {"v": 3}, dedupe_key="other")
    assert scalar("SELECT count(*) FROM jobs WHERE kind <> 'event_delivery'") == 2
    jobs.work()
    assert sorted(p["v"] for p in seen) == [1, 3]


def test_job_of_a_dead_worker_is_reclaimed_after_its_lease(db, clock, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_orphan", seen.append)
    j = enqueue("test_orphan", {"n": 1})
    # A worker claims the job, then its container dies: status running, lease held.
    claimed = jobs.claim(10)
    assert [c.id for c in claimed] == [j]
    row = job(db, j)
    assert row["status"] == "running" and row["locked_until"] == clock.now() + jobs.LEASE
    # While the lease is live nobody else takes it.
    assert jobs.work().done == 0 and seen == []
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    assert jobs.work().done == 1
    assert seen == [{"n": 1}]
    row = job(db, j)
    assert row["status"] == "done" and row["attempts"] == 2


def test_running_job_with_lease_already_past_is_reclaimed(db, clock, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_stale", seen.append)
    j = enqueue("test_stale")
    execute("UPDATE jobs SET status = 'running', attempts = 1, locked_until = :past WHERE id = :id",
        past=clock.now() - timedelta(seconds=1), id=j)
    assert jobs.work().done == 1 and len(seen) == 1


def test_concurrent_workers_never_run_a_job_twice(db, test_handlers):
    runs: dict[int, int] = {}
    lock = threading.Lock()

    def slow(payload: dict) -> None:
        with lock:
            runs[payload["n"]] = runs.get(payload["n"], 0) + 1
        time.sleep(0.005)

    jobs.register_handler("test_slow", slow)
    total = 60

    def add_all(uow):  # type: ignore[no-untyped-def]
        for n in range(total):
            uow.enqueue("test_slow", {"n": n})

    run(add_all)
    reports: list[jobs.WorkReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(jobs.work(limit=5))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(runs) == list(range(total))
    assert all(count == 1 for count in runs.values()), {n: c for n, c in runs.items() if c != 1}
    assert sum(r.done for r in reports) == total
    assert scalar("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 1") == total


def test_work_is_bounded_per_invocation(db, test_handlers):
    seen: list[dict] = []
    jobs.register_handler("test_many", seen.append)

    def add_all(uow):  # type: ignore[no-untyped-def]
        for n in range(7):
            uow.enqueue("test_many", {"n": n})

    run(add_all)
    assert jobs.work(limit=2, max_batches=2).done == 4
    assert jobs.work(limit=2, max_batches=10).done == 3
    assert [p["n"] for p in seen] == list(range(7))  # oldest first, batch after batch


def test_jobs_worker_function_entry_points(db, test_handlers):
    import functions.jobs_worker.index as worker

    seen: list[dict] = []
    jobs.register_handler("test_fn", seen.append)
    enqueue("test_fn")
    assert worker.main_handler({"kind": "kick"}) == {"ok": True, "result": {"done": 1, "retried": 0, "failed": 0}}
    enqueue("test_fn")
    r = worker.main_handler({"Type": "Timer", "TriggerName": "jobs_sweep"})
    assert r["ok"] is True and r["result"]["done"] == 1
    assert worker.main_handler({"kind": "other"}) == {"ok": False, "error": "unsupported event"}
    assert len(seen) == 2


def test_a_job_far_past_its_attempts_still_backs_off(db, clock, test_handlers):
    def fails(payload: dict) -> None:
        raise RuntimeError("again")

    jobs.register_handler("test_patient", fails)
    j = enqueue("test_patient", max_attempts=100)
    execute("UPDATE jobs SET attempts = 60 WHERE id = :id", id=j)
    assert jobs.work().retried == 1
    row = job(db, j)
    assert row["status"] == "queued" and row["attempts"] == 61
    assert row["run_at"] == clock.now() + jobs.BACKOFF_MAX


def test_a_batch_is_worked_oldest_first(db, clock, test_handlers):
    seen: list[int] = []
    jobs.register_handler("test_fifo", lambda payload: seen.append(payload["n"]))

    def add_all(uow):  # type: ignore[no-untyped-def]
        for n in range(20):
            uow.enqueue("test_fifo", {"n": n})

    run(add_all)
    assert jobs.work(limit=50).done == 20
    assert seen == list(range(20))
