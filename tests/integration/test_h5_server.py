"""The H5 client's local origin (infra/local/h5.py): the static build, the API and the fakes' controls on one port."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from infra.local.h5 import H5Server


def _call(base: str, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
          ) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<html>CodeLink</html>", encoding="utf-8")
    (tmp_path / "js" / "app.1234.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    return tmp_path


@pytest.fixture
def h5(build, platform):
    f = platform.fakes
    with H5Server(build, gateway=platform.gateway.base_url, wechat=f["wechat"].base_url,
                  wechatpay=f["wechatpay"].base_url) as server:
        yield server


def test_serves_the_build_with_cache_rules(h5):
    status, headers, body = _call(h5.base_url, "GET", "/")
    assert (status, body) == (200, b"<html>CodeLink</html>")
    assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-cache"
    status, headers, _ = _call(h5.base_url, "GET", "/js/app.1234.js")
    assert status == 200 and "immutable" in headers["cache-control"]
    assert _call(h5.base_url, "GET", "/missing.js")[0] == 404


def test_never_serves_outside_the_build(h5):
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/js/../../secret.txt"):
        assert _call(h5.base_url, "GET", path)[0] == 404, path
    assert _call(h5.base_url, "POST", "/index.html")[0] == 405


def test_forwards_the_api_with_its_answers_and_auth(h5, db):
    status, _, body = _call(h5.base_url, "GET", "/api/tasks?sort=reward&limit=2")
    assert status == 200 and json.loads(body) == {"items": [], "next_cursor": None}
    status, _, body = _call(h5.base_url, "GET", "/api/tasks?difficulty_min=x")
    assert status == 422 and json.loads(body)["errors"][0]["field"] == "difficulty_min"
    status, _, body = _call(h5.base_url, "GET", "/api/auth/me", headers={"Authorization": "Bearer nope"})
    assert status == 401 and json.loads(body)["code"] == "INVALID_TOKEN"


def test_forwards_the_fakes_controls_a_dev_build_uses(h5, db):
    status, _, body = _call(h5.base_url, "POST", "/_fake/wechat/login-code", {"user": "h5-alice"})
    code = json.loads(body)["code"]
    assert status == 200 and code
    status, _, body = _call(h5.base_url, "POST", "/api/auth/wechat", {"code": code})
    assert status == 200 and json.loads(body)["access_token"]
    # /_fake/wechatpay/ goes to WeChat Pay, not to WeChat (whose prefix it shares).
    status, _, body = _call(h5.base_url, "POST", "/_fake/wechatpay/pay", {"out_trade_no": "NOPE123456"})
    assert status == 404 and json.loads(body)["code"] == "NOT_FOUND"


def test_says_so_when_the_platform_is_down(build):
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens
    with H5Server(build, gateway=nowhere, wechat=nowhere, wechatpay=nowhere) as h5:
        status, _, body = _call(h5.base_url, "GET", "/api/tasks")
    assert status == 502 and json.loads(body)["message"] == "本地平台未启动或无法连接"
