"""The story's growth-report part (after the console): the developer asks for this month's report so far, gets its
download link and verification code, downloads the PDF through the short-lived link, and anyone can check it on the
public verify page — by the code (where the report's QR code points) and by uploading the PDF itself. Standard
library only, like infra/local/client.py."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable

from infra.local.client import Actor, CallFailed, LocalClient

Say = Callable[[str], None]


def _fetch(url: str, data: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")  # noqa: S310
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback URLs the gateway gave us
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def play_reports(client: LocalClient, step: Say, say: Say, ctx: dict[str, object]) -> dict[str, object]:
    dev = ctx["dev"]
    assert isinstance(dev, Actor)
    step("开发者生成本月成长报告（PDF），用验证码在公开验证页核验真伪")
    report = client.expect(200, "POST", "/reports/me/current", token=dev.token).body
    status, pdf = _fetch(report["download_url"])
    if status != 200 or not pdf.startswith(b"%PDF-") or hashlib.sha256(pdf).hexdigest() != report["pdf_sha256"]:
        raise CallFailed(f"report download → {status}, {len(pdf)} bytes")
    say(f"   {report['month']} 报告第 {report['version']} 版，{report['pages']} 页，{len(pdf) // 1024} KB")
    say(f"   下载链接（5 分钟内有效）：{report['download_url'].split('?', 1)[0]}?…")
    say(f"   验证码 {report['code']}，验证页 {report['verify_url']}")
    status, page = _fetch(report["verify_url"])
    if status != 200 or b'data-verdict="genuine"' not in page:
        raise CallFailed(f"verify page for {report['code']} → {status}")
    say("   验证页（验证码）：✔ 真实有效")
    status, page = _fetch(client.gateway + "/verify", pdf, "application/pdf")
    if status != 200 or b'data-verdict="genuine"' not in page:
        raise CallFailed(f"verify by upload → {status}")
    tampered = pdf[:-64] + bytes(64)
    status, page = _fetch(client.gateway + "/verify", tampered, "application/pdf")
    if b'data-verdict="not_genuine"' not in page:
        raise CallFailed("a changed PDF should not verify")
    say("   验证页（上传 PDF）：原件 ✔ 真实有效；改动过的文件 ✘ 不是真实报告")
    return {"report_code": report["code"], "report_id": report["id"]}
