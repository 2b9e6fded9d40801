"""Verifying a growth report: by its code or by the PDF itself. Two checks on every verify — the stored row's
Ed25519 signature over its canonical data (with the public key of its key id) and, for an upload, the PDF's SHA-256 —
so a row altered in the database shows as not genuine too. Needs only public keys (REPORT_PUBLIC_KEYS)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from shared.config import get_settings
from shared.reports import store
from shared.reports.model import ReportData, from_canonical
from shared.reports.signing import key_id, normalize_code, pdf_sha256, signing_key, verify_signature
from shared.uow import run

GENUINE, NOT_GENUINE, UNKNOWN, MALFORMED = "genuine", "not_genuine", "unknown", "malformed"


@dataclass(frozen=True)
class Verdict:
    status: str  # genuine | not_genuine | unknown | malformed
    code: str | None = None
    report: ReportData | None = None
    superseded: bool = False  # genuine, but a newer version of the same month was issued since
    version: int = 0
    generated_at: str = ""


@lru_cache(maxsize=4)
def _keys(setting: str) -> dict[str, bytes]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    out = {}
    for item in filter(None, (x.strip() for x in setting.split(","))):
        raw = base64.b64decode(item)
        out[key_id(Ed25519PublicKey.from_public_bytes(raw))] = raw
    return out


def public_keys() -> dict[str, bytes]:
    """key id → raw public key."""
    settings = get_settings()
    if settings.report_public_keys:
        return _keys(settings.report_public_keys)
    from shared.reports.signing import public_key_bytes

    key = signing_key(settings)
    return {key_id(key): public_key_bytes(key)}


def _judge(row: store.StoredReport | None, code: str | None) -> Verdict:
    if row is None:
        return Verdict(UNKNOWN, code)
    public = public_keys().get(row.key_id)
    if public is None or not verify_signature(row.data, row.signature, public):
        return Verdict(NOT_GENUINE, row.code)
    try:
        report = from_canonical(row.data)
    except ValueError:
        return Verdict(NOT_GENUINE, row.code)
    if report.developer.id != row.developer_id or report.month != row.month:
        return Verdict(NOT_GENUINE, row.code)
    return Verdict(GENUINE, row.code, report, superseded=row.superseded_at is not None, version=row.version,
                   generated_at=row.generated_at.isoformat())


def verify_code(text: str) -> Verdict:
    code = normalize_code(text)
    if code is None:
        return Verdict(MALFORMED)
    return _judge(run(lambda uow: store.by_code(uow, code)), code)


def verify_upload(pdf: bytes) -> Verdict:
    """An uploaded PDF: genuine only if its bytes are exactly an issued report's (matched by SHA-256) and that
    report's seal holds; any changed byte gives another hash, which no report has: not genuine."""
    if not pdf.startswith(b"%PDF-"):
        return Verdict(MALFORMED)
    row = run(lambda uow: store.by_pdf_sha256(uow, pdf_sha256(pdf)))
    if row is None:
        return Verdict(NOT_GENUINE)
    return _judge(row, row.code)
