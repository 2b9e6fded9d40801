"""Auth: WeChat login, SMS codes and their limits, phone binding, token refresh/rotation, logout, bans."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from shared.adapters import clients
from tests.support.api import call
from tests.support.db import execute, scalar, uniq

UTC = timezone.utc


def send_code(world, phone: str) -> str:
    r = call("POST", "/auth/sms/send", {"phone": phone})
    assert r.status == 200, r.body
    code = world.sms.last_code("+86" + phone[-11:])
    assert code is not None and len(code) == 6 and code.isdigit()
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def ban(db, user_id: int) -> None:
    """What an operator does to ban an account."""
    execute("UPDATE users SET status = 'banned' WHERE id = :u", u=user_id)


# --- WeChat login ---


def test_wechat_login_creates_the_user_once(world, db):
    name = uniq("wx")
    code = world.wechat.mint_login_code(name)
    r = call("POST", "/auth/wechat", {"code": code})
    assert r.status == 200, r.body
    assert r["is_new_user"] is True
    assert r["token_type"] == "Bearer" and r["expires_in"] == 7200
    assert r["user"]["wechat_bound"] is True and r["user"]["phone_bound"] is False
    assert r["user"]["roles"] == []
    first_id = r["user"]["id"]

    r = call("POST", "/auth/wechat", {"code": world.wechat.mint_login_code(name)})
    assert r.status == 200, r.body
    assert r["user"]["id"] == first_id
    assert r["is_new_user"] is False

    assert scalar("SELECT count(*) FROM users WHERE openid = :o", o=world.wechat.openid_for(name)) == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'UserRegistered'") == 1


def test_wechat_login_later_is_not_new_either(world, clock):
    name = uniq("wx")
    first = call("POST", "/auth/wechat", {"code": world.wechat.mint_login_code(name)})
    clock.advance(timedelta(days=3))
    again = call("POST", "/auth/wechat", {"code": world.wechat.mint_login_code(name)})
    assert again.status == 200
    assert again["user"]["id"] == first["user"]["id"] and again["is_new_user"] is False


def test_different_wechat_users_get_different_accounts(world):
    a = world.login_wechat(uniq("a"))
    b = world.login_wechat(uniq("b"))
    assert a.user_id != b.user_id


def test_wechat_login_token_identifies_the_user(world):
    actor = world.login_wechat(uniq("me"))
    r = call("GET", "/auth/me", token=actor.token)
    assert r.status == 200
    assert r.body == {"id": actor.user_id, "nickname": "", "roles": [], "phone_bound": False, "wechat_bound": True}


@pytest.mark.parametrize("code", ["not-a-real-code", "0" * 32])
def test_unknown_wechat_code_is_401(world, db, code):
    r = call("POST", "/auth/wechat", {"code": code})
    assert r.status == 401
    assert r["code"] == "WECHAT_CODE_INVALID"
    assert "重新登录" in r["message"]
    assert scalar("SELECT count(*) FROM users") == 0


def test_reused_wechat_code_is_401(world, db):
    code = world.wechat.mint_login_code(uniq("reuse"))
    assert call("POST", "/auth/wechat", {"code": code}).status == 200
    r = call("POST", "/auth/wechat", {"code": code})
    assert r.status == 401 and r["code"] == "WECHAT_CODE_INVALID"
    assert scalar("SELECT count(*) FROM users") == 1


@pytest.mark.parametrize(("body", "message"), [({}, "必填"), ({"code": ""}, "长度至少为 1"),
                                               ({"code": "x" * 129}, "长度最多为 128"), ({"code": 123}, "应为字符串")])
def test_wechat_login_body_is_validated(world, body, message):
    r = call("POST", "/auth/wechat", body)
    assert r.status == 422
    assert r["errors"] == [{"field": "code", "message": message}]


def test_wechat_unreachable_is_503(world, monkeypatch, db):
    from shared.adapters.wechat import WeChatGateway

    dead = WeChatGateway("wx-dev-appid", "dev-secret", "http://127.0.0.1:9", timeout=1)
    monkeypatch.setattr(clients, "wechat", lambda: dead)
    r = call("POST", "/auth/wechat", {"code": "whatever"})
    assert r.status == 503
    assert r["code"] == "WECHAT_UNAVAILABLE"
    assert scalar("SELECT count(*) FROM users") == 0


def test_concurrent_first_logins_make_one_user(world, db):
    name = uniq("race")
    codes = [world.wechat.mint_login_code(name) for _ in range(4)]
    results: list = [None] * len(codes)
    barrier = threading.Barrier(len(codes))

    def login(i: int) -> None:
        barrier.wait()
        results[i] = call("POST", "/auth/wechat", {"code": codes[i]})

    threads = [threading.Thread(target=login, args=(i,)) for i in range(len(codes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in results), [r.body for r in results]
    assert len({r["user"]["id"] for r in results}) == 1
    assert sum(r["is_new_user"] for r in results) == 1
    assert scalar("SELECT count(*) FROM users") == 1


# --- SMS codes ---


def test_sms_send_and_login(world, db):
    r = call("POST", "/auth/sms/send", {"phone": "13800138000"})
    assert r.status == 200
    assert r.body == {"expires_in": 300, "resend_after": 60}
    sent = world.sms.messages("+8613800138000")[-1]
    code, minutes = sent["params"]
    assert minutes == "5" and code in sent["text"]

    r = call("POST", "/auth/sms/login", {"phone": "13800138000", "code": code})
    assert r.status == 200, r.body
    assert r["is_new_user"] is True
    assert r["user"]["phone_bound"] is True and r["user"]["wechat_bound"] is False
    assert scalar("SELECT phone FROM users WHERE id = :u", u=r["user"]["id"]) == "+8613800138000"
    # The code is never stored in clear.
    assert scalar("SELECT count(*) FROM sms_codes WHERE code_hash = :c", c=code) == 0


def test_sms_login_again_is_the_same_user(world, clock):
    first = world.login_sms("13800138001")
    clock.advance(timedelta(seconds=61))
    code = send_code(world, "13800138001")
    r = call("POST", "/auth/sms/login", {"phone": "13800138001", "code": code})
    assert r.status == 200
    assert r["user"]["id"] == first.user_id and r["is_new_user"] is False


@pytest.mark.parametrize("variant", ["+8613800138002", "86 138 0013 8002", "138-0013-8002", "+86-138-0013-8002"])
def test_phone_formats_are_normalised(world, db, variant):
    r = call("POST", "/auth/sms/send", {"phone": variant})
    assert r.status == 200, r.body
    code = world.sms.last_code("+8613800138002")
    r = call("POST", "/auth/sms/login", {"phone": "13800138002", "code": code})
    assert r.status == 200, r.body
    assert scalar("SELECT count(*) FROM sms_codes WHERE phone = '+8613800138002'") == 1


@pytest.mark.parametrize("phone", ["12345", "12800138000", "+14155550100", "1380013800a", "", "138001380000"])
def test_invalid_phone_is_422(world, phone):
    r = call("POST", "/auth/sms/send", {"phone": phone})
    assert r.status == 422
    assert r["errors"][0]["field"] == "phone"
    assert r["errors"][0]["message"] == "手机号格式不正确"


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456"])
def test_sms_login_code_must_be_six_digits(world, code):
    r = call("POST", "/auth/sms/login", {"phone": "13800138000", "code": code})
    assert r.status == 422
    assert r["errors"] == [{"field": "code", "message": "格式不正确"}]


def test_sms_resend_within_60_seconds_is_refused(world, clock):
    send_code(world, "13800138003")
    clock.advance(timedelta(seconds=30))
    r = call("POST", "/auth/sms/send", {"phone": "13800138003"})
    assert r.status == 429
    assert r["code"] == "SMS_TOO_FREQUENT"
    assert r["retry_after"] == 30 and "30 秒" in r["message"]
    clock.advance(timedelta(seconds=29))
    r = call("POST", "/auth/sms/send", {"phone": "13800138003"})
    assert r.status == 429 and r["retry_after"] == 1
    # Another phone is not affected.
    assert call("POST", "/auth/sms/send", {"phone": "13800138004"}).status == 200
    clock.advance(timedelta(seconds=2))  # 61 s after the first send
    assert call("POST", "/auth/sms/send", {"phone": "13800138003"}).status == 200
    assert len([m for m in world.sms.messages("+8613800138003") if m["sent_at"]]) >= 2


def test_sms_resend_at_exactly_60_seconds_is_allowed(world, clock):
    send_code(world, "13800138005")
    clock.advance(timedelta(seconds=60))
    assert call("POST", "/auth/sms/send", {"phone": "13800138005"}).status == 200


def test_concurrent_sends_to_one_phone_send_once(world, db):
    results: list = [None] * 4
    barrier = threading.Barrier(len(results))

    def tap(i: int) -> None:
        barrier.wait()
        results[i] = call("POST", "/auth/sms/send", {"phone": "13800138006"})

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [200, 429, 429, 429]
    assert scalar("SELECT count(*) FROM sms_codes WHERE phone = '+8613800138006'") == 1


def test_daily_limit_of_10_resets_at_beijing_midnight(world, clock):
    # Start at 23:00 Beijing (15:00 UTC): Beijing's next day begins at 16:00 UTC, long before UTC's.
    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    for _ in range(10):
        assert call("POST", "/auth/sms/send", {"phone": "13800138007"}).status == 200
        clock.advance(timedelta(seconds=61))
    r = call("POST", "/auth/sms/send", {"phone": "13800138007"})
    assert r.status == 429
    assert r["code"] == "SMS_DAILY_LIMIT" and "明天" in r["message"]
    clock.set(datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC))  # 23:59:59 Beijing
    assert call("POST", "/auth/sms/send", {"phone": "13800138007"})["code"] == "SMS_DAILY_LIMIT"
    clock.set(datetime(2026, 11, 25, 16, 0, 0, tzinfo=UTC))  # 00:00 Beijing, still the 25th in UTC
    r = call("POST", "/auth/sms/send", {"phone": "13800138007"})
    assert r.status == 200, r.body


def test_daily_limit_counts_only_today(world, clock):
    # 9 sends late on the 25th (Beijing), then 10 more are allowed on the 26th.
    clock.set(datetime(2026, 11, 25, 15, 40, tzinfo=UTC))  # 23:40 Beijing
    for _ in range(9):
        assert call("POST", "/auth/sms/send", {"phone": "13800138008"}).status == 200
        clock.advance(timedelta(seconds=61))
    clock.set(datetime(2026, 11, 25, 16, 5, tzinfo=UTC))  # 00:05 Beijing on the 26th
    for _ in range(10):
        r = call("POST", "/auth/sms/send", {"phone": "13800138008"})
        assert r.status == 200, r.body
        clock.advance(timedelta(seconds=61))
    assert call("POST", "/auth/sms/send", {"phone": "13800138008"})["code"] == "SMS_DAILY_LIMIT"


def test_sms_code_is_valid_for_5_minutes(world, clock):
    code = send_code(world, "13800138009")
    clock.advance(timedelta(seconds=299))
    r = call("POST", "/auth/sms/login", {"phone": "13800138009", "code": code})
    assert r.status == 200, r.body


def test_sms_code_expires_after_5_minutes(world, clock):
    code = send_code(world, "13800138010")
    clock.advance(timedelta(minutes=5))
    r = call("POST", "/auth/sms/login", {"phone": "13800138010", "code": code})
    assert r.status == 422
    assert r["errors"] == [{"field": "code", "message": "验证码已失效，请重新获取"}]


def test_sms_login_without_any_code_sent_is_422(world):
    r = call("POST", "/auth/sms/login", {"phone": "13800138011", "code": "123456"})
    assert r.status == 422 and r["errors"][0]["field"] == "code"


def test_sms_code_is_single_use(world):
    code = send_code(world, "13800138012")
    assert call("POST", "/auth/sms/login", {"phone": "13800138012", "code": code}).status == 200
    r = call("POST", "/auth/sms/login", {"phone": "13800138012", "code": code})
    assert r.status == 422 and r["errors"][0]["message"] == "验证码已失效，请重新获取"


def test_five_wrong_tries_lock_the_code(world, db, clock):
    phone = "13800138013"
    code = send_code(world, phone)
    for attempt in range(1, 6):
        r = call("POST", "/auth/sms/login", {"phone": phone, "code": wrong(code)})
        assert r.status == 422
        assert r["errors"] == [{"field": "code", "message": f"验证码错误，还可尝试 {5 - attempt} 次"}]
        # The failed request still committed its wrong try.
        assert scalar("SELECT attempts FROM sms_codes WHERE phone = :p", p="+86" + phone) == attempt
    r = call("POST", "/auth/sms/login", {"phone": phone, "code": code})
    assert r.status == 429
    assert r["code"] == "SMS_CODE_LOCKED"
    assert scalar("SELECT count(*) FROM users") == 0
    # A new code after the resend interval works.
    clock.advance(timedelta(seconds=61))
    fresh = send_code(world, phone)
    assert call("POST", "/auth/sms/login", {"phone": phone, "code": fresh}).status == 200


def test_fewer_than_five_wrong_tries_leave_the_code_usable(world):
    code = send_code(world, "13800138014")
    for _ in range(4):
        assert call("POST", "/auth/sms/login", {"phone": "13800138014", "code": wrong(code)}).status == 422
    assert call("POST", "/auth/sms/login", {"phone": "13800138014", "code": code}).status == 200


def test_only_the_latest_code_counts(world, clock):
    first = send_code(world, "13800138015")
    clock.advance(timedelta(seconds=61))
    second = send_code(world, "13800138015")
    if first != second:
        r = call("POST", "/auth/sms/login", {"phone": "13800138015", "code": first})
        assert r.status == 422 and "验证码错误" in r["errors"][0]["message"]
    assert call("POST", "/auth/sms/login", {"phone": "13800138015", "code": second}).status == 200


def test_code_of_another_phone_does_not_work(world):
    code = send_code(world, "13800138016")
    send_code(world, "13800138017")
    r = call("POST", "/auth/sms/login", {"phone": "13800138017", "code": code})
    # (One chance in a million that the two codes match.)
    assert r.status in (200, 422)
    if world.sms.last_code("+8613800138017") != code:
        assert r.status == 422


def test_failed_sms_send_is_503_and_does_not_count(world, monkeypatch, db):
    from shared.adapters.sms import SmsError

    class Broken:
        def send_code(self, phone: str, code: str, minutes: int) -> None:
            raise SmsError("LimitExceeded.PhoneNumberDailyLimit", "too many")

    monkeypatch.setattr(clients, "sms", lambda: Broken())
    r = call("POST", "/auth/sms/send", {"phone": "13800138018"})
    assert r.status == 503 and r["code"] == "SMS_UNAVAILABLE"
    assert scalar("SELECT count(*) FROM sms_codes") == 0
    monkeypatch.undo()
    # Not counted against the 60 s limit: an immediate retry goes through.
    assert call("POST", "/auth/sms/send", {"phone": "13800138018"}).status == 200


# --- phone binding ---


def test_bind_phone_with_sms(world, db, clock):
    actor = world.login_wechat(uniq("bind"))
    code = send_code(world, "13800138020")
    r = call("POST", "/auth/phone/sms", {"phone": "13800138020", "code": code}, actor.token)
    assert r.status == 200, r.body
    assert r["id"] == actor.user_id and r["phone_bound"] is True and r["wechat_bound"] is True
    assert scalar("SELECT phone FROM users WHERE id = :u", u=actor.user_id) == "+8613800138020"
    # The phone now logs in to the same account.
    clock.advance(timedelta(seconds=61))
    assert world.login_sms("13800138020").user_id == actor.user_id


def test_bind_phone_with_sms_wrong_code_counts_a_try(world, db):
    actor = world.login_wechat(uniq("bind"))
    code = send_code(world, "13800138021")
    r = call("POST", "/auth/phone/sms", {"phone": "13800138021", "code": wrong(code)}, actor.token)
    assert r.status == 422
    assert scalar("SELECT attempts FROM sms_codes") == 1
    assert scalar("SELECT phone FROM users WHERE id = :u", u=actor.user_id) is None


def test_bind_phone_needs_login(world):
    r = call("POST", "/auth/phone/sms", {"phone": "13800138022", "code": "123456"})
    assert r.status == 401 and r["code"] == "UNAUTHORIZED"
    r = call("POST", "/auth/phone/wechat", {"code": "abc"})
    assert r.status == 401


def test_bind_phone_with_wechat_phone_code(world, db):
    actor = world.login_wechat(uniq("wxphone"))
    code = world.wechat.mint_phone_code("13800138023")
    r = call("POST", "/auth/phone/wechat", {"code": code}, actor.token)
    assert r.status == 200, r.body
    assert r["phone_bound"] is True
    assert scalar("SELECT phone FROM users WHERE id = :u", u=actor.user_id) == "+8613800138023"
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'PhoneBound' AND entity_id = :u"
                      " AND user_ids @> ARRAY[CAST(:u AS bigint)]", u=actor.user_id) == 1
    assert world.login_sms("13800138023").user_id == actor.user_id


def test_wechat_phone_code_is_single_use(world):
    actor = world.login_wechat(uniq("wxphone"))
    code = world.wechat.mint_phone_code("13800138024")
    assert call("POST", "/auth/phone/wechat", {"code": code}, actor.token).status == 200
    r = call("POST", "/auth/phone/wechat", {"code": code}, actor.token)
    assert r.status == 422
    assert r["errors"] == [{"field": "code", "message": "手机号授权凭证无效或已过期"}]


def test_invalid_wechat_phone_code_is_422(world):
    actor = world.login_wechat(uniq("wxphone"))
    r = call("POST", "/auth/phone/wechat", {"code": "bogus"}, actor.token)
    assert r.status == 422 and r["errors"][0]["field"] == "code"


def test_foreign_phone_from_wechat_is_refused(world, db):
    actor = world.login_wechat(uniq("wxphone"))
    code = world.wechat.mint_phone_code("+14155550100", "1")
    r = call("POST", "/auth/phone/wechat", {"code": code}, actor.token)
    assert r.status == 422
    assert r["errors"] == [{"field": "code", "message": "仅支持中国大陆手机号"}]
    assert scalar("SELECT phone FROM users WHERE id = :u", u=actor.user_id) is None


def test_phone_taken_by_another_account_is_409(world, db, clock):
    owner = world.login_sms("13800138025")
    other = world.login_wechat(uniq("thief"))
    r = call("POST", "/auth/phone/wechat", {"code": world.wechat.mint_phone_code("13800138025")}, other.token)
    assert r.status == 409
    assert r["code"] == "PHONE_TAKEN" and r["message"] == "该手机号已绑定其他账号"
    clock.advance(timedelta(seconds=61))
    code = send_code(world, "13800138025")
    r = call("POST", "/auth/phone/sms", {"phone": "13800138025", "code": code}, other.token)
    assert r.status == 409 and r["code"] == "PHONE_TAKEN"
    assert scalar("SELECT phone FROM users WHERE id = :u", u=other.user_id) is None
    assert scalar("SELECT phone FROM users WHERE id = :u", u=owner.user_id) == "+8613800138025"
    assert call("GET", "/auth/me", token=other.token)["phone_bound"] is False


def test_binding_ones_own_phone_again_is_fine(world):
    actor = world.login_wechat(uniq("again"))
    for _ in range(2):
        r = call("POST", "/auth/phone/wechat", {"code": world.wechat.mint_phone_code("13800138026")}, actor.token)
        assert r.status == 200 and r["id"] == actor.user_id


# --- refresh, expiry, tampering, logout ---


def test_refresh_rotates_and_reuse_revokes_the_family(world, db):
    name = uniq("rot")
    actor = world.login_wechat(name)
    bystander = world.login_wechat(uniq("by"))
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 200, r.body
    new_access, new_refresh = r["access_token"], r["refresh_token"]
    assert new_refresh != actor.refresh_token
    assert r["user"]["id"] == actor.user_id and r["is_new_user"] is False
    assert call("GET", "/auth/me", token=new_access)["id"] == actor.user_id

    # The old refresh token comes back (stolen copy): refused, and the new one dies with it.
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 401 and r["code"] == "TOKEN_REVOKED"
    r = call("POST", "/auth/refresh", {"refresh_token": new_refresh})
    assert r.status == 401 and r["code"] == "TOKEN_REVOKED"
    assert scalar("SELECT count(*) FROM refresh_tokens WHERE user_id = :u AND revoked_at IS NULL",
                  u=actor.user_id) == 0
    # Someone else's session is untouched.
    assert call("POST", "/auth/refresh", {"refresh_token": bystander.refresh_token}).status == 200
    # Logging in again starts a new family that works.
    again = world.login_wechat(name)
    assert again.user_id == actor.user_id
    assert call("POST", "/auth/refresh", {"refresh_token": again.refresh_token}).status == 200


def test_refresh_twice_in_a_row_follows_the_chain(world):
    actor = world.login_wechat(uniq("chain"))
    token = actor.refresh_token
    seen = {token}
    for _ in range(3):
        r = call("POST", "/auth/refresh", {"refresh_token": token})
        assert r.status == 200
        token = r["refresh_token"]
        assert token not in seen
        seen.add(token)


def test_expired_access_token_is_401_and_refresh_recovers(world, clock):
    actor = world.login_wechat(uniq("exp"))
    clock.advance(timedelta(hours=2, seconds=1))
    r = call("GET", "/auth/me", token=actor.token)
    assert r.status == 401
    assert r["code"] == "TOKEN_EXPIRED" and r["message"] == "登录已过期，请重新登录"
    world.renew(actor)
    assert call("GET", "/auth/me", token=actor.token).status == 200


def test_expired_refresh_token_is_401(world, clock):
    actor = world.login_wechat(uniq("exp"))
    clock.advance(timedelta(days=30))
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 401 and r["code"] == "TOKEN_EXPIRED"


def _forge(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_access_token_is_401(world):
    victim = world.login_wechat(uniq("victim"))
    attacker = world.login_wechat(uniq("attacker"))
    for bad in (_forge(attacker.token, sub=str(victim.user_id)), _forge(attacker.token, exp=4_000_000_000),
                attacker.token[:-3] + "abc", attacker.token + "x"):
        r = call("GET", "/auth/me", token=bad)
        assert r.status == 401, bad
        assert r["code"] == "INVALID_TOKEN"


def test_tampered_refresh_token_is_401(world):
    actor = world.login_wechat(uniq("tamper"))
    r = call("POST", "/auth/refresh", {"refresh_token": _forge(actor.refresh_token, jti="other")})
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"


def test_access_token_is_not_a_refresh_token(world):
    actor = world.login_wechat(uniq("typ"))
    r = call("POST", "/auth/refresh", {"refresh_token": actor.token})
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"
    r = call("GET", "/auth/me", token=actor.refresh_token)
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"


def test_refresh_token_unknown_to_the_database_is_401(world, db):
    actor = world.login_wechat(uniq("gone"))
    execute("DELETE FROM refresh_tokens")
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"


def test_non_ascii_token_is_401_not_500(world):
    actor = world.login_wechat(uniq("ascii"))
    header, payload, _ = actor.token.split(".")
    r = call("GET", "/auth/me", token=f"{header}.{payload}.签名")
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"
    r = call("POST", "/auth/refresh", {"refresh_token": f"{header}.{payload}.签名签名签名"})
    assert r.status == 401


def test_logout_revokes_the_refresh_token(world):
    actor = world.login_wechat(uniq("bye"))
    r = call("POST", "/auth/logout", {"refresh_token": actor.refresh_token}, actor.token)
    assert r.status == 200 and r.body == {"ok": True}
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 401 and r["code"] == "TOKEN_REVOKED"
    # Logging out again (or with a dead token) is fine.
    assert call("POST", "/auth/logout", {"refresh_token": actor.refresh_token}, actor.token).status == 200
    assert call("POST", "/auth/logout", {"refresh_token": "x" * 20}, actor.token).status == 200


def test_logout_cannot_revoke_someone_elses_token(world):
    a = world.login_wechat(uniq("a"))
    b = world.login_wechat(uniq("b"))
    assert call("POST", "/auth/logout", {"refresh_token": b.refresh_token}, a.token).status == 200
    assert call("POST", "/auth/refresh", {"refresh_token": b.refresh_token}).status == 200


def test_logout_needs_login(world):
    actor = world.login_wechat(uniq("anon"))
    r = call("POST", "/auth/logout", {"refresh_token": actor.refresh_token})
    assert r.status == 401


# --- banned accounts ---


def test_banned_user_cannot_log_in_with_wechat(world, db):
    name = uniq("banned")
    actor = world.login_wechat(name)
    ban(db, actor.user_id)
    r = call("POST", "/auth/wechat", {"code": world.wechat.mint_login_code(name)})
    assert r.status == 401
    assert r["code"] == "ACCOUNT_BANNED" and "停用" in r["message"]
    assert scalar("SELECT count(*) FROM refresh_tokens WHERE user_id = :u", u=actor.user_id) == 1


def test_banned_user_cannot_log_in_with_sms(world, db, clock):
    actor = world.login_sms("13800138030")
    ban(db, actor.user_id)
    clock.advance(timedelta(seconds=61))
    code = send_code(world, "13800138030")
    r = call("POST", "/auth/sms/login", {"phone": "13800138030", "code": code})
    assert r.status == 401 and r["code"] == "ACCOUNT_BANNED"


def test_banned_user_cannot_refresh(world, db):
    actor = world.login_wechat(uniq("banned"))
    ban(db, actor.user_id)
    r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
    assert r.status == 401 and r["code"] == "ACCOUNT_BANNED"


def test_banned_user_is_refused_at_once_with_a_live_access_token(world, db):
    merchant = world.merchant(uniq("m"))
    ban(db, merchant.user_id)
    for method, path, body in [("GET", "/auth/me", None),
                               ("PUT", "/profiles/merchant", {"name": "改名"}),
                               ("GET", "/notifications", None),
                               ("POST", "/tasks", world.task_body())]:
        r = call(method, path, body, merchant.token)
        assert r.status == 403, (path, r.body)
        assert r["code"] == "ACCOUNT_BANNED"
    assert call("GET", f"/profiles/merchants/{merchant.user_id}")["name"] != "改名"


def test_unbanned_user_gets_back_in(world, db):
    name = uniq("unban")
    actor = world.login_wechat(name)
    ban(db, actor.user_id)
    assert call("GET", "/auth/me", token=actor.token).status == 403
    execute("UPDATE users SET status = 'active' WHERE id = :u", u=actor.user_id)
    assert call("GET", "/auth/me", token=actor.token).status == 200
    assert call("POST", "/auth/wechat", {"code": world.wechat.mint_login_code(name)}).status == 200


def test_token_of_a_deleted_account_is_401(world, db):
    actor = world.login_wechat(uniq("deleted"))
    execute("DELETE FROM refresh_tokens")
    execute("DELETE FROM users WHERE id = :u", u=actor.user_id)
    r = call("GET", "/auth/me", token=actor.token)
    assert r.status == 401 and r["code"] == "INVALID_TOKEN"


def test_sms_user_binds_wechat_once_and_not_someone_elses(world, platform):
    from tests.support.api import call

    wechat = platform.fakes["wechat"]
    sms_user = world.login_sms("13700001111")
    assert call("GET", "/auth/me", token=sms_user.token)["wechat_bound"] is False
    r = call("POST", "/auth/wechat/bind", {"code": wechat.mint_login_code("bind-me")}, sms_user.token)
    assert r.status == 200 and r["wechat_bound"] is True
    # Binding the same WeChat again is harmless; another WeChat is refused.
    assert call("POST", "/auth/wechat/bind", {"code": wechat.mint_login_code("bind-me")}, sms_user.token).status == 200
    r = call("POST", "/auth/wechat/bind", {"code": wechat.mint_login_code("bind-other")}, sms_user.token)
    assert r.status == 409 and r["code"] == "WECHAT_ALREADY_BOUND"
    # A WeChat that already has its own account cannot be taken over.
    taken = world.login_wechat("owner-of-wechat")
    other = world.login_sms("13700002222")
    r = call("POST", "/auth/wechat/bind", {"code": wechat.mint_login_code("owner-of-wechat")}, other.token)
    assert r.status == 409 and r["code"] == "WECHAT_TAKEN"
    assert taken.user_id != other.user_id
    # After binding, logging in with WeChat reaches the same account.
    assert world.login_wechat("bind-me").user_id == sms_user.user_id
    assert call("POST", "/auth/wechat/bind", {"code": "bogus"}, sms_user.token).status == 401
