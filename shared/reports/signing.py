"""Making a report verifiable: an Ed25519 signature over its canonical data, the SHA-256 of its PDF, and a short
verification code printed on every page.

- The signature is over `canonical_bytes(data)` (shared/reports/model.py), prefixed with a domain label so a
  signature made here can never be replayed as one for anything else signed with the same key.
- Ed25519 signatures are deterministic (RFC 8032): the same data and key give the same signature — and therefore the
  same verification code and the same PDF bytes.
- The verification code is derived from the signature: unguessable without the key, stable for the same data, new
  when the data changes (a "month so far" report regenerated a week later gets a new code). Ten symbols of an
  alphabet without look-alikes (no 0/O, 1/I/L) carry ~49 bits; an eleventh is a check character (weighted sum mod
  31, a prime) that catches every single mistyped symbol and every swap of two neighbours before a lookup.
- The server keeps, per code: the canonical data, the signature, the key id and the PDF's SHA-256. The verify page
  checks a code (signature over the stored data) or an uploaded PDF (its SHA-256 must be one we issued).

The key comes from the REPORT_SIGNING_KEY setting (base64 of the 32-byte Ed25519 seed, or a PKCS#8 PEM); production
refuses the development key (shared/config.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from shared.config import Settings

DOMAIN = b"codelink/growth-report/v1\n"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0 O 1 I L
CODE_DATA_LENGTH = 10
CODE_LENGTH = CODE_DATA_LENGTH + 1
_BASE = len(CODE_ALPHABET)
_VALUE = {c: i for i, c in enumerate(CODE_ALPHABET)}
assert _BASE == 31  # the check character needs a prime modulus


class SigningKeyError(ValueError):
    """REPORT_SIGNING_KEY is not an Ed25519 key."""


@dataclass(frozen=True)
class Seal:
    """What the server stores beside a report to verify it later (plus the PDF's SHA-256, once rendered)."""

    signature: bytes  # 64 bytes, Ed25519 over DOMAIN + canonical data
    key_id: str  # which public key verifies it (rotation)
    code: str  # the verification code, canonical form (11 symbols, no separators)

    @property
    def signature_b64(self) -> str:
        return base64.b64encode(self.signature).decode()


def load_private_key(value: str) -> Ed25519PrivateKey:
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningKeyError("REPORT_SIGNING_KEY is a PEM key but not an Ed25519 one")
            return key
        seed = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"REPORT_SIGNING_KEY is not a base64 Ed25519 seed or a PEM key: {exc}") from exc
    if len(seed) != 32:
        raise SigningKeyError(f"REPORT_SIGNING_KEY must decode to 32 bytes, not {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=4)
def _key_from_setting(value: str) -> Ed25519PrivateKey:
    return load_private_key(value)


def signing_key(settings: Settings | None = None) -> Ed25519PrivateKey:
    from shared.config import DEV_REPORT_SIGNING_KEY, get_settings

    settings = settings or get_settings()
    if settings.report_signing_key:
        return _key_from_setting(settings.report_signing_key)
    if settings.environment == "production":
        raise RuntimeError("REPORT_SIGNING_KEY is not set: this function cannot sign growth reports")
    return _key_from_setting(DEV_REPORT_SIGNING_KEY)


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short public name for a key: the first 16 hex digits of the SHA-256 of its raw public key."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def sign(canonical: bytes, key: Ed25519PrivateKey | None = None) -> Seal:
    key = key or signing_key()
    signature = key.sign(DOMAIN + canonical)
    return Seal(signature=signature, key_id=key_id(key), code=code_for(signature))


def verify_signature(canonical: bytes, signature: bytes, public_key: Ed25519PublicKey | bytes) -> bool:
    """True when `signature` is the key's signature over exactly these canonical bytes."""
    public = Ed25519PublicKey.from_public_bytes(public_key) if isinstance(public_key, bytes) else public_key
    try:
        public.verify(signature, DOMAIN + canonical)
    except InvalidSignature:
        return False
    return True


def pdf_sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def verify_pdf(pdf: bytes, expected_sha256: str) -> bool:
    """True when these PDF bytes are exactly the ones issued (any change to the file changes its hash)."""
    return hmac.compare_digest(pdf_sha256(pdf), expected_sha256.lower())


# --- verification codes ---------------------------------------------------------------------------------------------

def _check_symbol(values: list[int]) -> str:
    # Weights 1..11 (position i has weight i+1); the check symbol c makes sum(weight × value) ≡ 0 (mod 31).
    total = sum((i + 1) * v for i, v in enumerate(values)) % _BASE
    inverse_11 = pow(CODE_LENGTH, -1, _BASE)
    return CODE_ALPHABET[(-total * inverse_11) % _BASE]


def code_for(signature: bytes) -> str:
    digest = int.from_bytes(hashlib.sha256(b"codelink/report-code/v1\n" + signature).digest(), "big")
    values = []
    for _ in range(CODE_DATA_LENGTH):
        digest, v = divmod(digest, _BASE)
        values.append(v)
    return "".join(CODE_ALPHABET[v] for v in values) + _check_symbol(values)


def normalize_code(text: str) -> str | None:
    """The canonical code from what a person typed or scanned (any case, spaces and hyphens allowed), or None when
    it cannot be one of ours — wrong length, a symbol outside the alphabet, or a failed check symbol."""
    cleaned = "".join(ch for ch in text.strip().upper() if ch not in " -_\u2010\u2011\u2013\u2014")
    if len(cleaned) != CODE_LENGTH or any(ch not in _VALUE for ch in cleaned):
        return None
    if sum((i + 1) * _VALUE[ch] for i, ch in enumerate(cleaned)) % _BASE != 0:
        return None
    return cleaned


def display_code(code: str) -> str:
    """ABCD-EFGH-JKM: how the code is printed for people to read and type."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def verify_url(public_base_url: str, code: str) -> str:
    return f"{public_base_url.rstrip('/')}/verify/{code}"
