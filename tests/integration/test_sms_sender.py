"""SmsSender (tencentcloud-sdk-python-sms) end to end against FakeTencentSms, TC3 signatures verified."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from infra.fakes.tencent_sms import FakeTencentSms
from shared.adapters.sms import SmsError, SmsSender
from shared.adapters.tencent import ROLE_VARIABLES, StaticCredential

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-secret-key"
TOKEN = "test-session-token-0123456789"  # the fake holds the key to be temporary, like an execution role's
APP_ID = "1400123456"
SIGN = "CodeLink"
TEMPLATE = "100001"
PHONE = "+8613800138000"


@pytest.fixture
def fake() -> Iterator[FakeTencentSms]:
    server = FakeTencentSms(SECRET_ID, SECRET_KEY, token=TOKEN, sdk_app_id=APP_ID, sign_name=SIGN)
    server.start()
    yield server
    server.stop()


def _sender(server: FakeTencentSms, **overrides: str | None) -> SmsSender:
    credential = StaticCredential((str(overrides.pop("secret_id", SECRET_ID)),
                                   str(overrides.pop("secret_key", SECRET_KEY)), overrides.pop("token", TOKEN)))
    args = {
        "credential": credential,
        "endpoint": f"127.0.0.1:{server.port}",
        "protocol": "http",
        "region": "ap-guangzhou",
        "sdk_app_id": APP_ID,
        "sign_name": SIGN,
        "template_id": TEMPLATE,
        **overrides,
    }
    return SmsSender(**args)  # type: ignore[arg-type]


def test_send_code_delivers_the_template_text(fake: FakeTencentSms, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="codelink.fakes.sms"):
        _sender(fake).send_code(PHONE, "482915", 5)

    [message] = fake.messages(PHONE)
    assert message["text"].startswith("【CodeLink】")
    assert "482915" in message["text"] and "5分钟" in message["text"]
    assert message["params"] == ["482915", "5"]
    assert message["serial_no"]
    assert fake.last_code(PHONE) == "482915"
    assert "482915" in caplog.text  # the dev log shows the code
    assert fake.messages("+8613900139000") == []

    url = f"{fake.base_url}/_fake/sms/messages?phone={urllib.parse.quote(PHONE)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert [m["text"] for m in json.loads(response.read())["messages"]] == [message["text"]]


def test_wrong_secret_key_is_refused_by_signature(fake: FakeTencentSms) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake, secret_key="not-the-key").send_code(PHONE, "123456", 5)
    assert refused.value.code == "AuthFailure.SignatureFailure"
    assert fake.messages() == []


def test_unknown_secret_id_is_refused(fake: FakeTencentSms) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake, secret_id="AKIDsomeoneelse").send_code(PHONE, "123456", 5)
    assert refused.value.code == "AuthFailure.SecretIdNotFound"


def test_stale_timestamp_is_refused() -> None:
    # The fake's clock runs 10 minutes ahead: the SDK's X-TC-Timestamp is too old for it.
    server = FakeTencentSms(
        SECRET_ID, SECRET_KEY, token=TOKEN, sdk_app_id=APP_ID, sign_name=SIGN, clock=lambda: time.time() + 600
    )
    server.start()
    try:
        with pytest.raises(SmsError) as refused:
            _sender(server).send_code(PHONE, "123456", 5)
        assert refused.value.code == "AuthFailure.SignatureExpire"
    finally:
        server.stop()


def test_forged_authorization_headers_are_refused(fake: FakeTencentSms) -> None:
    body = json.dumps({"PhoneNumberSet": [PHONE], "SmsSdkAppId": APP_ID}).encode()
    date = time.strftime("%Y-%m-%d", time.gmtime())
    forged = (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={'0' * 64}"
    )
    for authorization, code in [
        (forged, "AuthFailure.SignatureFailure"),
        ("Bearer x", "AuthFailure.InvalidAuthorization"),
    ]:
        request = urllib.request.Request(
            f"{fake.base_url}/",
            body,
            {
                "Content-Type": "application/json",
                "X-TC-Action": "SendSms",
                "X-TC-Version": "2021-01-11",
                "X-TC-Region": "ap-guangzhou",
                "X-TC-Timestamp": str(int(time.time())),
                "Authorization": authorization,
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())["Response"]
        assert answer["Error"]["Code"] == code
        assert answer["RequestId"]
    assert fake.messages() == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"sign_name": "NotOurSign"}, "FailedOperation.SignatureIncorrectOrUnapproved"),
        ({"template_id": "999999"}, "FailedOperation.TemplateIncorrectOrUnapproved"),
        ({"sdk_app_id": "1400999999"}, "UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
    ],
)
def test_unapproved_sender_settings_are_refused(fake: FakeTencentSms, overrides: dict, code: str) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake, **overrides).send_code(PHONE, "123456", 5)
    assert refused.value.code == code


@pytest.mark.parametrize("phone", ["+86123", "13800138000", "+8612345678901", "+86-138-0013-8000"])
def test_malformed_phone_numbers_fail_in_the_send_status(fake: FakeTencentSms, phone: str) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake).send_code(phone, "123456", 5)
    assert refused.value.code == "InvalidParameterValue.IncorrectPhoneNumber"
    assert fake.messages() == []


def test_a_verification_code_must_be_digits(fake: FakeTencentSms) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake).send_code(PHONE, "12ab", 5)
    assert refused.value.code == "InvalidParameterValue.TemplateParameterFormatError"


def test_international_numbers_are_accepted(fake: FakeTencentSms) -> None:
    _sender(fake).send_code("+85261234567", "123456", 10)
    assert fake.last_code("+85261234567") == "123456"


def test_unreachable_endpoint_is_an_sms_error() -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = SmsSender(
        StaticCredential((SECRET_ID, SECRET_KEY, TOKEN)),
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        sdk_app_id=APP_ID,
        sign_name=SIGN,
        template_id=TEMPLATE,
        timeout=2,
    )
    with pytest.raises(SmsError):
        sender.send_code(PHONE, "123456", 5)


def _role_environment(monkeypatch: pytest.MonkeyPatch, secret_id: str, secret_key: str, token: str) -> None:
    for name, value in zip(ROLE_VARIABLES, (secret_id, secret_key, token), strict=True):
        monkeypatch.setenv(name, value)


def test_from_settings_uses_the_role_credentials_and_the_sms_region(
        fake: FakeTencentSms, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import Settings

    _role_environment(monkeypatch, SECRET_ID, SECRET_KEY, TOKEN)
    settings = Settings(  # type: ignore[call-arg]
        tencent_region="ap-shanghai",  # the functions' region: SMS is not served there
        sms_region="ap-nanjing",
        sms_endpoint=f"127.0.0.1:{fake.port}",
        sms_protocol="http",
        sms_sdk_app_id=APP_ID,
        sms_sign_name=SIGN,
        sms_template_id=TEMPLATE,
    )
    SmsSender.from_settings(settings).send_code(PHONE, "654321", 5)
    [message] = fake.messages(PHONE)
    assert message["params"][0] == "654321" and message["region"] == "ap-nanjing"


def test_role_credentials_are_read_at_every_request(fake: FakeTencentSms, monkeypatch: pytest.MonkeyPatch) -> None:
    """SCF replaces the role's temporary credentials while a container lives: a cached client must follow."""
    from shared.config import Settings

    _role_environment(monkeypatch, SECRET_ID, SECRET_KEY, TOKEN)
    sender = SmsSender.from_settings(Settings(  # type: ignore[call-arg]
        sms_endpoint=f"127.0.0.1:{fake.port}", sms_protocol="http", sms_sdk_app_id=APP_ID, sms_sign_name=SIGN))
    sender.send_code(PHONE, "111111", 5)
    # The role's credentials rotate: the old ones stop working, the environment carries the new ones.
    fake.credentials = {"AKIDrotated": "rotated-key"}
    fake.tokens = {"AKIDrotated": "rotated-token-0123456789"}
    _role_environment(monkeypatch, "AKIDrotated", "rotated-key", "rotated-token-0123456789")
    sender.send_code(PHONE, "222222", 5)
    assert fake.last_code(PHONE) == "222222"


def test_a_temporary_key_without_its_session_token_is_refused(fake: FakeTencentSms) -> None:
    for token in (None, "another-token-0123456789"):
        with pytest.raises(SmsError) as refused:
            _sender(fake, token=token).send_code(PHONE, "123456", 5)
        assert refused.value.code == "AuthFailure.TokenFailure"
    assert fake.messages() == []


def test_sms_outside_its_regions_is_refused(fake: FakeTencentSms) -> None:
    with pytest.raises(SmsError) as refused:
        _sender(fake, region="ap-shanghai").send_code(PHONE, "123456", 5)
    assert refused.value.code == "UnsupportedRegion"


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    code = "import sys, shared.adapters.sms; print(any(m.startswith('tencentcloud') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"
