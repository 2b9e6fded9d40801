"""Issuing growth reports: data → model → render → SHA-256 + Ed25519 seal → PDF in COS → the record.

Never inside one transaction (docs/ARCHITECTURE.md): the data is read in a short read transaction, the PDF is rendered
and uploaded with no transaction open, then the row is written in a second short transaction. Idempotent per
(developer, month, data): the same data gives the same bytes, the same code and the same COS key, so a retried job
re-uploads the same object and finds the row already there. New data for the month (a "so far" report asked for
again, or the final report on the 1st) is a new version; the previous one is kept, marked superseded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from shared import clock
from shared.config import get_settings
from shared.reports import errors, sources
from shared.reports.model import MONTH_RE, ReportData, canonical_bytes
from shared.uow import UnitOfWork, run


@dataclass(frozen=True)
class Issued:
    id: int
    developer_id: int
    month: str
    version: int
    code: str
    pdf_sha256: str
    cos_key: str
    created: bool  # False: this exact report had been issued already


def cos_key(developer_id: int, month: str, code: str) -> str:
    return f"reports/{developer_id}/{month}/{code}.pdf"


def check_month(month: str, today: date | None = None) -> str:
    today = today or clock.shanghai_date(clock.now())
    if not MONTH_RE.match(month) or month > today.strftime("%Y-%m"):
        raise errors.BadMonth()
    return month


def _existing(uow: UnitOfWork, developer_id: int, month: str, data_sha: str) -> Issued | None:
    row = uow.execute("SELECT id, version, code, pdf_sha256, cos_key FROM growth_reports WHERE developer_id = :d"
                      " AND month = :m AND data_sha256 = :h", {"d": developer_id, "m": month, "h": data_sha}).first()
    if row is None:
        return None
    return Issued(row.id, developer_id, month, row.version, row.code, row.pdf_sha256, row.cos_key, False)


def generate(developer_id: int, month: str) -> Issued:
    """Issue (or find) the report of `developer_id` for `month`: the whole month once it is over, else up to today."""
    today = clock.shanghai_date(clock.now())
    final = month < today.strftime("%Y-%m")
    as_of = sources.last_day(month) if final else today

    def read(uow: UnitOfWork) -> tuple[ReportData, bytes, Issued | None]:
        data = sources.load(uow, developer_id, month, as_of)
        raw = canonical_bytes(data)
        return data, raw, _existing(uow, developer_id, month, hashlib.sha256(raw).hexdigest())

    data, raw, existing = run(read)
    if existing is not None:
        return existing
    data_sha = hashlib.sha256(raw).hexdigest()

    from shared.adapters.cos import cos
    from shared.reports.render import render
    from shared.reports.signing import pdf_sha256, sign, verify_url

    seal = sign(raw)
    result = render(data, code=seal.code, verify_url=verify_url(get_settings().public_base_url, seal.code))
    pdf = result.pdf
    digest = pdf_sha256(pdf)
    key = cos_key(developer_id, month, seal.code)
    cos().put(key, pdf, "application/pdf", cache_control="private, max-age=31536000, immutable")

    def record(uow: UnitOfWork) -> Issued:
        # Serialise the versions of one developer's month (the lock is on the developer's user row), then look again:
        # a concurrent run of the same job (a kick and the sweep) may have recorded this very report meanwhile.
        uow.execute("SELECT 1 FROM users WHERE id = :d FOR UPDATE", {"d": developer_id})
        found = _existing(uow, developer_id, month, data_sha)
        if found is not None:
            return found
        version = int(uow.execute("SELECT coalesce(max(version), 0) + 1 FROM growth_reports WHERE developer_id = :d"
                                  " AND month = :m", {"d": developer_id, "m": month}).scalar_one())
        now = clock.now()
        uow.execute("UPDATE growth_reports SET superseded_at = :now WHERE developer_id = :d AND month = :m"
                    " AND superseded_at IS NULL", {"d": developer_id, "m": month, "now": now})
        new_id = uow.execute(
            "INSERT INTO growth_reports (developer_id, month, version, final, as_of, code, data, data_sha256,"
            " signature, key_id, pdf_sha256, pdf_bytes, pages, cos_key, generated_at) VALUES (:d, :m, :v, :final,"
            " :as_of, :code, :data, :dsha, :sig, :kid, :psha, :size, :pages, :key, :now) RETURNING id",
            {"d": developer_id, "m": month, "v": version, "final": final, "as_of": as_of, "code": seal.code,
             "data": raw, "dsha": data_sha, "sig": seal.signature, "kid": seal.key_id, "psha": digest,
             "size": len(pdf), "pages": result.pages, "key": key, "now": now}).scalar_one()
        if final:  # the monthly report (the 1st's run): told in the inbox, once per report
            from shared.reports import texts
            from shared.reports.signing import display_code

            month_name = f"{int(month[:4])} 年 {int(month[5:])} 月"
            uow.notify(developer_id, *texts.REPORT_READY.render(month_name=month_name, code=display_code(seal.code)),
                       data={"report_id": int(new_id), "month": month}, dedupe_key=f"report:{new_id}", push=False)
        return Issued(int(new_id), developer_id, month, version, seal.code, digest, key, True)

    return run(record)
