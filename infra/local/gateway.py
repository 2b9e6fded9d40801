"""The local stand-in for SCF: Function URLs, timer triggers and async invocations, all in one process.

- `LocalGateway`: a ThreadingHTTPServer on 127.0.0.1:9000. The first path segment names the function
  (`/tasks/1` -> `tasks`); the request becomes a Function URL event, the function's `main_handler` runs in
  process, and its answer becomes the HTTP response. Also `GET /healthz` and `GET /openapi.json`.
- `Timers`: fires every timer trigger of serverless.yml on its cron schedule with a Timer event.
- `FunctionRunner` / `dispatch(function_name, event)`: runs one function on one event; the SCF fake
  (infra/fakes/tencent_scf.py) uses it for `Invoke`, the timers and the gateway use it too.

Event shapes follow SCF [cloud.tencent.com/document/product/583/96099 (Function URL), 583/9708 (timer)].
Run: `python -m infra.local.gateway [--port 9000] [--no-timers]`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.local.manifest import Manifest, TimerTrigger, load_manifest
from infra.local.serving import BackgroundHTTPServer

log = logging.getLogger("codelink.local")

NOT_FOUND = {"code": "NOT_FOUND", "message": "接口不存在"}
FUNCTION_ERROR = {"code": "FUNCTION_ERROR", "message": "函数执行出错"}
BAD_ANSWER = {"code": "BAD_GATEWAY", "message": "函数返回格式有误"}
BAD_LENGTH = {"code": "BAD_REQUEST", "message": "请求头 Content-Length 无效"}
LENGTH_REQUIRED = {"code": "LENGTH_REQUIRED", "message": "请求须带 Content-Length（不支持分块传输）"}
TOO_LARGE = {"code": "PAYLOAD_TOO_LARGE", "message": "请求体超过 6 MB"}
READ_TIMEOUT = {"code": "REQUEST_TIMEOUT", "message": "请求体接收超时"}
NOT_ALLOWED = {"code": "METHOD_NOT_ALLOWED", "message": "不支持该请求方法"}
# SCF caps a synchronous request event and its response at 6 MB [cloud.tencent.com/document/product/583/11637]
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
_PROTOCOL_ERRORS = {414: "请求地址过长", 431: "请求头过大", 505: "不支持该 HTTP 版本"}
# Methods a Function URL passes to a function; anything else (TRACE, CONNECT, made-up ones) is a 405 here.
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Seconds a client may take to send its request line, headers and body, and to keep an idle connection open.
READ_TIMEOUT_SECONDS = 30.0
# Headers that describe the connection, not the payload: the server sets them itself.
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
_FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

Invoke = Callable[[str, dict], Any]


class InvalidAnswer(ValueError):
    """A function's answer cannot be turned into an HTTP response."""


class BadFraming(Exception):
    """The request's framing is broken (Content-Length, chunking, a body that never arrives): answer `status` with
    `payload` and close the connection, since where this request ends and the next begins is unknown."""

    def __init__(self, status: int, payload: dict[str, str]) -> None:
        super().__init__(payload["message"])
        self.status = status
        self.payload = payload


def content_length(values: list[str]) -> int:
    """The body length from the Content-Length header(s): one non-negative decimal number (repeated identical values
    are tolerated, RFC 9110 8.6). Raises BadFraming."""
    if not values:
        return 0
    found = {v.strip() for value in values for v in value.split(",")}
    if len(found) != 1:
        raise BadFraming(400, BAD_LENGTH)
    text = found.pop()
    if not text.isdecimal() or not text.isascii() or len(text) > 15:
        raise BadFraming(400, BAD_LENGTH)
    length = int(text)
    if length > SYNC_PAYLOAD_LIMIT:
        raise BadFraming(413, TOO_LARGE)
    return length


# --- running functions ---


class FunctionRunner:
    """Imports `<package>.<name>.index` on first use and calls its `main_handler(event, context)`.

    `package` lets tests point the runtime at a fake function package. With a manifest, SCF function names
    (`codelink-prod-jobs_worker`) are accepted as well as the keys of serverless.yml (`jobs_worker`),
    because the SCF fake hands over the name the caller used in `Invoke`.
    """

    def __init__(self, package: str = "functions", manifest: Manifest | None = None) -> None:
        self.package = package
        if manifest is None and package == "functions":
            manifest = load_manifest()  # the real functions: their timeouts and SCF names
        self.manifest = manifest
        self._aliases = {spec.deployed_name: name for name, spec in manifest.functions.items()} if manifest else {}

    def resolve(self, function_name: str) -> str:
        name = self._aliases.get(function_name, function_name)
        if not _FUNCTION_NAME.match(name):  # only plain names reach importlib
            raise LookupError(f"not a function name: {function_name!r}")
        return name

    def module(self, function_name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{self.resolve(function_name)}.index")

    def context(self, function_name: str) -> dict[str, Any]:
        """A context like SCF's (a subset of its keys: cloud.tencent.com/document/product/583/9210)."""
        name = self.resolve(function_name)
        spec = self.manifest.functions.get(name) if self.manifest else None
        return {
            "request_id": str(uuid.uuid4()),
            "function_name": name,
            "function_version": "$LATEST",
            "namespace": "default",
            "memory_limit_in_mb": spec.memory_size if spec else 128,
            "time_limit_in_ms": (spec.timeout if spec else 3) * 1000,
        }

    def invoke(self, function_name: str, event: dict) -> Any:
        """Run the function on the event and return its answer; its exceptions propagate."""
        handler = self.module(function_name).main_handler
        context = self.context(function_name)
        started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            if self.manifest is not None and elapsed_ms > context["time_limit_in_ms"]:
                # SCF would have killed it; locally we cannot stop a thread, so say so loudly.
                log.warning(
                    "%s took %.0f ms, over its %d ms timeout",
                    function_name,
                    elapsed_ms,
                    context["time_limit_in_ms"],
                )

    def dispatch(self, function_name: str, event: dict) -> Any:
        """The `dispatch(function_name, event)` callable for the SCF fake: same as `invoke`."""
        return self.invoke(function_name, event)


_default_runner: FunctionRunner | None = None
_default_lock = threading.Lock()


def default_runner() -> FunctionRunner:
    global _default_runner
    with _default_lock:
        if _default_runner is None:
            _default_runner = FunctionRunner("functions", load_manifest())
        return _default_runner


def dispatch(function_name: str, event: dict) -> Any:
    """Run a real function (package `functions`) in process: the SCF fake's `dispatch`."""
    return default_runner().dispatch(function_name, event)


# --- Function URL events and answers ---


def build_event(
    method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes, client_ip: str
) -> dict[str, Any]:
    """The Function URL event for one HTTP request.

    Header names are lower-cased and repeated headers joined with ", " (RFC 9110 5.3). The query string is a
    dict of strings; a repeated key gives a list of strings (SCF's documentation only shows single values, so
    handlers must accept both; shared/http/router.py does). A body that is not UTF-8 is sent base64 with
    isBase64Encoded=true. SCF's page says Function URL events drop isBase64Encoded; we always send it (false
    for text), as the contract of this project shows it, and an absent field means the same thing.
    """
    split = urlsplit(target)
    event_headers: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        event_headers[key] = f"{event_headers[key]}, {value}" if key in event_headers else value
    event_headers["x-scf-remote-addr"] = client_ip
    query: dict[str, str | list[str]] = {}
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        if key not in query:
            query[key] = value
        else:
            previous = query[key]
            query[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    return {
        "body": text,
        "headers": event_headers,
        "httpMethod": method,
        "path": split.path or "/",
        "queryString": query,
        "isBase64Encoded": encoded,
    }


def http_response(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Turn a function's answer into (status, headers, body) the way a Function URL does.

    `{"statusCode", "headers", "body", "isBase64Encoded"}` is used as given (a header value may be a list:
    one header line per item). Any other JSON-able answer becomes a 200 application/json response whose body
    is the answer, which is what SCF infers when there is no statusCode [583/96099].
    """
    if not (isinstance(answer, dict) and "statusCode" in answer):
        try:
            data = (
                answer.encode("utf-8")
                if isinstance(answer, str)
                else json.dumps(answer, ensure_ascii=False).encode("utf-8")
            )
        except (TypeError, ValueError) as exc:
            raise InvalidAnswer(f"answer is not JSON-serialisable: {exc}") from exc
        return 200, [("Content-Type", "application/json; charset=utf-8")], data

    status = answer["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidAnswer(f"statusCode must be an int 100-599, got {status!r}")
    raw_headers = answer.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise InvalidAnswer("headers must be an object")
    headers: list[tuple[str, str]] = []
    for name, value in raw_headers.items():
        if str(name).lower() in _HOP_BY_HOP:
            continue
        for item in value if isinstance(value, list) else [value]:
            headers.append((str(name), str(item)))
    body = answer.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise InvalidAnswer(f"body must be a string, got {type(body).__name__}")
    if answer.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidAnswer(f"isBase64Encoded but the body is not base64: {exc}") from exc
    else:
        data = body.encode("utf-8")
    return status, headers, data


def _json(status: int, payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return (
        status,
        [("Content-Type", "application/json; charset=utf-8")],
        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


# --- the HTTP gateway ---


class LocalGateway(BackgroundHTTPServer):
    """Function URLs for every HTTP function, on one local port.

    `http_functions`: the first path segments that reach a function (default: the functions with an `http`
    trigger in serverless.yml). `package`: where the function modules live. `openapi_module`: a module with
    `build_openapi() -> dict`, served at GET /openapi.json (404 while it does not exist).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        *,
        package: str = "functions",
        manifest: Manifest | None = None,
        http_functions: Collection[str] | None = None,
        runner: FunctionRunner | None = None,
        openapi_module: str = "shared.http.openapi",
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        if manifest is None and http_functions is None:
            manifest = load_manifest()
        self.manifest = manifest
        self.runner = runner or FunctionRunner(package, manifest)
        if http_functions is None:
            assert manifest is not None
            http_functions = manifest.http_functions
        self.http_functions = frozenset(http_functions)
        self.openapi_module = openapi_module
        self.read_timeout = read_timeout
        super().__init__(host, port)

    # --- request handling (no sockets: tests can call it directly) ---
    def handle(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(target).path
        if path == "/healthz" and method in ("GET", "HEAD"):
            return _json(200, {"status": "ok"})
        if path == "/openapi.json" and method in ("GET", "HEAD"):
            return self._openapi()
        segments = [s for s in path.split("/") if s]
        if segments[:1] == ["_dev"]:  # development-only controls (the moved clock, timers on demand): local/test only
            from infra.local import devtools

            try:
                return _json(*devtools.handle(method, segments[1:], body, self.runner, self.manifest))
            except Exception:
                log.exception("dev control %s %s failed", method, path)
                return _json(502, FUNCTION_ERROR)
        function = segments[0] if segments else ""
        if function not in self.http_functions:
            return _json(404, NOT_FOUND)
        event = build_event(method, target, headers, body, client_ip)
        try:
            answer = self.runner.invoke(function, event)
        except Exception:
            log.exception("function %s failed on %s %s", function, method, path)
            return _json(502, FUNCTION_ERROR)
        try:
            return http_response(answer)
        except InvalidAnswer as exc:
            log.error("function %s answered %s %s with an unusable response: %s", function, method, path, exc)
            return _json(502, BAD_ANSWER)

    def _openapi(self) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            module = importlib.import_module(self.openapi_module)
        except ImportError:
            return _json(404, NOT_FOUND)
        build = getattr(module, "build_openapi", None)
        if build is None:
            return _json(404, NOT_FOUND)
        try:
            return _json(200, build())
        except Exception:
            log.exception("build_openapi failed")
            return _json(500, {"code": "INTERNAL_ERROR", "message": "OpenAPI 文档生成失败"})

    thread_name = "local-gateway"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Socket timeout for every read: a request line, headers or body that never arrive end the connection
            # (the body with a 408) instead of holding a thread forever.
            timeout = gateway.read_timeout

            def _serve(self) -> None:
                started = time.monotonic()
                try:
                    body = self._read_body()
                except BadFraming as bad:
                    self._answer(*_json(bad.status, bad.payload), close=True)
                    log.info("%s %s -> %d: %s", self.command, self.path, bad.status, bad)
                    return
                status, headers, data = gateway.handle(
                    self.command, self.path, self.headers.items(), body, self.client_address[0]
                )
                self._answer(status, headers, data)
                log.info(
                    "%s %s -> %d (%.0f ms)",
                    self.command,
                    self.path,
                    status,
                    (time.monotonic() - started) * 1000,
                )

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding"):
                    raise BadFraming(411, LENGTH_REQUIRED)
                length = content_length(self.headers.get_all("Content-Length") or [])
                if not length:
                    return b""
                try:
                    body = self.rfile.read(length)
                except TimeoutError:
                    raise BadFraming(408, READ_TIMEOUT) from None
                if len(body) < length:  # the client closed the connection before sending all of it
                    raise BadFraming(400, BAD_LENGTH)
                return body

            def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes, close: bool = False) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    if close:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except OSError:  # the client went away; nothing to answer
                    self.close_connection = True

            def _not_allowed(self) -> None:
                # Drain nothing: a TRACE/CONNECT body is not ours to read; close the connection after answering.
                status, headers, data = _json(405, NOT_ALLOWED)
                self._answer(status, [*headers, ("Allow", ", ".join(ALLOWED_METHODS))], data, close=True)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                # http.server's own refusals (a garbled request line, headers too long, HTTP/2.0) as JSON too.
                text = _PROTOCOL_ERRORS.get(code, "请求格式有误")
                status, headers, data = _json(code, {"code": "BAD_REQUEST", "message": text})
                self._answer(status, headers, data, close=True)

            def __getattr__(self, name: str) -> Any:
                # BaseHTTPRequestHandler looks up do_<METHOD>; every method we do not serve (TRACE, CONNECT, made-up
                # ones) gets a JSON 405 with Allow instead of http.server's HTML 501.
                if name.startswith("do_"):
                    return self._not_allowed
                raise AttributeError(name)

            def log_message(self, format: str, *args: object) -> None:  # _serve logs instead
                pass

        return _Handler


# --- timers ---


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def timer_event(trigger: TimerTrigger, fire_time: datetime) -> dict[str, str]:
    """SCF's Timer event [583/9708]; `Time` is the scheduled time in UTC."""
    return {
        "Type": "Timer",
        "TriggerName": trigger.name,
        "Time": fire_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Message": trigger.argument,
    }


@dataclass(frozen=True)
class Firing:
    function: str
    trigger: str
    scheduled: datetime
    event: dict[str, str]


class Timers:
    """Fires timer triggers on their cron schedule by calling `invoke(function, timer_event)`.

    `clock` returns an aware datetime (injectable for tests); `tick(now)` fires whatever is due and is what
    the background thread calls, at least every `poll_interval` seconds. The first tick only schedules. A
    trigger that missed several fire times (the machine slept) fires once and moves on, as nothing replays
    missed SCF timers either. Handlers run on a small thread pool, like SCF's asynchronous timer invocations,
    or inline with `run_inline=True`; their errors are logged and never stop the loop. Disabled triggers
    (`enable: false`) do not fire.
    """

    def __init__(
        self,
        triggers: Iterable[TimerTrigger],
        invoke: Invoke,
        *,
        clock: Callable[[], datetime] = _utc_now,
        poll_interval: float = 1.0,
        run_inline: bool = False,
        max_workers: int = 4,
    ) -> None:
        self.triggers = [t for t in triggers if t.enabled]
        self.invoke = invoke
        self.clock = clock
        self.poll_interval = poll_interval
        self._executor = None if run_inline else ThreadPoolExecutor(max_workers, thread_name_prefix="timer")
        self._next: dict[tuple[str, str], datetime | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_manifest(cls, manifest: Manifest, runner: FunctionRunner, **kwargs: Any) -> Timers:
        return cls(manifest.timers, runner.invoke, **kwargs)

    def next_fire_times(self) -> dict[tuple[str, str], datetime | None]:
        with self._lock:
            return dict(self._next)

    def tick(self, now: datetime | None = None) -> list[Firing]:
        """Fire every trigger whose next fire time is at or before `now`; returns what fired."""
        now = now or self.clock()
        if now.tzinfo is None:
            raise ValueError("Timers need an aware clock")
        fired: list[Firing] = []
        with self._lock:
            for trigger in self.triggers:
                key = (trigger.function, trigger.name)
                if key not in self._next:  # first sight: schedule from now, do not fire
                    self._next[key] = self._next_after(trigger, now)
                    continue
                due = self._next[key]
                if due is None or due > now:
                    continue
                fired.append(Firing(trigger.function, trigger.name, due, timer_event(trigger, due)))
                self._next[key] = self._next_after(trigger, now)
        from infra.local import devtools

        if fired and devtools.moved():  # while `POST /_dev/clock` has the platform in the future, nothing fires on
            log.info("dev clock moved: %d timer(s) not fired (POST /_dev/timers/… fires one)", len(fired))  # its own
            return []  # (a sweep at a moved time would expire `make dev`'s tasks for real)
        for firing in fired:
            self._submit(firing)
        return fired

    def _next_after(self, trigger: TimerTrigger, now: datetime) -> datetime | None:
        try:
            return trigger.expression.next_after(now)
        except Exception:  # never let one bad trigger stop the others
            log.exception("timer %s/%s: cannot compute its next fire time", trigger.function, trigger.name)
            return None

    def _submit(self, firing: Firing) -> None:
        if self._executor is None:
            self._run(firing)
        else:
            self._executor.submit(self._run, firing)

    def _run(self, firing: Firing) -> None:
        log.info("timer %s/%s fires (%s)", firing.function, firing.trigger, firing.event["Time"])
        try:
            self.invoke(firing.function, firing.event)
        except Exception:
            log.exception("timer %s/%s: the function failed", firing.function, firing.trigger)

    # --- background thread ---
    def start(self) -> None:
        self.tick()  # schedule everything from now
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="local-timers", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                now = self.clock()
                self.tick(now)
                upcoming = [t for t in self.next_fire_times().values() if t is not None]
                delay = (min(upcoming) - now).total_seconds() if upcoming else self.poll_interval
            except Exception:
                log.exception("timer loop error")
                delay = self.poll_interval
            # Wake at the next fire time, but at least every poll_interval to notice clock jumps and stop().
            self._stop.wait(min(max(delay, 0.001), self.poll_interval))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


# --- command line ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run CodeLink's SCF functions locally (Function URLs + timers).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--no-timers", action="store_true", help="do not fire timer triggers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    manifest = load_manifest()
    runner = FunctionRunner("functions", manifest)
    gateway = LocalGateway(args.host, args.port, manifest=manifest, runner=runner)
    timers = None if args.no_timers else Timers.from_manifest(manifest, runner)
    url = gateway.start()
    if timers is not None:
        timers.start()
    log.info(
        "local gateway on %s (functions: %s; timers: %s)",
        url,
        ", ".join(sorted(gateway.http_functions)),
        "off" if timers is None else ", ".join(f"{t.function}/{t.name}" for t in timers.triggers),
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        if timers is not None:
            timers.stop()
        gateway.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
