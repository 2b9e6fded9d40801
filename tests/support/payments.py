"""Helpers for the pay-in tests (test_payments*.py, test_money_crashes.py): a task approved and waiting for its escrow,
the merchant's fund call, WeChat Pay notifications made and delivered as the fake would, the orders timer, ledger
reads, and the money fixtures (`pay`, `outage`, `ledger_checked`, `no_faults`), which a test module binds by name:
`pay, outage = money.pay, money.outage` after `from tests.support import payments as money`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.support.api import Actor, Resp, World, call
from tests.support.db import ledger_ok, scalar, wait_until


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


def balance(db: Any, code: str) -> int:
    return int(scalar("SELECT coalesce((SELECT balance FROM ledger_accounts WHERE code = :c), 0)", c=code))


def postings(db: Any, kind: str) -> int:
    return int(scalar("SELECT count(*) FROM ledger_transactions WHERE kind = :k", k=kind))


@pytest.fixture(autouse=True)
def ledger_checked(db):
    """Every money scenario ends with the ledger's invariants verified (balanced, derived, nothing negative or
    stuck in the escrow of a closed task)."""
    yield
    ledger_ok()


@pytest.fixture(autouse=True)
def no_faults():
    from shared import faults

    yield
    faults.disarm_all()


@pytest.fixture
def pay(platform):
    fake = platform.fakes["wechatpay"]
    yield fake
    notifications_settled(fake, timeout=8)


class Outage:
    """WeChat Pay cannot reach our webhook (503) while on; `deliver()` in a test still gets through."""

    def __init__(self, monkeypatch: Any) -> None:
        from shared.payments import webhook

        self._real = webhook.handle
        self.on = False

        def handle(headers: dict[str, str], body: bytes) -> Any:
            from shared.http.router import Response

            if self.on and not headers.get("x-test-direct"):
                return Response(503, {"code": "FAIL", "message": "维护中"})
            return self._real(headers, body)

        monkeypatch.setattr(webhook, "handle", handle)


@pytest.fixture
def outage(monkeypatch):
    o = Outage(monkeypatch)
    yield o
    o.on = False


def task_status(task_id: int, token: str) -> str:
    return call("GET", f"/tasks/{task_id}", token=token)["status"]


def notification(pay: Any, event_type: str, resource: dict[str, Any], *, original_type: str = "transaction",
                 notification_id: str | None = None, timestamp: int | None = None, sign_body: bytes | None = None,
                 ciphertext: str | None = None) -> tuple[str, dict[str, str]]:
    """A WeChat Pay notification as the fake would send it: resource encrypted with the APIv3 key, body signed with
    the platform key. `sign_body` signs other bytes than those sent (a forgery), `ciphertext` replaces the sealed
    resource after signing is computed over it (tampering), `timestamp` backdates the signature."""
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
    nonce, sealed = pay.encrypt_resource(plaintext, original_type)
    envelope = {
        "id": notification_id or str(uuid.uuid4()), "create_time": datetime.now(timezone.utc).isoformat(),
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": "通知",
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": ciphertext or sealed, "associated_data": original_type, "nonce": nonce},
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    headers = {k.lower(): v for k, v in pay.sign(sign_body if sign_body is not None else body, timestamp).items()}
    return body.decode(), headers


def deliver(body: str, headers: dict[str, str]) -> Resp:
    """POST /payments/notify in process, with the exact raw body."""
    return call("POST", "/payments/notify", body, headers={**headers, "x-test-direct": "1"})


def paid_resource(pay: Any, out_trade_no: str, **over: Any) -> dict[str, Any]:
    """The TRANSACTION resource of an order, as paid (from the fake's own record of it)."""
    resource = pay.order(out_trade_no)
    resource.update(over)
    return resource


def poll() -> dict[str, int]:
    from functions.timers.index import main_handler

    answer = main_handler({"Type": "Timer", "TriggerName": "orders_poll"}, None)
    assert answer["ok"], answer
    return answer["result"]
