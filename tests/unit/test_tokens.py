"""Signed tokens (shared/auth/tokens.py): pure, no database."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.auth import tokens
from shared.auth.tokens import TokenError
from shared.config import get_settings, reset_settings

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(token: str) -> tuple[str, str, str]:
    header, payload, signature = token.split(".")
    return header, payload, signature


def claims_of(token: str) -> dict:
    payload = parts(token)[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def other_secret(monkeypatch):
    """Switch TOKEN_SECRET for the test, then put the settings back."""

    def switch(secret: str) -> None:
        monkeypatch.setenv("TOKEN_SECRET", secret)
        reset_settings()

    yield switch
    monkeypatch.undo()
    reset_settings()


# --- issuing ---


def test_access_token_round_trip(clock):
    token, ttl = tokens.issue_access_token(42, T0)
    assert ttl == get_settings().access_token_ttl_seconds == 2 * 3600
    claims = tokens.decode(token, expected_type="access", at=T0)
    assert claims["sub"] == "42" and claims["typ"] == "access"
    assert claims["iat"] == int(T0.timestamp())
    assert claims["exp"] == int(T0.timestamp()) + ttl
    assert tokens.verify_access_token(token) == 42  # uses the installed clock (the fixture's, at T0)


def test_token_is_compact_jws_hs256():
    token, _ = tokens.issue_access_token(1, T0)
    header, _payload, signature = parts(token)
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert "=" not in token  # unpadded base64url
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32  # SHA-256


def test_refresh_token_carries_a_fresh_jti_each_time():
    t1, jti1, ttl = tokens.new_refresh_token(7, T0)
    t2, jti2, _ = tokens.new_refresh_token(7, T0)
    assert ttl == get_settings().refresh_token_ttl_seconds == 30 * 24 * 3600
    assert jti1 != jti2 and t1 != t2
    claims = tokens.decode(t1, expected_type="refresh", at=T0)
    assert claims["jti"] == jti1 and claims["sub"] == "7" and claims["typ"] == "refresh"
    assert claims["exp"] - claims["iat"] == ttl


# --- expiry ---


def test_access_token_expires_exactly_at_exp():
    token, ttl = tokens.issue_access_token(1, T0)
    tokens.decode(token, expected_type="access", at=T0 + timedelta(seconds=ttl - 1))
    for later in (timedelta(seconds=ttl), timedelta(seconds=ttl + 1), timedelta(days=400)):
        with pytest.raises(TokenError) as err:
            tokens.decode(token, expected_type="access", at=T0 + later)
        assert err.value.code == "TOKEN_EXPIRED"
        assert err.value.message == "登录已过期，请重新登录"


def test_verify_access_token_reads_the_installed_clock(clock):
    token, ttl = tokens.issue_access_token(5, clock.now())
    assert tokens.verify_access_token(token) == 5
    clock.advance(timedelta(seconds=ttl))
    with pytest.raises(TokenError) as err:
        tokens.verify_access_token(token)
    assert err.value.code == "TOKEN_EXPIRED"


def test_token_without_exp_is_expired():
    token = tokens.encode({"sub": "1", "typ": "access"})
    with pytest.raises(TokenError) as err:
        tokens.decode(token, expected_type="access", at=T0)
    assert err.value.code == "TOKEN_EXPIRED"


# --- the wrong kind of token ---


def test_refresh_token_is_not_an_access_token_and_vice_versa():
    access, _ = tokens.issue_access_token(1, T0)
    refresh, _, _ = tokens.new_refresh_token(1, T0)
    with pytest.raises(TokenError) as err:
        tokens.decode(refresh, expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"
    with pytest.raises(TokenError) as err:
        tokens.decode(access, expected_type="refresh", at=T0)
    assert err.value.code == "INVALID_TOKEN"


@pytest.mark.parametrize("sub", [None, "abc", "1.5", ""])
def test_verify_access_token_needs_an_integer_subject(clock, sub):
    claims = {"typ": "access", "exp": int(T0.timestamp()) + 60}
    if sub is not None:
        claims["sub"] = sub
    with pytest.raises(TokenError) as err:
        tokens.verify_access_token(tokens.encode(claims))
    assert err.value.code == "INVALID_TOKEN"


# --- forgery and garbage ---


def test_tampered_payload_is_rejected():
    token, _ = tokens.issue_access_token(1, T0)
    header, _payload, signature = parts(token)
    forged = b64(json.dumps({**claims_of(token), "sub": "2"}, separators=(",", ":")).encode())
    with pytest.raises(TokenError) as err:
        tokens.decode(f"{header}.{forged}.{signature}", expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


def test_tampered_signature_is_rejected():
    token, _ = tokens.issue_access_token(1, T0)
    header, payload, signature = parts(token)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(TokenError) as err:
        tokens.decode(f"{header}.{payload}.{flipped}", expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


def test_alg_none_token_is_rejected():
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": "1", "typ": "access", "exp": int(T0.timestamp()) + 60}).encode())
    for token in (f"{none_header}.{payload}.", f"{none_header}.{payload}"):
        with pytest.raises(TokenError) as err:
            tokens.decode(token, expected_type="access", at=T0)
        assert err.value.code == "INVALID_TOKEN"


def test_token_signed_with_another_secret_is_rejected(other_secret):
    token, _ = tokens.issue_access_token(1, T0)
    other_secret("a-completely-different-secret")
    with pytest.raises(TokenError) as err:
        tokens.decode(token, expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


def test_validly_signed_payload_that_is_not_json_is_invalid():
    payload = b64(b"\xff\xfe not json")
    signing_input = f"{tokens._HEADER}.{payload}"
    token = f"{signing_input}.{tokens._sign(signing_input)}"
    with pytest.raises(TokenError) as err:
        tokens.decode(token, expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "....", "Bearer x.y.z"])
def test_malformed_tokens_are_invalid(token):
    with pytest.raises(TokenError) as err:
        tokens.decode(token, expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


def test_non_ascii_signature_is_invalid_not_a_crash():
    # hmac.compare_digest refuses non-ASCII str; a forged token must still be a TokenError (→ 401, not 500).
    payload = b64(json.dumps({"sub": "1", "typ": "access", "exp": int(T0.timestamp()) + 60}).encode())
    for signature in ("é", "签名", "\ud800"):
        with pytest.raises(TokenError) as err:
            tokens.decode(f"{tokens._HEADER}.{payload}.{signature}", expected_type="access", at=T0)
        assert err.value.code == "INVALID_TOKEN"


def test_non_utf8_encodable_payload_is_invalid_not_a_crash():
    with pytest.raises(TokenError) as err:
        tokens.decode(f"{tokens._HEADER}.\ud800.abc", expected_type="access", at=T0)
    assert err.value.code == "INVALID_TOKEN"


token_text = st.text(max_size=200)
token_like = st.builds(
    lambda h, p, s: f"{h}.{p}.{s}",
    st.one_of(st.just(tokens._HEADER), st.text(max_size=40)),
    st.one_of(st.text(max_size=60), st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=60)),
    st.text(max_size=60),
)


@given(st.one_of(token_text, token_like), st.sampled_from(["access", "refresh"]))
def test_decode_only_ever_raises_token_error(token, expected_type):
    try:
        tokens.decode(token, expected_type=expected_type, at=T0)
    except TokenError as exc:
        assert exc.code in {"INVALID_TOKEN", "TOKEN_EXPIRED"}
    else:  # pragma: no cover - forging a signature by chance
        pytest.fail(f"decoded a random token: {token!r}")


@given(st.integers(min_value=1, max_value=2**62), st.integers(min_value=0, max_value=10**6))
def test_round_trip_for_any_user_and_time(user_id, seconds):
    at = T0 + timedelta(seconds=seconds)
    token, ttl = tokens.issue_access_token(user_id, at)
    claims = tokens.decode(token, expected_type="access", at=at + timedelta(seconds=ttl - 1))
    assert int(claims["sub"]) == user_id
