"""Milestone tasks (each milestone funded by its own order) and platform tasks (funded from the platform budget)."""

from __future__ import annotations

from typing import Any

from shared import jobs
from shared.ledger import accounts as acc
from tests.support import payments as money
from tests.support.api import call
from tests.support.db import rows, scalar, wait_until
from tests.support.payments import awaiting_task, balance, fund, postings, task_status

# The money fixtures (tests/support/payments.py): the fake WeChat Pay and the ledger check after every test.
pay, ledger_checked, no_faults = money.pay, money.ledger_checked, money.no_faults

MILESTONES = [{"title": "需求与原型", "reward_fen": 20_000}, {"title": "开发与交付", "reward_fen": 30_000}]


def milestone_ids(db: Any, task_id: int) -> list[int]:
    return [r.id for r in rows("SELECT id FROM task_milestones WHERE task_id = :t ORDER BY position", t=task_id)]


def test_milestones_are_funded_one_order_each(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant, milestones=MILESTONES)
    first, second = milestone_ids(db, task["id"])
    r = fund(task["id"], merchant)
    assert r.status == 200 and (r["milestone_id"], r["amount_fen"]) == (first, 20_000)
    pay.pay(r["out_trade_no"])
    wait_until(lambda: task_status(task["id"], merchant.token) == "open", what="opened by the first milestone")
    assert balance(db, acc.milestone_escrow(first)) == 20_000 and balance(db, acc.task_escrow(task["id"])) == 0
    funding = call("GET", f"/payments/tasks/{task['id']}/funding", token=merchant.token)
    assert [(m["id"], m["state"]) for m in funding["milestones"]] == [(first, "funded"), (second, "awaiting_funding")]
    assert funding["escrow_fen"] == 20_000
    # The next milestone is funded while the task is open.
    r = fund(task["id"], merchant)
    assert (r["milestone_id"], r["amount_fen"]) == (second, 30_000)
    pay.pay(r["out_trade_no"])
    wait_until(lambda: balance(db, acc.milestone_escrow(second)) == 30_000, what="second milestone funded")
    r = fund(task["id"], merchant)
    assert r.status == 409 and r["code"] == "ALREADY_FUNDED"
    r = fund(task["id"], merchant, milestone_id=first)
    assert r.status == 409 and r["code"] == "MILESTONE_ALREADY_FUNDED"
    assert task_status(task["id"], merchant.token) == "open" and postings(db, "fund_escrow") == 2
    r = call("PATCH", f"/tasks/{task['id']}", {"reward_fen": 60_000}, merchant.token)
    assert r.status == 409 and r["code"] == "REWARD_LOCKED"


def test_milestones_must_add_up_to_the_reward(world, db):
    merchant = world.merchant()
    r = call("POST", "/tasks", world.task_body(milestones=[{"title": "一期", "reward_fen": 10_000},
                                                           {"title": "二期", "reward_fen": 10_000}]), merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "milestones"
    r = call("POST", "/tasks", world.task_body(milestones=[{"title": "全部", "reward_fen": 50_000}]), merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "milestones"
    assert scalar("SELECT count(*) FROM tasks") == 0


def test_cancelling_a_milestone_task_refunds_what_was_funded(world, pay, db):
    merchant = world.merchant()
    task = awaiting_task(world, merchant, milestones=MILESTONES)
    first, second = milestone_ids(db, task["id"])
    world.fund(merchant, task["id"])
    assert call("POST", f"/tasks/{task['id']}/cancel", {}, merchant.token).status == 200
    [refund] = rows("SELECT amount_fen, escrow_account, milestone_id FROM refunds")
    assert (refund.amount_fen, refund.escrow_account, refund.milestone_id) == (20_000, acc.milestone_escrow(first),
                                                                              first)
    states = dict((r.id, r.state) for r in rows("SELECT id, state FROM task_milestones"))
    assert states == {first: "refunded", second: "cancelled"}
    jobs.work()
    wait_until(lambda: scalar("SELECT state FROM refunds") == "succeeded", what="refund succeeded")
    assert balance(db, acc.milestone_escrow(first)) == 0 and balance(db, acc.CLEARING) == 0


def test_platform_task_is_funded_from_the_budget_on_publication(world, db):
    admin, merchant = world.admin(), world.merchant()
    body = world.task_body(title="平台官方练手任务")
    r = call("POST", "/payments/admin/platform-tasks", body, admin.token)
    assert r.status == 409 and r["code"] == "PLATFORM_BUDGET_INSUFFICIENT"
    assert scalar("SELECT count(*) FROM tasks") == 0  # nothing half-made
    r = call("POST", "/payments/admin/budget/topup", {"amount_fen": 80_000, "reference": "BANK-2026-001"},
             admin.token)
    assert r.status == 200 and r.body == {"balance_fen": 80_000, "posted": True}
    again = call("POST", "/payments/admin/budget/topup", {"amount_fen": 80_000, "reference": "BANK-2026-001"},
                 admin.token)
    assert again.body == {"balance_fen": 80_000, "posted": False}  # the same transfer is counted once
    assert call("POST", "/payments/admin/budget/topup", {"amount_fen": 1, "reference": "X"},
                merchant.token).status == 403
    r = call("POST", "/payments/admin/platform-tasks", body, admin.token)
    assert r.status == 201 and r["status"] == "open" and r["is_platform"] and r["funded_at"]
    assert balance(db, acc.BUDGET) == 30_000 and balance(db, acc.task_escrow(r["id"])) == 50_000
    assert call("GET", "/payments/admin/budget", token=admin.token).body["balance_fen"] == 30_000
    assert [t["id"] for t in call("GET", "/tasks").body["items"]] == [r["id"]]
    f = fund(r["id"], merchant)
    assert f.status == 403  # not the merchant's task
    task = world.open_task(merchant)
    # Merchants cannot publish platform tasks through the public endpoint.
    m = call("POST", "/tasks", world.task_body(is_platform=True), merchant.token)
    assert m.status == 403 and m["code"] == "ADMIN_REQUIRED"
    # Cancelled before work: the escrow goes back to the budget, no WeChat refund.
    assert call("POST", f"/payments/admin/platform-tasks/{task['id']}/cancel", {}, admin.token).status == 404
    assert call("POST", f"/payments/admin/platform-tasks/{r['id']}/cancel", {}, merchant.token).status == 403
    assert call("POST", f"/payments/admin/platform-tasks/{r['id']}/cancel", {"reason": "下线"},
                admin.token).status == 200
    assert balance(db, acc.BUDGET) == 80_000 and balance(db, acc.task_escrow(r["id"])) == 0
    assert scalar("SELECT count(*) FROM refunds") == 0 and postings(db, "budget_return") == 1


def test_platform_milestone_task_funds_every_milestone(world, db):
    admin = world.admin()
    call("POST", "/payments/admin/budget/topup", {"amount_fen": 50_000, "reference": "BANK-7"}, admin.token)
    r = call("POST", "/payments/admin/platform-tasks", world.task_body(milestones=MILESTONES), admin.token)
    assert r.status == 201 and r["status"] == "open"
    first, second = milestone_ids(db, r["id"])
    assert balance(db, acc.milestone_escrow(first)) == 20_000 and balance(db, acc.milestone_escrow(second)) == 30_000
    assert balance(db, acc.BUDGET) == 0
