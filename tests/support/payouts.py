"""Helpers for the payout and dispute tests: a delivered, escrow-funded task through the real API (funding goes through
the fake WeChat Pay and its webhook), ledger reads, and waiting for transfer notifications to be settled."""

from __future__ import annotations

from typing import Any

from tests.support.api import Actor, World, call
from tests.support.db import ledger_ok, rows, scalar, timer, wait_until  # noqa: F401 - re-exported to the suites

DELIVERY = {"content": "已完成登录页，见仓库。", "links": [{"title": "仓库", "url": "https://git.example.com/r"}]}


def funded_task(world: World, merchant: Actor, developer: Actor, **over: Any) -> dict[str, Any]:
    """An open task, funded through WeChat Pay (World.open_task), with `developer` chosen."""
    task = world.open_task(merchant, **over)
    r = call("POST", "/applications", {"task_id": task["id"]}, developer.token)
    assert r.status == 201, r.body
    r = call("POST", f"/applications/{r['id']}/accept", None, merchant.token)
    assert r.status == 200, r.body
    return task


def delivered_task(world: World, merchant: Actor, developer: Actor, **over: Any) -> dict[str, Any]:
    task = funded_task(world, merchant, developer, **over)
    r = call("POST", f"/work/{task['id']}/deliveries", DELIVERY, developer.token)
    assert r.status == 201, r.body
    return task


def accept(merchant: Actor, task_id: int) -> None:
    r = call("POST", f"/work/{task_id}/accept", {"note": "很好"}, merchant.token)
    assert r.status == 200, r.body


def work_jobs() -> dict[str, int]:
    from shared.jobs import work

    return work().as_dict()




def bal(code: str) -> int:
    return int(scalar("SELECT balance FROM ledger_accounts WHERE code = :c", c=code) or 0)


def postings(kind: str, ref: str) -> dict[str, int]:
    """The postings of one ledger transaction: {account code: signed fen}."""
    return {r.code: int(r.amount) for r in rows(
        "SELECT a.code, p.amount FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id"
        " JOIN ledger_accounts a ON a.id = p.account_id WHERE t.kind = :k AND t.ref = :r", k=kind, r=ref)}


def count_tx(kind: str, ref_like: str = "%") -> int:
    return int(scalar("SELECT count(*) FROM ledger_transactions WHERE kind = :k AND ref LIKE :r", k=kind, r=ref_like))






def payouts(dev: Actor) -> list[dict[str, Any]]:
    r = call("GET", "/payouts", token=dev.token)
    assert r.status == 200, r.body
    return r["items"]


def payout(dev: Actor, payout_id: int) -> dict[str, Any]:
    r = call("GET", f"/payouts/{payout_id}", token=dev.token)
    assert r.status == 200, r.body
    return r.body


def wait_state(dev: Actor, payout_id: int, state: str) -> dict[str, Any]:
    """Notifications come back over HTTP on the fake's own thread: poll until the payout shows `state`."""
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(payout(dev, payout_id))
        return found["state"] == state

    wait_until(reached, what=f"payout {payout_id} to be {state} (is {found.get('state')})")
    return found


def balance(dev: Actor) -> dict[str, Any]:
    r = call("GET", "/payouts/balance", token=dev.token)
    assert r.status == 200, r.body
    return r.body
