"""Memberships through the API and the fake WeChat Pay: buying, the webhook granting once, renewal, expiry by timer,
their effects (application cap, commission tier, growth pass) and privacy. The ledger is checked after each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.billing import memberships
from shared.billing.plans import add_months
from shared.uow import run
from tests.support.api import call
from tests.support.billing import ledger_ok, pay, rows, scalar, timer, wait_until


def buy(actor, plan: str, months: int = 1):
    r = call("POST", "/billing/subscriptions", {"plan": plan, "months": months}, actor.token)
    assert r.status == 201, r.body
    return r.body


def quota_cap(dev) -> int:
    r = call("GET", "/applications/quota", token=dev.token)
    assert r.status == 200, r.body
    return r["daily_cap"]


def test_price_list_is_public_and_follows_the_rules(world):
    r = call("GET", "/billing/plans")
    assert r.status == 200, r.body
    prices = {p["plan"]: p["price_fen_per_month"] for p in r["plans"]}
    assert prices == {"enterprise": 19_900, "growth": 4_900, "premium": 1_990}
    assert [(o["days"], o["price_fen"]) for o in r["promotion"]] == [(1, 3_000), (3, 5_000), (7, 8_000)]
    admin = world.admin()
    r = call("PUT", "/admin/rules/premium_price_fen", {"value": 2_500}, admin.token)
    assert r.status == 200, r.body
    assert {p["plan"]: p["price_fen_per_month"] for p in call("GET", "/billing/plans")["plans"]}["premium"] == 2_500


def test_buying_premium_raises_the_application_cap(world, platform, clock):
    dev = world.developer()
    assert quota_cap(dev) == 5
    order = buy(dev, "premium")
    assert order["amount_fen"] == 1_990 and order["purpose"] == "subscription"
    assert order["payment"]["package"].startswith("prepay_id=") and order["payment"]["paySign"]
    assert quota_cap(dev) == 5  # nothing before the money arrives

    pay(platform, order["out_trade_no"])
    assert quota_cap(dev) == 30
    r = call("GET", "/billing/subscriptions", token=dev.token)
    assert r.status == 200, r.body
    assert r["perks"]["premium"] and r["perks"]["daily_application_cap"] == 30
    assert r["perks"]["premium_cap_reason"] == "premium"
    [m] = r["memberships"]
    assert m["plan"] == "premium" and m["status"] == "active" and m["out_trade_no"] == order["out_trade_no"]
    until = add_months(clock.now(), 1)
    assert scalar("SELECT premium_until FROM users WHERE id = :u", u=dev.user_id) == until
    # Revenue posted once, as one transaction for the order.
    [tx] = rows("SELECT kind, ref FROM ledger_transactions WHERE ref = :r", r=f"order:{order['out_trade_no']}")
    assert tx.kind == "subscription_paid"
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 1_990
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'wechatpay:clearing'") == 1_990
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'membership_activated'",
                  u=dev.user_id) == 1
    ledger_ok()


def test_duplicate_notification_grants_once(world, platform):
    dev = world.developer()
    order = buy(dev, "premium", 2)
    pay(platform, order["out_trade_no"])
    fake = platform.fakes["wechatpay"]
    [note] = [n for n in fake.notifications("TRANSACTION.SUCCESS")
              if n["resource"]["out_trade_no"] == order["out_trade_no"]]
    for _ in range(3):
        fake.resend_notification(note["id"])

    def resends_answered():
        [n] = [n for n in fake.notifications() if n["id"] == note["id"]]
        return sum(1 for a in n["attempts"] if a["resend"] and a["status"] == 200) == 3

    wait_until(resends_answered, what="three duplicates answered")
    assert scalar("SELECT count(*) FROM memberships WHERE user_id = :u", u=dev.user_id) == 1
    assert scalar("SELECT count(*) FROM ledger_transactions WHERE ref = :r",
                  r=f"order:{order['out_trade_no']}") == 1
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 2 * 1_990
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'membership_activated'",
                  u=dev.user_id) == 1
    ledger_ok()


def test_renewal_while_active_stacks_on_the_current_end(world, platform, clock):
    dev = world.developer()
    start = clock.now()
    pay(platform, buy(dev, "premium", 1)["out_trade_no"])
    clock.advance(timedelta(days=10))
    world.renew(dev)
    pay(platform, buy(dev, "premium", 2)["out_trade_no"])
    first_end = add_months(start, 1)
    periods = rows("SELECT period_start, period_end FROM memberships WHERE user_id = :u ORDER BY id", u=dev.user_id)
    assert periods[0].period_end == first_end
    assert periods[1].period_start == first_end  # not "now": renewal extends
    assert periods[1].period_end == add_months(first_end, 2)
    assert scalar("SELECT premium_until FROM users WHERE id = :u", u=dev.user_id) == periods[1].period_end
    r = call("GET", "/billing/subscriptions", token=dev.token)
    assert {m["status"] for m in r["memberships"]} == {"active", "scheduled"}
    [premium] = [p for p in r["plans"] if p["plan"] == "premium"]
    assert premium["active"] and premium["until"] is not None
    # Past the first period the second one carries on, with no gap, and the timer reports no lapse.
    clock.set(first_end + timedelta(minutes=1))
    world.renew(dev)
    result = timer("memberships")
    assert result["memberships_expired"] == 1 and result["memberships_lapsed"] == 0
    assert quota_cap(dev) == 30
    ledger_ok()


def test_buying_after_expiry_starts_now(world, platform, clock):
    dev = world.developer("成长者")
    pay(platform, buy(dev, "growth", 1)["out_trade_no"])
    clock.advance(timedelta(days=40))
    dev = world.login_wechat("成长者")  # past the refresh token's life too: log in again
    now = clock.now()
    pay(platform, buy(dev, "growth", 1)["out_trade_no"])
    latest = rows("SELECT period_start, period_end FROM memberships WHERE user_id = :u ORDER BY id DESC LIMIT 1",
                  u=dev.user_id)[0]
    assert latest.period_start == now and latest.period_end == add_months(now, 1)
    ledger_ok()


def test_expiry_and_reminder_by_timer(world, platform, clock):
    dev = world.developer()
    pay(platform, buy(dev, "premium", 1)["out_trade_no"])
    end = add_months(clock.now(), 1)

    clock.set(end - timedelta(days=4))
    assert timer("memberships")["reminded"] == 0  # not yet within 3 days
    clock.set(end - timedelta(days=2, hours=23))
    assert timer("memberships")["reminded"] == 1
    assert timer("memberships")["reminded"] == 0  # once per period
    world.renew(dev)
    inbox = call("GET", "/notifications", token=dev.token).body["items"]
    assert "membership_expiring" in {n["kind"] for n in inbox}
    assert quota_cap(dev) == 30

    clock.set(end + timedelta(minutes=5))
    world.renew(dev)
    result = timer("memberships")
    assert result["memberships_expired"] == 1 and result["memberships_lapsed"] == 1
    assert scalar("SELECT premium_until FROM users WHERE id = :u", u=dev.user_id) is None
    assert quota_cap(dev) == 5
    r = call("GET", "/billing/subscriptions", token=dev.token)
    assert not r["perks"]["premium"] and r["memberships"][0]["status"] == "expired"
    assert "membership_expired" in {n["kind"] for n in call("GET", "/notifications", token=dev.token)["items"]}
    assert timer("memberships")["memberships_expired"] == 0  # idempotent
    ledger_ok()


def test_renewed_period_is_not_reminded_twice(world, platform, clock):
    dev = world.developer()
    pay(platform, buy(dev, "premium", 1)["out_trade_no"])
    end = add_months(clock.now(), 1)
    clock.set(end - timedelta(days=2))
    assert timer("memberships")["reminded"] == 1
    world.renew(dev)
    pay(platform, buy(dev, "premium", 1)["out_trade_no"])  # renews from `end`
    assert timer("memberships")["reminded"] == 0  # the new latest period ends a month later
    clock.set(add_months(end, 1) - timedelta(days=1))
    assert timer("memberships")["reminded"] == 1  # its own reminder, once
    ledger_ok()


def test_enterprise_membership_sets_the_commission_tier(world, platform, clock):
    shop = world.merchant()
    assert not run(lambda uow: memberships.is_enterprise(uow, shop.user_id, clock.now()))
    order = buy(shop, "enterprise", 3)
    assert order["amount_fen"] == 3 * 19_900
    pay(platform, order["out_trade_no"])
    assert run(lambda uow: memberships.is_enterprise(uow, shop.user_id, clock.now()))
    assert run(lambda uow: memberships.is_enterprise(uow, shop.user_id, add_months(clock.now(), 3)
                                                     - timedelta(seconds=1)))
    assert not run(lambda uow: memberships.is_enterprise(uow, shop.user_id, add_months(clock.now(), 3)))
    r = call("GET", "/billing/subscriptions", token=shop.token)
    assert r["perks"]["enterprise"] and r["perks"]["commission_tier"] == "enterprise"
    ledger_ok()


def test_growth_pass(world, platform, clock):
    dev = world.developer()
    assert not run(lambda uow: memberships.has_growth_pass(uow, dev.user_id, clock.now()))
    pay(platform, buy(dev, "growth")["out_trade_no"])
    assert run(lambda uow: memberships.has_growth_pass(uow, dev.user_id, clock.now()))
    assert not run(lambda uow: memberships.is_premium(uow, dev.user_id, clock.now()))  # plans are separate
    r = call("GET", "/billing/subscriptions", token=dev.token)
    assert r["perks"]["growth_pass"] and not r["perks"]["premium"] and r["perks"]["daily_application_cap"] == 5
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 4_900
    ledger_ok()


def test_plans_are_for_their_roles(world):
    dev = world.developer()
    shop = world.merchant()
    r = call("POST", "/billing/subscriptions", {"plan": "enterprise", "months": 1}, dev.token)
    assert r.status == 403 and r["code"] == "PLAN_ROLE_REQUIRED" and r["message"]
    r = call("POST", "/billing/subscriptions", {"plan": "premium", "months": 1}, shop.token)
    assert r.status == 403 and r["code"] == "PLAN_ROLE_REQUIRED"
    assert scalar("SELECT count(*) FROM payment_orders") == 0


@pytest.mark.parametrize("body", [{"plan": "gold", "months": 1}, {"plan": "premium", "months": 0},
                                  {"plan": "premium", "months": 13}, {"plan": "premium", "months": "x"},
                                  {"plan": "premium", "months": 1, "extra": 1}])
def test_bad_subscription_requests_are_422(world, body):
    dev = world.developer()
    r = call("POST", "/billing/subscriptions", body, dev.token)
    assert r.status == 422 and r["code"] == "VALIDATION_FAILED", r.body


def test_subscriptions_need_login_and_are_private(world, platform):
    assert call("GET", "/billing/subscriptions").status == 401
    assert call("POST", "/billing/subscriptions", {"plan": "premium"}).status == 401
    mine, other = world.developer(), world.developer()
    pay(platform, buy(mine, "premium")["out_trade_no"])
    r = call("GET", "/billing/subscriptions", token=other.token)
    assert r.status == 200 and r["memberships"] == [] and not r["perks"]["premium"]
    assert len(call("GET", "/billing/subscriptions", token=mine.token)["memberships"]) == 1
    # Nor can anyone read my order through the payments API.
    out_trade_no = scalar("SELECT out_trade_no FROM payment_orders WHERE payer_id = :u", u=mine.user_id)
    assert call("GET", f"/payments/orders/{out_trade_no}", token=other.token).status == 404
    ledger_ok()


def test_sms_only_account_cannot_pay(world):
    actor = world.login_sms("13800000001")
    r = call("PUT", "/profiles/developer", {"display_name": "短信用户", "headline": "后端", "bio": "经验丰富",
                                            "skills": ["python"]}, actor.token)
    assert r.status == 200, r.body
    r = call("POST", "/billing/subscriptions", {"plan": "premium", "months": 1}, actor.token)
    assert r.status == 409 and r["code"] == "OPENID_REQUIRED", r.body


def test_two_orders_paid_at_once_stack_without_overlap(world, platform, clock):
    import threading

    dev = world.developer()
    nos = [buy(dev, "premium", months)["out_trade_no"] for months in (1, 2)]
    threads = [threading.Thread(target=pay, args=(platform, no)) for no in nos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    periods = rows("SELECT period_start, period_end FROM memberships WHERE user_id = :u ORDER BY period_start",
                   u=dev.user_id)
    assert len(periods) == 2
    assert periods[0].period_start == clock.now() and periods[1].period_start == periods[0].period_end
    assert scalar("SELECT premium_until FROM users WHERE id = :u", u=dev.user_id) == periods[1].period_end
    assert scalar("SELECT balance FROM ledger_accounts WHERE code = 'platform:revenue'") == 3 * 1_990
    ledger_ok()
