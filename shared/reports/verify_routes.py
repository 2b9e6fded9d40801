"""HTTP routes of the `verify` function: the public report verify page (server-rendered HTML), where every report's
QR code points: `{PUBLIC_BASE_URL}/verify/{code}`. A code typed in (GET /verify?code=…) or a PDF uploaded (POST /verify,
multipart/form-data or the raw application/pdf body): genuine / not genuine / unknown, and the report's summary.
Runs with the core layer only: it reads the records and checks the seal with the public keys, nothing else."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import default as default_policy

from shared.errors import BadRequest
from shared.http.router import Request, Response, Router
from shared.reports import pages
from shared.reports.verify import verify_code, verify_upload

router = Router("verify")


@router.get("/verify", summary="成长报告验证页（输入验证码或上传 PDF）", auth=False, in_schema=False)
def verify_home(req: Request) -> Response:
    code = req.query.get("code", "").strip()
    return pages.html_response(pages.verify_page(verify_code(code) if code else None))


@router.get("/verify/{code}", summary="成长报告验证结果（报告二维码指向这里）", auth=False, in_schema=False)
def verify_by_code(req: Request) -> Response:
    return pages.html_response(pages.verify_page(verify_code(req.params["code"])))


def uploaded_pdf(req: Request) -> bytes:
    """The PDF of an upload: the `pdf` part of a multipart form, or the whole body sent as application/pdf."""
    ctype = req.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media == "application/pdf":
        return req.raw_body
    if media != "multipart/form-data":
        raise BadRequest("UPLOAD_REQUIRED", "请上传 PDF 文件")
    message = BytesParser(policy=default_policy).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1", "replace") + b"\r\n\r\n" + req.raw_body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "pdf":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                return payload
    raise BadRequest("UPLOAD_REQUIRED", "请上传 PDF 文件")


@router.post("/verify", summary="上传报告 PDF 验证（比对 SHA-256）", auth=False, in_schema=False, raw_body=True,
             media="form")
def verify_by_upload(req: Request) -> Response:
    return pages.html_response(pages.verify_page(verify_upload(uploaded_pdf(req))))
