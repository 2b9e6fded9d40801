"""Helpers for the pay-in tests (test_payments.py, test_money_crashes.py): a task approved and waiting for its escrow,
the merchant's fund call, and waiting for the fake WeChat Pay's notifications to settle after a test."""

from __future__ import annotations

from typing import Any

from tests.support.api import Actor, Resp, World, call
from tests.support.db import wait_until


def awaiting_task(world: World, merchant: Actor, **over: Any) -> dict[str, Any]:
    """A task published by `merchant` (approved by the operator when it went to review), waiting for its escrow."""
    r = call("POST", "/tasks", world.task_body(**over), merchant.token)
    assert r.status == 201, r.body
    if r["status"] == "pending_review":
        r = call("POST", f"/admin/tasks/{r['id']}/approve", {}, world.admin().token)
        assert r.status == 200, r.body
    assert r["status"] == "awaiting_funding", r.body
    return r.body


def fund(task_id: int, merchant: Actor, **body: Any) -> Resp:
    """The merchant's 「托管赏金」 tap: POST /payments/tasks/{id}/fund (the answer, whatever its status)."""
    return call("POST", f"/payments/tasks/{task_id}/fund", body, merchant.token)


def notifications_settled(fake: Any, timeout: float = 10) -> None:
    """Let the fake WeChat Pay finish delivering (or give up on) every notification it sent, so that no retry of one
    test's notification lands in the next test's database (the fake lives for the whole session)."""
    wait_until(lambda: all(n["delivered"] or n["gave_up"] for n in fake.notifications()), timeout=timeout,
               what="fake notifications settled")
