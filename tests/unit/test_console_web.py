"""The console's pure parts: cookies over https, where login may send you, money typed in yuan, rule values,
filters, link safety, and every template compiling."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.config import reset_settings
from shared.console import render, web
from shared.console.pages.disputes import fen_from_yuan
from shared.console.pages.rules import parse_value
from shared.errors import ValidationFailed


@pytest.fixture
def https(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.codelink.example")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_over_https_the_session_cookie_is_secure_and_prefixed(https):
    cookie = web.session_set_cookie("tok")
    assert cookie.startswith("__Secure-codelink-console=tok;")
    for part in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/admin/console", "Max-Age=43200"):
        assert part in cookie.split("; ")
    assert web.login_set_cookie("x").startswith("__Secure-codelink-console-login=x;")
    assert "Max-Age=0" in web.session_clear_cookie()


def test_on_plain_http_localhost_the_cookie_is_not_secure(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:9000")
    reset_settings()
    try:
        assert "Secure" not in web.session_set_cookie("tok").split("; ")
        assert web.session_cookie_name() == "codelink-console"
    finally:
        monkeypatch.undo()
        reset_settings()


@pytest.mark.parametrize(("value", "expected"), [
    ("/admin/console/users/3", "/admin/console/users/3"), (None, "/admin/console"),
    ("https://evil.example", "/admin/console"),
    ("//evil.example/admin/console", "/admin/console"), ("/admin/console//evil.example", "/admin/console"),
    ("/admin/rules", "/admin/console"), ("/admin/console\\@evil", "/admin/console"),
])
def test_after_login_only_console_paths(value, expected):
    assert web.safe_next(value) == expected


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2))
def test_yuan_typed_in_the_ruling_form_is_exact_fen(amount):
    assert fen_from_yuan(f"{amount:,}", "x") == int(amount * 100)
    assert render.yuan(int(amount * 100)) == f"¥{amount:,.2f}"


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "1.234", "NaN", "Infinity", "1e400"])
def test_amounts_that_are_not_money_are_refused(text):
    with pytest.raises(ValidationFailed):
        fen_from_yuan(text, "payout_yuan")


def test_rule_values_are_json_or_text():
    assert parse_value("5") == 5 and parse_value("true") is True and parse_value("[24, 40]") == [24, 40]
    assert parse_value('{"1": 3000}') == {"1": 3000} and parse_value(" 2026-02-01 ") == "2026-02-01"


def test_filters():
    assert render.yuan(-1) == "-¥0.01" and render.yuan(None) == "—" and render.yuan(123456789) == "¥1,234,567.89"
    assert render.percent(0.5) == "50%" and render.percent(None) == "—"
    assert render.safe_url("javascript:alert(1)") == "#" and render.safe_url("https://x.cn/a") == "https://x.cn/a"
    assert render.pretty({"状态": "正常"}) == '{"状态": "正常"}'


def test_every_template_compiles():
    env = render.environment()
    names = env.list_templates()
    assert "base.html" in names and len(names) > 20
    for name in names:
        env.get_template(name)


def test_every_page_is_in_the_side_bar_once():
    import shared.console.app  # noqa: F401 - registers the pages

    keys = [item.key for item in web.NAV]
    assert keys == ["dashboard", "users", "tasks", "disputes", "community", "money", "growth", "challenges", "badges",
                    "mentor-challenges", "reports", "rules", "audit"]
    assert len(set(keys)) == len(keys)
