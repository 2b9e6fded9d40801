"""The H5 mini-program client on one local origin: its static build, the API and the fakes' dev controls.

The browser build of the mini-program (miniprogram/dist/h5) calls the API at `/api/…` and, as a development build,
the fakes' controls at `/_fake/wechat/…` (mint a wx.login code) and `/_fake/wechatpay/…` (pay, confirm a transfer).
Serving all three from the origin that serves the page means the browser needs no CORS: this server forwards
`/api/<path>` to the gateway's `/<path>` and `/_fake/…` to the fake, byte for byte. `make dev` runs it on
CODELINK_PORT_BASE+100 (9100); the browser story test (tests/e2e/test_miniprogram.py) on an ephemeral port.
"""

from __future__ import annotations

import http.client
import logging
import mimetypes
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from infra.local.serving import BackgroundHTTPServer

log = logging.getLogger("codelink.h5")

ROOT = Path(__file__).resolve().parents[2]
H5_DIST = ROOT / "miniprogram" / "dist" / "h5"
# Request headers worth forwarding; hop-by-hop and browser noise stay behind.
_FORWARD = ("content-type", "authorization", "accept", "accept-language")
_PROXY_TIMEOUT = 30.0


class H5Server(BackgroundHTTPServer):
    thread_name = "h5-client"

    def __init__(self, root: Path, *, gateway: str, wechat: str, wechatpay: str, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(host, port)
        self.root = root.resolve()
        # Longest prefix first: /_fake/wechatpay/ must not be taken for /_fake/wechat/.
        self.routes: list[tuple[str, str, str]] = [
            ("/_fake/wechatpay/", wechatpay, "/_fake/wechatpay/"),
            ("/_fake/wechat/", wechat, "/_fake/wechat/"),
            ("/api/", gateway, "/"),
        ]

    def upstream(self, target: str) -> tuple[str, str] | None:
        """(upstream base URL, upstream path with query) for a proxied request target, or None for a static file."""
        for prefix, base, replacement in self.routes:
            if target.startswith(prefix):
                return base, replacement + target[len(prefix):]
        return None

    def static_file(self, path: str) -> Path | None:
        """The file under the build for a URL path (`/` is index.html); None when missing or outside the build."""
        relative = path.lstrip("/") or "index.html"
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _proxy(self, base: str, path: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                parts = urlsplit(base)
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=_PROXY_TIMEOUT)
                headers = {k: v for k, v in self.headers.items() if k.lower() in _FORWARD}
                started = time.monotonic()
                try:
                    conn.request(self.command, path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    content_type = answer.getheader("Content-Type") or "application/json"
                    status = answer.status
                except OSError as exc:
                    log.warning("%s %s: upstream %s unreachable: %s", self.command, self.path, base, exc)
                    data = '{"code":"UPSTREAM_UNREACHABLE","message":"本地平台未启动或无法连接"}'.encode()
                    status, content_type = 502, "application/json; charset=utf-8"
                finally:
                    conn.close()
                self._reply(status, data, content_type)
                log.debug("%s %s -> %d (%.0f ms)", self.command, self.path, status, (time.monotonic() - started) * 1000)

            def _serve(self) -> None:
                routed = server.upstream(self.path)
                if routed is not None:
                    self._proxy(*routed)
                    return
                if self.command not in ("GET", "HEAD"):
                    self._reply(405, b"method not allowed", "text/plain; charset=utf-8")
                    return
                file = server.static_file(urlsplit(self.path).path)
                if file is None:
                    self._reply(404, b"not found", "text/plain; charset=utf-8")
                    return
                content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                if content_type.startswith("text/") or content_type == "application/javascript":
                    content_type += "; charset=utf-8"
                # Hashed assets never change; index.html must be re-read after every build.
                cache = "no-cache" if file.name == "index.html" else "public, max-age=31536000, immutable"
                self._reply(200, file.read_bytes(), content_type, {"Cache-Control": cache})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        return _Handler
