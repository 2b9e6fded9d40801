"""What an outside fuzzer found answering 500 (issue 6), each now a 4xx with a stable code: tampered keyset cursors on
every paginated list, time-zone offsets PostgreSQL cannot store, integers sent as strings or floats, bodies that are
not declared JSON, a job retry for a job that does not exist, a transfer notification with a non-integer amount."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared import clock
from tests.support.api import call
from tests.support.payouts import delivered_task


def cursor_of(value: Any) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(raw.encode()).decode()


# The issue's own examples, then more: wrong types, wrong arity, values out of range, not base64, not JSON.
TAMPERED = [cursor_of([1, "x"]), cursor_of([None]), cursor_of("[1e400]"), cursor_of(["\u0000"]), cursor_of([True]),
            cursor_of([1.5]), cursor_of(["1"]), cursor_of([2**63]), cursor_of([-1]), cursor_of([0]), cursor_of([]),
            cursor_of({"id": 1}), cursor_of("[NaN]"), cursor_of("[" * 90), cursor_of([[1]]), "!!!", "eyJ",
            base64.urlsafe_b64encode(b"\xff\xfe[1]").decode()]


@pytest.fixture
def actors(world):
    merchant, developer = world.merchant(), world.developer()
    task = world.open_task(merchant)
    return {"merchant": merchant, "developer": developer, "admin": world.admin(), "task": task}


def lists(actors: dict[str, Any]) -> list[tuple[str, dict[str, Any], str | None]]:
    """(path, query, token) of every keyset-paginated list."""
    m, d, a = actors["merchant"].token, actors["developer"].token, actors["admin"].token
    return [("/tasks", {}, None), ("/tasks", {"sort": "reward"}, None), ("/tasks", {"sort": "deadline"}, None),
            ("/tasks/mine", {}, m), ("/applications", {"task_id": actors["task"]["id"]}, m),
            ("/applications/mine", {}, d), ("/payouts", {}, d), ("/notifications", {}, d),
            ("/disputes/queue", {}, a), ("/billing/admin/reconciliation", {}, a)]


def test_tampered_cursors_are_422_invalid_cursor_on_every_list(world, actors):
    for path, query, token in lists(actors):
        for cursor in TAMPERED:
            r = call("GET", path, query={**query, "cursor": cursor}, token=token)
            assert r.status == 422, (path, cursor, r.body)
            assert r["code"] == "INVALID_CURSOR" and r["errors"][0]["field"] == "cursor", r.body


def test_a_cursor_of_another_sort_is_refused(world, actors):
    # reward cursors hold fen, newest/deadline cursors hold times: swapping them is refused, not sent to PostgreSQL.
    reward_style = cursor_of([50_000, actors["task"]["id"]])
    time_style = cursor_of(["2026-12-01T00:00:00+00:00", actors["task"]["id"]])
    for sort, cursor in (("newest", reward_style), ("deadline", reward_style), ("reward", time_style)):
        r = call("GET", "/tasks", query={"sort": sort, "cursor": cursor})
        assert r.status == 422 and r["code"] == "INVALID_CURSOR", (sort, r.body)
    for sort, cursor in (("reward", reward_style), ("newest", time_style)):
        assert call("GET", "/tasks", query={"sort": sort, "cursor": cursor}).status == 200
    for bad in (["q", "2026-12-01T00:00:00+00:00", 1], ["p", 50_000, 1], ["2026-12-01T00:00:00+16:00", 1],
                ["2026-12-01T00:00:00", 1], ["p", "2026-12-01T00:00:00+00:00", "1"]):
        r = call("GET", "/tasks", query={"cursor": cursor_of(bad)})
        assert r.status == 422 and r["code"] == "INVALID_CURSOR", (bad, r.body)


def test_the_disputes_queue_pages_with_its_cursor(world):
    admin = world.admin()
    merchant = world.merchant()
    opened = []
    for _ in range(3):
        dev = world.developer()
        task_id = delivered_task(world, merchant, dev)["id"]
        r = call("POST", "/disputes", {"task_id": task_id, "reason": "交付与需求不符，多次沟通无果。"}, dev.token)
        assert r.status == 201, r.body
        opened.append(r["id"])
    seen, cursor = [], None
    while True:
        r = call("GET", "/disputes/queue", query={"limit": 2, **({"cursor": cursor} if cursor else {})},
                 token=admin.token)
        assert r.status == 200, r.body
        seen += [d["id"] for d in r["items"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == opened  # oldest first, each once
    r = call("GET", "/disputes/queue", query={"cursor": "x", "unknown": "1"}, token=admin.token)
    assert r.status == 422


# --- time-zone offsets beyond what PostgreSQL stores ---


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "-23:59", "+23:59"])
def test_deadlines_with_offsets_postgresql_refuses_are_422(world, actors, offset):
    deadline = (clock.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S") + offset
    merchant, admin = actors["merchant"], actors["admin"]
    attempts = [
        call("POST", "/tasks", world.task_body(deadline=deadline), merchant.token),
        call("PATCH", f"/tasks/{actors['task']['id']}", {"deadline": deadline}, merchant.token),
        call("POST", "/payments/admin/platform-tasks", world.task_body(deadline=deadline), admin.token),
        call("GET", "/tasks", query={"deadline_before": deadline}),
        call("GET", "/tasks", query={"deadline_after": deadline}),
    ]
    for r in attempts:
        assert r.status == 422, r.body
        assert r["errors"][0]["message"] == "时区偏移须在 -15:59 到 +15:59 之间", r.body


def test_deadlines_at_the_edge_postgresql_stores_are_accepted(world, actors):
    deadline = (clock.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S") + "-15:59"
    r = call("PATCH", f"/tasks/{actors['task']['id']}", {"deadline": deadline}, actors["merchant"].token)
    assert r.status == 200, r.body
    assert call("GET", "/tasks", query={"deadline_before": deadline.replace("-15:59", "+15:59")}).status == 200


# --- integers are integers ---


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/tasks", {"reward_fen": "100"}, "reward_fen"),
    ("/tasks", {"reward_fen": 50000.9}, "reward_fen"),
    ("/tasks", {"reward_fen": 50000.0}, "reward_fen"),
    ("/tasks", {"difficulty": "3"}, "difficulty"),
    ("/tasks", {"reward_fen": 2**63}, "reward_fen"),
])
def test_task_integers_are_not_coerced(world, actors, path, body, field):
    r = call("POST", path, world.task_body(**body), actors["merchant"].token)
    assert r.status == 422, r.body
    assert [e["field"] for e in r["errors"]] == [field]


def test_application_task_id_is_not_coerced(world, actors):
    dev = actors["developer"]
    for task_id in (str(actors["task"]["id"]), float(actors["task"]["id"]), True):
        r = call("POST", "/applications", {"task_id": task_id}, dev.token)
        assert r.status == 422 and r["errors"][0]["field"] == "task_id", r.body
    assert call("POST", "/applications", {"task_id": actors["task"]["id"]}, dev.token).status == 201


# --- JSON bodies say they are JSON ---


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_declared_json_is_415(world, actors, content_type):
    r = call("POST", "/tasks", world.task_body(), actors["merchant"].token, headers={"content-type": content_type})
    assert r.status == 415 and r["code"] == "UNSUPPORTED_MEDIA_TYPE", r.body
    r = call("POST", "/auth/sms/send", {"phone": "13800138000"}, headers={"content-type": content_type})
    assert r.status == 415


# --- admin ---


def test_retrying_a_job_that_does_not_exist_is_404(world, actors):
    r = call("POST", "/admin/jobs/987654321/retry", token=actors["admin"].token)
    assert r.status == 404 and r["code"] == "JOB_NOT_FOUND", r.body


# --- transfer notifications read amounts strictly too ---


@pytest.mark.parametrize("amount", ["42500", 42500.9, -1, None])
def test_transfer_notification_amounts_must_be_whole_fen(world, amount):
    from shared.adapters.wechatpay import Notification
    from shared.payments.errors import Refused
    from shared.payments.webhook import dispatch
    from shared.uow import run

    resource = {"out_bill_no": f"PO{uuid.uuid4().hex[:10]}", "state": "SUCCESS", "transfer_amount": amount}
    note = Notification(id=str(uuid.uuid4()), event_type="MCHTRANSFER.BILL.FINISHED", create_time=None,
                        resource_type="encrypt-resource", summary="", original_type="mch_payment", resource=resource)
    if amount is None:  # absent is allowed (an intermediate state carries none); here the bill is unknown
        with pytest.raises(Refused) as refused:
            run(lambda uow: dispatch(uow, note))
        assert refused.value.outcome == "unknown_transfer"
        return
    with pytest.raises(Refused) as refused:
        run(lambda uow: dispatch(uow, note))
    assert refused.value.status == 400 and refused.value.outcome == "malformed_resource"
