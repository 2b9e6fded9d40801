"""The issued reports' records (table growth_reports), read-only: what the verify page, the resume card and the
report list read. Imports nothing that renders or stores files (the verify page runs without the reports layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.reports import errors
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class StoredReport:
    id: int
    developer_id: int
    month: str
    version: int
    final: bool
    as_of: date
    code: str
    data: bytes
    signature: bytes
    key_id: str
    pdf_sha256: str
    pdf_bytes: int
    pages: int
    cos_key: str
    generated_at: datetime
    superseded_at: datetime | None


_COLUMNS = ("id, developer_id, month, version, final, as_of, code, data, signature, key_id, pdf_sha256, pdf_bytes,"
            " pages, cos_key, generated_at, superseded_at")


def _stored(row: Any) -> StoredReport:
    return StoredReport(row.id, row.developer_id, row.month, row.version, row.final, row.as_of, row.code,
                        bytes(row.data), bytes(row.signature), row.key_id, row.pdf_sha256, row.pdf_bytes, row.pages,
                        row.cos_key, row.generated_at, row.superseded_at)


def by_code(uow: UnitOfWork, code: str) -> StoredReport | None:
    row = uow.execute(f"SELECT {_COLUMNS} FROM growth_reports WHERE code = :c", {"c": code}).first()
    return _stored(row) if row else None


def by_pdf_sha256(uow: UnitOfWork, digest: str) -> StoredReport | None:
    row = uow.execute(f"SELECT {_COLUMNS} FROM growth_reports WHERE pdf_sha256 = :h", {"h": digest}).first()
    return _stored(row) if row else None


def reports_of(uow: UnitOfWork, developer_id: int, limit: int = 24) -> list[StoredReport]:
    rows = uow.execute(f"SELECT {_COLUMNS} FROM growth_reports WHERE developer_id = :d AND superseded_at IS NULL"
                       " ORDER BY month DESC LIMIT :n", {"d": developer_id, "n": limit}).all()
    return [_stored(r) for r in rows]


def report_of(uow: UnitOfWork, developer_id: int, report_id: int) -> StoredReport:
    row = uow.execute(f"SELECT {_COLUMNS} FROM growth_reports WHERE id = :i AND developer_id = :d",
                      {"i": report_id, "d": developer_id}).first()
    if row is None:
        raise errors.ReportNotFound()
    return _stored(row)
