"""WeChatGateway (wechatpy) end to end against FakeWeChat on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from infra.fakes.wechat import FORCE_REFRESH_DAILY_QUOTA, TOKEN_DAILY_QUOTA, FakeWeChat
from shared.adapters.wechat import InvalidCode, TextCheck, WeChatError, WeChatGateway

APPID = "wx-test-appid"
SECRET = "wx-test-secret"


class ManualClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeWeChat]:
    server = FakeWeChat(APPID, SECRET, clock=clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway(fake: FakeWeChat) -> WeChatGateway:
    return WeChatGateway(APPID, SECRET, api_base=fake.base_url)


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


# --- login ---
def test_login_code_gives_a_stable_openid_and_works_once(fake: FakeWeChat, gateway: WeChatGateway) -> None:
    code = fake.mint_login_code("alice")
    session = gateway.code_to_session(code)

    assert session["openid"] == fake.openid_for("alice")
    assert session["openid"].startswith("o") and len(session["openid"]) == 28
    assert session["unionid"] and session["unionid"] != session["openid"]
    assert len(session["session_key"]) == 24  # base64 of 16 bytes

    with pytest.raises(InvalidCode) as used:
        gateway.code_to_session(code)
    assert used.value.errcode == 40163

    # A new wx.login of the same user: same openid, another session key.
    again = gateway.code_to_session(fake.mint_login_code("alice"))
    assert again["openid"] == session["openid"]
    assert again["session_key"] != session["session_key"]
    assert gateway.code_to_session(fake.mint_login_code("bob"))["openid"] != session["openid"]


def test_login_code_expires_after_five_minutes(
    fake: FakeWeChat, gateway: WeChatGateway, clock: ManualClock
) -> None:
    fresh = fake.mint_login_code("alice")
    stale = fake.mint_login_code("alice")
    clock.advance(4 * 60)
    assert gateway.code_to_session(fresh)["openid"] == fake.openid_for("alice")
    clock.advance(61)
    with pytest.raises(InvalidCode) as expired:
        gateway.code_to_session(stale)
    assert expired.value.errcode == 40029


def test_unknown_code_is_invalid(gateway: WeChatGateway) -> None:
    with pytest.raises(InvalidCode):
        gateway.code_to_session("not-a-code")


def test_login_code_from_the_http_control_is_logged(
    fake: FakeWeChat, gateway: WeChatGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="codelink.fakes.wechat"):
        minted = _post(f"{fake.base_url}/_fake/wechat/login-code", {"user": "carol"})
    assert minted["code"] in caplog.text
    session = gateway.code_to_session(minted["code"])
    assert session["openid"] == minted["openid"] == fake.openid_for("carol")
    assert session["unionid"] == minted["unionid"]


def test_wrong_app_secret_is_a_wechat_error_not_an_invalid_code(fake: FakeWeChat) -> None:
    bad = WeChatGateway(APPID, "wrong-secret", api_base=fake.base_url)
    with pytest.raises(WeChatError) as refused:
        bad.code_to_session(fake.mint_login_code("alice"))
    assert not isinstance(refused.value, InvalidCode)
    assert refused.value.errcode == 40125


def test_unreachable_wechat_is_a_wechat_error() -> None:
    server = FakeWeChat(APPID, SECRET)
    server.start()
    base_url = server.base_url
    server.stop()  # nothing listens there any more
    with pytest.raises(WeChatError) as down:
        WeChatGateway(APPID, SECRET, api_base=base_url, timeout=2).code_to_session("x")
    assert down.value.errcode is None


# --- phone number ---
def test_phone_code_gives_the_number_in_e164_once(fake: FakeWeChat, gateway: WeChatGateway) -> None:
    code = fake.mint_phone_code("138 0013 8000")
    assert gateway.phone_number(code) == "+8613800138000"
    with pytest.raises(InvalidCode):
        gateway.phone_number(code)

    via_http = _post(f"{fake.base_url}/_fake/wechat/phone-code", {"phone": "+8613900139000"})
    assert gateway.phone_number(via_http["code"]) == "+8613900139000"
    overseas = fake.mint_phone_code("+85261234567", country_code="852")
    assert gateway.phone_number(overseas) == "+85261234567"


def test_phone_code_expires(fake: FakeWeChat, gateway: WeChatGateway, clock: ManualClock) -> None:
    code = fake.mint_phone_code("13800138000")
    clock.advance(5 * 60 + 1)
    with pytest.raises(InvalidCode):
        gateway.phone_number(code)


# --- content security ---
def test_text_check_pass_review_and_risky(fake: FakeWeChat, gateway: WeChatGateway) -> None:
    openid = gateway.code_to_session(fake.mint_login_code("alice"))["openid"]

    ok = gateway.check_text("需要一个 Django 后端接口，两天交付", openid)
    assert ok == TextCheck("pass", 100) and ok.passed

    risky = gateway.check_text("高数期末代考，价格好商量", openid, scene=3)
    assert risky.suggest == "risky" and risky.label == 20006 and not risky.passed
    assert gateway.check_text("长期刷单兼职", openid).suggest == "risky"

    review = gateway.check_text("细节加我微信聊", openid)
    assert review == TextCheck("review", 10001)


def test_text_check_uses_a_configurable_blocklist(clock: ManualClock) -> None:
    server = FakeWeChat(APPID, SECRET, blocklist={"外挂": 20006}, clock=clock)
    server.start()
    try:
        gateway = WeChatGateway(APPID, SECRET, api_base=server.base_url)
        openid = server.openid_for("alice")
        assert gateway.check_text("做个游戏外挂", openid).suggest == "risky"
        assert gateway.check_text("赌博", openid).suggest == "pass"  # not in this blocklist
    finally:
        server.stop()


def test_text_check_refuses_an_unknown_openid(gateway: WeChatGateway) -> None:
    with pytest.raises(WeChatError) as refused:
        gateway.check_text("hello", "o-never-logged-in")
    assert refused.value.errcode == 40003


# --- subscribe messages ---
def test_subscribe_messages_spend_one_time_authorisations(fake: FakeWeChat, gateway: WeChatGateway) -> None:
    openid = fake.openid_for("bob")
    data = {"thing1": "Django 接口开发", "phrase2": "已录用"}

    assert gateway.send_subscribe_message(openid, "tmpl-task", data) is False
    assert fake.messages(openid) == []

    granted = _post(
        f"{fake.base_url}/_fake/wechat/subscribe", {"openid": openid, "template_id": "tmpl-task", "count": 1}
    )
    assert granted == {"remaining": 1}
    assert gateway.send_subscribe_message(openid, "tmpl-task", data, page="pages/task/detail?id=7") is True
    assert gateway.send_subscribe_message(openid, "tmpl-task", data) is False
    # An authorisation is per template.
    fake.grant_subscription(openid, "tmpl-other", 2)
    assert fake.remaining_subscriptions(openid, "tmpl-task") == 0

    sent = _get(f"{fake.base_url}/_fake/wechat/messages?openid={openid}")["messages"]
    assert len(sent) == 1
    assert sent[0]["template_id"] == "tmpl-task"
    assert sent[0]["page"] == "pages/task/detail?id=7"
    assert sent[0]["data"] == {"thing1": {"value": "Django 接口开发"}, "phrase2": {"value": "已录用"}}


def test_subscribe_message_with_bad_data_raises(fake: FakeWeChat, gateway: WeChatGateway) -> None:
    openid = fake.openid_for("bob")
    fake.grant_subscription(openid, "tmpl-task", 1)
    with pytest.raises(WeChatError) as refused:
        gateway.send_subscribe_message(openid, "tmpl-task", {"thing1": ""})
    assert refused.value.errcode == 47003
    assert fake.remaining_subscriptions(openid, "tmpl-task") == 1  # not spent


# --- mini-program code ---
def test_wxa_code_is_a_png(gateway: WeChatGateway) -> None:
    png = gateway.wxa_code("task=42", page="pages/task/detail")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == height > 0
    assert gateway.wxa_code("task=43") != png

    with pytest.raises(WeChatError) as bad_page:
        gateway.wxa_code("task=42", page="/pages/task/detail")
    assert bad_page.value.errcode == 41030
    with pytest.raises(WeChatError):
        gateway.wxa_code("x" * 33)


# --- access token ---
def test_access_token_is_fetched_once_and_renewed_when_expired(
    fake: FakeWeChat, gateway: WeChatGateway
) -> None:
    openid = fake.openid_for("alice")
    gateway.check_text("one", openid)
    gateway.check_text("two", openid)
    assert fake.stable_tokens_issued == 1 and fake.calls_today("stable_token") == 1

    fake.expire_access_tokens()  # the next call gets 42001; wechatpy fetches a new token and retries
    assert gateway.check_text("three", openid).passed
    assert fake.stable_tokens_issued == 2
    assert fake.tokens_issued == 0  # cgi-bin/token is never called


def test_containers_share_the_stable_token_instead_of_retiring_each_others(
    fake: FakeWeChat, clock: ManualClock
) -> None:
    """Many SCF containers, each with its own client: with stable_token they all hold the same valid token."""
    containers = [WeChatGateway(APPID, SECRET, fake.base_url) for _ in range(5)]
    openid = fake.openid_for("alice")
    for container in containers:
        assert container.check_text("hello", openid).passed
    assert fake.stable_tokens_issued == 1 and fake.calls_today("stable_token") == 5
    assert len({c.client.access_token for c in containers}) == 1
    clock.advance(3600)  # an hour later every container's token still works: nobody retired it
    for container in containers:
        assert container.check_text("again", openid).passed
    assert fake.calls_today("stable_token") == 5 and fake.calls_today("token") == 0


def test_per_container_cgi_bin_tokens_retire_each_other(fake: FakeWeChat, clock: ManualClock) -> None:
    """Why not cgi-bin/token: the fake models WeChat's rule that a new token retires the previous after 5 minutes."""
    url = f"{fake.base_url}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
    first = _get(url)["access_token"]
    second = _get(url)["access_token"]
    check = f"{fake.base_url}/wxa/msg_sec_check?access_token="
    assert _post(check + first, {"content": "x"})["errcode"] == 0  # both work for 5 minutes
    clock.advance(301)
    assert _post(check + first, {"content": "x"})["errcode"] == 42001  # container A lost its token
    assert _post(check + second, {"content": "x"})["errcode"] == 0


def _stable(fake: FakeWeChat, force: bool = False) -> dict:
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": force}
    return _post(f"{fake.base_url}/cgi-bin/stable_token", body)


def _works(fake: FakeWeChat, token: str) -> bool:
    return _post(f"{fake.base_url}/wxa/msg_sec_check?access_token={token}", {"content": "x"})["errcode"] == 0


def test_stable_token_rules(fake: FakeWeChat, clock: ManualClock) -> None:
    first = _stable(fake)
    assert first["expires_in"] == 7200
    clock.advance(1000)
    again = _stable(fake)
    assert again["access_token"] == first["access_token"] and again["expires_in"] == 6200  # same, less time
    # cgi-bin/token is independent: it neither retires nor is retired by the stable token.
    _get(f"{fake.base_url}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}")
    clock.advance(301)
    assert _works(fake, first["access_token"])
    # In its last 5 minutes a new token is issued; the old one lives until it expires.
    clock.advance(7200 - 1000 - 301 - 200)
    renewed = _stable(fake)
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert _works(fake, first["access_token"]) and _works(fake, renewed["access_token"])
    clock.advance(201)
    assert not _works(fake, first["access_token"]) and _works(fake, renewed["access_token"])


def test_stable_token_force_refresh_rules(fake: FakeWeChat, clock: ManualClock) -> None:
    first = _stable(fake)["access_token"]
    forced = _stable(fake, force=True)["access_token"]
    assert forced != first and not _works(fake, first) and _works(fake, forced)  # retired at once
    assert _stable(fake, force=True)["access_token"] == forced  # within 30 s: not refreshed
    for _ in range(FORCE_REFRESH_DAILY_QUOTA - 1):
        clock.advance(31)
        _stable(fake, force=True)
    clock.advance(31)
    assert _stable(fake, force=True)["errcode"] == 45009  # 20 forced refreshes a day
    assert _stable(fake)["access_token"]  # normal mode still answers


def test_cgi_bin_token_daily_quota(fake: FakeWeChat) -> None:
    url = f"{fake.base_url}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
    with fake.lock:
        fake._calls[("token", int((fake.clock() + 8 * 3600) // 86400))] = TOKEN_DAILY_QUOTA - 1
    assert "access_token" in _get(url)
    assert _get(url)["errcode"] == 45009


def test_stable_token_with_a_wrong_secret_is_an_error(fake: FakeWeChat) -> None:
    gateway = WeChatGateway(APPID, "wrong-secret", fake.base_url)
    with pytest.raises(WeChatError) as refused:
        gateway.check_text("x", fake.openid_for("bob"))
    assert refused.value.errcode == 40125


def test_api_calls_need_a_valid_access_token(fake: FakeWeChat) -> None:
    assert (
        _post(f"{fake.base_url}/wxa/msg_sec_check?access_token=forged", {"content": "x"})["errcode"] == 40001
    )
    assert _post(f"{fake.base_url}/wxa/msg_sec_check", {"content": "x"})["errcode"] == 41001


def test_importing_the_adapter_does_not_import_wechatpy() -> None:
    code = "import sys, shared.adapters.wechat; print('wechatpy' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.split() == ["False", "False"]
