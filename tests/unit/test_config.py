"""Settings in production: every development secret, test key and loopback URL refused, one test per setting;
unset `${env:X}` ("undefined") and the deployer's credentials refused; every setting has a production rule."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from infra.deploy.example import production_environment, role_environment
from shared.config import DEPLOYER_VARIABLES, PRODUCTION_RULES, Settings, is_loopback_host

DEV = Settings.model_fields  # the development defaults
EXAMPLE = {**production_environment(), **role_environment()}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    """A process environment holding exactly `values` (nothing leaks in from the test platform)."""

    def apply(values: dict[str, str]) -> None:
        for name in list(os.environ):
            if name.lower() in DEV or name in DEPLOYER_VARIABLES or os.environ[name] == "undefined":
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return apply


def problems(env, values: dict[str, str]) -> str:
    env(values)
    try:
        Settings()
    except ValidationError as exc:
        return str(exc)
    return ""


def test_the_realistic_production_environment_is_accepted(env) -> None:
    env(EXAMPLE)
    settings = Settings()
    assert settings.environment == "production"
    assert settings.notify_url == "https://api.codelink-tech.cn/payments/notify"
    assert settings.cors_origins == ("https://admin.codelink-tech.cn",)


def test_every_setting_has_a_production_rule() -> None:
    """A new setting must say what production asks of it (or why nothing)."""
    assert set(PRODUCTION_RULES) == set(Settings.model_fields)
    for name, rule in PRODUCTION_RULES.items():
        assert rule.required or rule.kind != "plain" or rule.why, f"{name}: no rule and no reason"


REQUIRED = sorted(name for name, rule in PRODUCTION_RULES.items() if rule.required)


@pytest.mark.parametrize("name", REQUIRED)
def test_a_required_setting_must_be_provided(env, name: str) -> None:
    values = {k: v for k, v in EXAMPLE.items() if k != name.upper()}
    assert f"{name.upper()} must be set in production" in problems(env, values)


@pytest.mark.parametrize("name", [n for n in REQUIRED if isinstance(DEV[n].default, str) and DEV[n].default])
def test_the_development_value_is_refused(env, name: str) -> None:
    values = {**EXAMPLE, name.upper(): DEV[name].default}
    message = problems(env, values)
    assert name.upper() in message and ("development default" in message or "at least" in message)


LOOPBACK_URLS = ["http://127.0.0.1:9000", "https://localhost/x", "https://[::1]:8443", "https://127.0.0.2",
                 "https://0.0.0.0"]
URL_SETTINGS = sorted(name for name, rule in PRODUCTION_RULES.items() if rule.kind == "url")


@pytest.mark.parametrize("name", URL_SETTINGS)
@pytest.mark.parametrize("url", LOOPBACK_URLS)
def test_loopback_urls_are_refused(env, name: str, url: str) -> None:
    assert name.upper() in problems(env, {**EXAMPLE, name.upper(): url})


@pytest.mark.parametrize("name", URL_SETTINGS)
def test_plain_http_urls_are_refused(env, name: str) -> None:
    assert f"{name.upper()} must be an https URL" in problems(env, {**EXAMPLE, name.upper(): "http://api.example.cn"})


def test_one_bad_cors_origin_among_good_ones_is_refused(env) -> None:
    bad = "https://admin.codelink-tech.cn,http://127.0.0.1:5173"
    assert "CORS_ALLOWED_ORIGINS" in problems(env, {**EXAMPLE, "CORS_ALLOWED_ORIGINS": bad})


@pytest.mark.parametrize("name", sorted(n for n, r in PRODUCTION_RULES.items() if r.kind == "endpoint"))
@pytest.mark.parametrize("endpoint", ["127.0.0.1:9102", "localhost", "[::1]:80"])
def test_loopback_api_endpoints_are_refused(env, name: str, endpoint: str) -> None:
    assert name.upper() in problems(env, {**EXAMPLE, name.upper(): endpoint})


@pytest.mark.parametrize("name", sorted(n for n, r in PRODUCTION_RULES.items() if r.kind == "https"))
def test_plain_http_api_protocols_are_refused(env, name: str) -> None:
    assert f"{name.upper()} must be https" in problems(env, {**EXAMPLE, name.upper(): "http"})


@pytest.mark.parametrize("url", ["postgresql://u:p@127.0.0.1:5432/codelink", "postgresql://u:p@localhost/codelink",
                                 "postgresql:///codelink?host=/tmp", "sqlite:///codelink.db"])
def test_database_url_must_be_a_remote_postgresql(env, url: str) -> None:
    assert "DATABASE_URL" in problems(env, {**EXAMPLE, "DATABASE_URL": url})


@pytest.mark.parametrize(("name", "value"), [("TOKEN_SECRET", "x" * 31), ("WECHATPAY_APIV3_KEY", "short"),
                                             ("WECHAT_SECRET", "abc"), ("WECHATPAY_PRIVATE_KEY", "-----BEGIN")])
def test_short_secrets_are_refused(env, name: str, value: str) -> None:
    assert name in problems(env, {**EXAMPLE, name: value})


def test_the_platform_public_key_comes_with_its_id(env) -> None:
    values = {k: v for k, v in EXAMPLE.items() if k != "WECHATPAY_PUBLIC_KEY_ID"}
    assert "set together" in problems(env, values)
    # Certificate mode: neither of them.
    values.pop("WECHATPAY_PUBLIC_KEY")
    assert problems(env, values) == ""


def test_sms_region_is_one_sms_serves(env) -> None:
    assert "SMS_REGION" in problems(env, {**EXAMPLE, "SMS_REGION": "ap-shanghai"})


@pytest.mark.parametrize("name", DEPLOYER_VARIABLES)
def test_the_deployers_credentials_must_not_reach_a_function(env, name: str) -> None:
    assert f"{name} (the deployer's own credentials)" in problems(env, {**EXAMPLE, name: "AKIDdeployer"})


def test_an_unset_env_variable_arrives_as_undefined_and_is_refused_in_production(env) -> None:
    message = problems(env, {**EXAMPLE, "SMS_REGION": "undefined", "CORS_ALLOWED_ORIGINS": "undefined"})
    assert "CORS_ALLOWED_ORIGINS, SMS_REGION arrived as 'undefined'" in message


def test_undefined_means_unset_outside_production(env) -> None:
    env({"ENVIRONMENT": "local", "DB_POOL_SIZE": "undefined", "SMS_REGION": "undefined", "TOKEN_SECRET": "undefined"})
    settings = Settings()
    assert settings.db_pool_size == DEV["db_pool_size"].default  # not a validation error on "undefined"
    assert settings.sms_region == "ap-guangzhou"
    assert settings.token_secret == DEV["token_secret"].default


def test_an_empty_variable_keeps_the_default(env) -> None:
    env({**EXAMPLE, "WECHATPAY_PUBLIC_KEY": "", "WECHATPAY_PUBLIC_KEY_ID": "", "SMS_REGION": ""})
    settings = Settings()
    assert settings.sms_region == "ap-guangzhou" and not settings.wechatpay_public_key_mode


def test_all_problems_are_reported_at_once(env) -> None:
    message = problems(env, {"ENVIRONMENT": "production"})
    for name in ("DATABASE_URL", "TOKEN_SECRET", "WECHATPAY_PRIVATE_KEY", "TENCENTCLOUD_SESSIONTOKEN"):
        assert name in message


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
                                                ("[::1]", True), ("localhost", True), ("api.localhost", True),
                                                ("0.0.0.0", True), ("10.0.8.17", False),  # noqa: S104
                                                ("api.weixin.qq.com", False)])
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
