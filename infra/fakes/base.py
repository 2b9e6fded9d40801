"""A tiny threaded HTTP server base for the loopback fakes of external services.

Each fake (WeChat, Tencent SMS, SCF, WeChat Pay) is a real HTTP server on 127.0.0.1 speaking the real
protocol, so our production clients (wechatpy, tencentcloud-sdk, wechatpayv3) talk to it unchanged. Fakes
keep their state in memory; `/_fake/...` paths are test/dev controls that the real services do not have.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from infra.local.serving import BackgroundHTTPServer

log = logging.getLogger("codelink.fakes")


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: object, status: int = 200, headers: dict[str, str] | None = None) -> FakeResponse:
        hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), hdrs)


Handler = Callable[[FakeRequest], FakeResponse]


class FakeServer(BackgroundHTTPServer):
    """Subclasses implement `handle(request) -> FakeResponse`."""

    name = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.lock = threading.RLock()

    @property
    def thread_name(self) -> str:  # type: ignore[override]
        return f"{self.name}-http"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = FakeRequest(
                    method=self.command,
                    path=split.path,
                    query={k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    resp = fake.handle(req)
                except Exception:  # a fake must answer, like the real service answers 500
                    log.exception("%s failed on %s %s", fake.name, req.method, req.path)
                    resp = FakeResponse.json({"code": "SYSTEM_ERROR", "message": "fake internal error"}, 500)
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(resp.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                log.debug("%s: " + format, fake.name, *args)

        return _Handler

    # --- to override ---
    def handle(self, request: FakeRequest) -> FakeResponse:  # pragma: no cover - abstract
        raise NotImplementedError
