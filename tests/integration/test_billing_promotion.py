"""Promotion (置顶推荐) through the API and the fake WeChat Pay: the task ranks first in the hall while it lasts, the
keyset walk still shows every task exactly once, only the owner can promote an open task, and the money is posted
once (or refunded when the task stopped recruiting before the payment came)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.api import call
from tests.support.billing import ledger_ok, pay, rows, scalar, timer, wait_until


@pytest.fixture
def shop(world, clock):
    """A merchant with four open tasks, published a minute apart (oldest first) with distinct rewards and tags."""
    merchant = world.merchant()
    tasks = []
    for i, (reward, tags) in enumerate([(20_000, ["python"]), (50_000, ["vue"]), (30_000, ["python", "vue"]),
                                        (80_000, ["go"])]):
        clock.advance(timedelta(minutes=1))
        tasks.append(world.open_task(merchant, title=f"置顶测试任务 {i}", reward_fen=reward, skill_tags=tags)["id"])
    return merchant, tasks


def promote(actor, task_id: int, days: int):
    return call("POST", f"/billing/tasks/{task_id}/promotion", {"days": days}, actor.token)


def hall(**query):
    r = call("GET", "/tasks", query=query)
    assert r.status == 200, r.body
    return r.body


def walk(**query) -> list[int]:
    seen, cursor = [], None
    while True:
        page = hall(**(query | ({"cursor": cursor} if cursor else {})))
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_promoted_task_ranks_first_while_it_lasts(shop, platform, clock):
    merchant, (t0, t1, t2, t3) = shop
    assert [t["id"] for t in hall()["items"]] == [t3, t2, t1, t0]
    r = promote(merchant, t0, 1)
    assert r.status == 201, r.body
    assert r["amount_fen"] == 3_000 and r["purpose"] == "promotion" and r["payment"]["package"].startswith("prepay_id=")
    assert [t["id"] for t in hall()["items"]] == [t3, t2, t1, t0]  # not before the money arrives

    pay(platform, r["out_trade_no"])
    items = hall()["items"]
    assert [t["id"] for t in items] == [t0, t3, t2, t1]
    assert items[0]["promoted"] and not any(t["promoted"] for t in items[1:])
    assert [t["id"] for t in hall(sort="reward")["items"]] == [t0, t3, t1, t2]
    assert hall(sort="deadline")["items"][0]["id"] == t0
    # Filters still apply to promoted tasks.
    assert [t["id"] for t in hall(tags="vue")["items"]] == [t2, t1]
    assert [t["id"] for t in hall(tags="python")["items"]] == [t0, t2]
    # The keyset walk sees every task exactly once, promoted first, in every sort and page size.
    for sort in ("newest", "reward", "deadline"):
        for limit in (1, 2, 3):
            seen = walk(sort=sort, limit=limit)
            assert seen[0] == t0 and sorted(seen) == sorted([t0, t1, t2, t3]) and len(seen) == 4, (sort, limit)

    status = call("GET", f"/billing/tasks/{t0}/promotion", token=merchant.token)
    assert status.status == 200 and status["promoted"] and len(status["history"]) == 1
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 3_000
    [tx] = rows("SELECT kind FROM ledger_transactions WHERE ref = :r", r=f"order:{r['out_trade_no']}")
    assert tx.kind == "promotion_paid"
    ledger_ok()

    # A day later the hall stops ranking it first at once; the timer then clears it and tells the merchant.
    clock.advance(timedelta(days=1, minutes=1))
    assert [t["id"] for t in hall()["items"]] == [t3, t2, t1, t0]
    result = timer("memberships")
    assert result["promotions_ended"] == 1
    assert scalar("SELECT promoted_until FROM tasks WHERE id = :t", t=t0) is None
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'promotion_ended'",
                  u=merchant.user_id) == 1
    assert timer("memberships")["promotions_ended"] == 0
    ledger_ok()


def test_more_promoted_tasks_than_a_page(shop, platform):
    merchant, tasks = shop
    for t, days in zip(tasks[:3], (1, 3, 7), strict=True):
        r = promote(merchant, t, days)
        assert r.status == 201, r.body
        pay(platform, r["out_trade_no"])
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 3_000 + 5_000 + 8_000
    for limit in (1, 2, 3, 4, 5):
        seen = walk(limit=limit)
        # The promoted segment (newest first), then the rest.
        assert seen == [tasks[2], tasks[1], tasks[0], tasks[3]], limit
    ledger_ok()


def test_promotions_stack(shop, platform, clock):
    merchant, tasks = shop
    for _ in range(2):
        r = promote(merchant, tasks[1], 1)
        pay(platform, r["out_trade_no"])
    until = scalar("SELECT promoted_until FROM tasks WHERE id = :t", t=tasks[1])
    assert until == clock.now() + timedelta(days=2)
    status = call("GET", f"/billing/tasks/{tasks[1]}/promotion", token=merchant.token)
    assert len(status["history"]) == 2 and [o["days"] for o in status["options"]] == [1, 3, 7]
    clock.advance(timedelta(days=1, hours=1))
    assert hall()["items"][0]["id"] == tasks[1]
    ledger_ok()


def test_only_the_owner_can_promote_an_open_task(shop, world):
    merchant, tasks = shop
    other = world.merchant()
    dev = world.developer()
    r = promote(other, tasks[0], 1)
    assert r.status == 403 and r["code"] == "NOT_TASK_OWNER" and r["message"]
    assert call("GET", f"/billing/tasks/{tasks[0]}/promotion", token=other.token).status == 403
    r = promote(dev, tasks[0], 1)
    assert r.status == 403 and r["code"] == "ROLE_REQUIRED"
    assert promote(merchant, 999_999, 1).status == 404
    r = promote(merchant, tasks[0], 2)
    assert r.status == 422 and r["code"] == "VALIDATION_FAILED" and "1、3、7" in r["message"]
    assert call("POST", f"/billing/tasks/{tasks[0]}/promotion", {"days": 1}).status == 401
    assert call("POST", f"/tasks/{tasks[0]}/cancel", {}, merchant.token).status == 200
    r = promote(merchant, tasks[0], 1)
    assert r.status == 409 and r["code"] == "TASK_NOT_OPEN"
    assert scalar("SELECT count(*) FROM payment_orders WHERE purpose = 'promotion'") == 0


def test_operators_set_promotion_prices(shop, world):
    merchant, tasks = shop
    admin = world.admin()
    r = call("PUT", "/admin/rules/promotion_prices_fen", {"value": {"2": 4_000, "14": 8_000}}, admin.token)
    assert r.status == 200, r.body
    assert promote(merchant, tasks[0], 1).status == 422
    r = promote(merchant, tasks[0], 14)
    assert r.status == 201 and r["amount_fen"] == 8_000
    r = call("PUT", "/admin/rules/promotion_prices_fen", {"value": {"1": 0}}, admin.token)
    assert r.status == 422


def test_promotion_paid_after_the_task_closed_is_refunded(shop, platform):
    from shared.jobs import work

    merchant, tasks = shop
    r = promote(merchant, tasks[0], 3)
    assert r.status == 201, r.body
    assert call("POST", f"/tasks/{tasks[0]}/cancel", {}, merchant.token).status == 200
    pay(platform, r["out_trade_no"])  # the payer was already in the WeChat Pay sheet
    assert scalar("SELECT count(*) FROM promotions") == 0
    assert scalar("SELECT promoted_until FROM tasks WHERE id = :t", t=tasks[0]) is None
    [refund] = rows("SELECT r.amount_fen, r.escrow_account FROM refunds r JOIN payment_orders o ON o.id = r.order_id"
                    " WHERE o.out_trade_no = :no", no=r["out_trade_no"])
    assert refund.amount_fen == 5_000 and refund.escrow_account == "platform:revenue"
    work()  # the refund_start jobs call the refund API; the fake completes them and notifies
    wait_until(lambda: scalar("SELECT bool_and(state = 'succeeded') FROM refunds"), what="refunds succeeded")
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 0
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'refunds:in_flight'") == 0
    # What is left at WeChat Pay is exactly the escrow of the three tasks still open.
    held = scalar("SELECT sum(reward_fen) FROM tasks WHERE status = 'open'")
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'wechatpay:clearing'") == held
    ledger_ok()


def test_promotion_bought_with_the_escrow_ranks_first(shop, world):
    merchant, _ = shop  # not a first-time merchant any more: the new task skips review
    r = call("POST", "/tasks", world.task_body(title="随托管置顶的任务"), merchant.token)
    assert r.status == 201 and r["status"] == "awaiting_funding", r.body
    out_trade_no = world.fund(merchant, r["id"], promotion_days=3)
    assert hall()["items"][0]["id"] == r["id"] and hall()["items"][0]["promoted"]
    [p] = rows("SELECT p.days, p.price_fen, o.out_trade_no FROM promotions p JOIN payment_orders o"
               " ON o.id = p.source_order_id")
    assert (p.days, p.price_fen, p.out_trade_no) == (3, 5_000, out_trade_no)
    # One ledger transaction for the order (the payments area's fund_escrow carries the fee as revenue).
    [tx] = rows("SELECT kind FROM ledger_transactions WHERE ref = :r", r=f"order:{out_trade_no}")
    assert tx.kind == "fund_escrow"
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 5_000
    ledger_ok()
