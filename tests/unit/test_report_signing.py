"""Sealing a report: Ed25519 over the canonical data, the PDF's SHA-256, verification codes, the signing key setting."""

from __future__ import annotations

import base64
import itertools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from shared.reports.model import canonical_bytes
from shared.reports.signing import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SigningKeyError,
    code_for,
    display_code,
    key_id,
    load_private_key,
    normalize_code,
    pdf_sha256,
    public_key_bytes,
    sign,
    signing_key,
    verify_pdf,
    verify_signature,
    verify_url,
)
from shared.reports.suggestions import finalize
from tests.support.reports import busy_month


@pytest.fixture(scope="module")
def sealed():
    data = busy_month()
    raw = canonical_bytes(data)
    return data, raw, sign(raw)


def test_signature_is_valid_and_deterministic(sealed):
    _, raw, seal = sealed
    public = public_key_bytes(signing_key())
    assert verify_signature(raw, seal.signature, public)
    again = sign(raw)
    assert again == seal  # Ed25519 is deterministic: same data, same signature, same code
    assert seal.key_id == key_id(signing_key()) and len(seal.key_id) == 16
    assert base64.b64decode(seal.signature_b64) == seal.signature and len(seal.signature) == 64


def test_tampered_data_is_not_genuine(sealed):
    data, raw, seal = sealed
    public = public_key_bytes(signing_key())
    richer = finalize(data.model_copy(update={"earnings": data.earnings.model_copy(
        update={"net_fen": data.earnings.net_fen + 100})}))
    assert not verify_signature(canonical_bytes(richer), seal.signature, public)
    flipped = bytearray(raw)
    flipped[len(flipped) // 2] ^= 0x01
    assert not verify_signature(bytes(flipped), seal.signature, public)
    bad_signature = bytes([seal.signature[0] ^ 1]) + seal.signature[1:]
    assert not verify_signature(raw, bad_signature, public)
    other_key = Ed25519PrivateKey.generate().public_key()
    assert not verify_signature(raw, seal.signature, other_key)
    assert sign(canonical_bytes(richer)).code != seal.code  # new data, new code


def test_signature_is_bound_to_its_domain(sealed):
    _, raw, seal = sealed
    # the key's signature over the bare bytes (without our domain label) is not accepted
    bare = signing_key().sign(raw)
    assert not verify_signature(raw, bare, public_key_bytes(signing_key()))
    assert bare != seal.signature


def test_tampered_pdf_hash_mismatch():
    pdf = b"%PDF-1.4\n...report...\n%%EOF\n"
    digest = pdf_sha256(pdf)
    assert verify_pdf(pdf, digest) and verify_pdf(pdf, digest.upper())
    assert not verify_pdf(pdf.replace(b"report", b"rep0rt"), digest)
    assert not verify_pdf(pdf + b"\n", digest)


def test_code_shape(sealed):
    _, _, seal = sealed
    assert len(seal.code) == CODE_LENGTH and set(seal.code) <= set(CODE_ALPHABET)
    assert not set("01ILO") & set(CODE_ALPHABET)
    assert normalize_code(seal.code) == seal.code
    assert normalize_code(display_code(seal.code).lower()) == seal.code
    assert normalize_code(f"  {display_code(seal.code)} ") == seal.code
    assert verify_url("https://x.cn/", seal.code) == f"https://x.cn/verify/{seal.code}"


@given(st.binary(min_size=64, max_size=64))
def test_check_symbol_catches_every_single_substitution_and_neighbour_swap(signature):
    code = code_for(signature)
    assert normalize_code(code) == code
    for i, wrong in itertools.product(range(CODE_LENGTH), CODE_ALPHABET):
        if wrong != code[i]:
            assert normalize_code(code[:i] + wrong + code[i + 1:]) is None
    for i in range(CODE_LENGTH - 1):
        if code[i] != code[i + 1]:
            assert normalize_code(code[:i] + code[i + 1] + code[i] + code[i + 2:]) is None


def test_malformed_codes_are_refused():
    for text in ("", "ABC", "A" * 12, "ABCD-EFGH-IJ0", "中文验证码中文验证码中"):
        assert normalize_code(text) is None


def test_key_loading():
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    assert key_id(load_private_key(base64.b64encode(seed).decode())) == key_id(key)
    assert key_id(load_private_key(pem)) == key_id(key)
    with pytest.raises(SigningKeyError, match="32 bytes"):
        load_private_key(base64.b64encode(b"short").decode())
    with pytest.raises(SigningKeyError):
        load_private_key("not base64 at all!")


def test_production_refuses_the_development_signing_key():

    from shared.config import DEV_REPORT_SIGNING_KEY, Settings, production_problems

    production = Settings.model_construct(**{**Settings().model_dump(), "environment": "production"})
    assert not [p for p in production_problems(production) if "REPORT_SIGNING_KEY" in p]  # unset: not this function's
    with_dev_key = production.model_copy(update={"report_signing_key": DEV_REPORT_SIGNING_KEY})
    assert [p for p in production_problems(with_dev_key) if "REPORT_SIGNING_KEY" in p]
    short = production.model_copy(update={"report_signing_key": "c2hvcnQ="})
    assert [p for p in production_problems(short) if "REPORT_SIGNING_KEY" in p]
    seed = base64.b64encode(bytes(range(32))).decode()
    assert not [p for p in production_problems(production.model_copy(update={"report_signing_key": seed}))
                if "REPORT_SIGNING_KEY" in p]


def test_production_without_a_signing_key_refuses_to_sign():
    from shared.config import Settings
    from shared.reports import signing

    production = Settings.model_construct(**{**Settings().model_dump(), "environment": "production"})
    with pytest.raises(RuntimeError, match="REPORT_SIGNING_KEY"):
        signing.signing_key(production)
    seed = base64.b64encode(bytes(range(32))).decode()
    assert signing.public_key_bytes(signing.signing_key(production.model_copy(update={"report_signing_key": seed})))
