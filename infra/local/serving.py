"""A ThreadingHTTPServer on a background daemon thread: the lifecycle shared by the local gateway and every fake."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# socketserver's default listen backlog is 5: a burst of 100 connections (the mini-program's first screen, a load
# test, the fuzzer) had most of them reset by the kernel before the accept loop could take them. The kernel caps
# this at net.core.somaxconn.
LISTEN_BACKLOG = 1024


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class BackgroundHTTPServer:
    """Subclasses return their request handler class from `handler_class()`; `start()` serves it on (host, port)
    — port 0 picks a free one — and returns the base URL."""

    thread_name = "http"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self) -> str:
        self._httpd = _Server((self._host, self._port), self.handler_class())
        # A short poll interval: shutdown() waits for the serving loop to notice, which is every poll.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, f"{self.thread_name} not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def __enter__(self) -> BackgroundHTTPServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
