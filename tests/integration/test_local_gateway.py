"""The local gateway over real HTTP, the timer scheduler and dispatch, driven by a tiny fake function package."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import textwrap
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from infra.local import invoke as invoke_cli
from infra.local.gateway import NOT_FOUND, FunctionRunner, LocalGateway, Timers, build_event, http_response
from infra.local.manifest import parse_manifest

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"

FAKE_FUNCTIONS = {
    "echo": """
        import json

        def main_handler(event, context):
            body = {"event": event, "function": context["function_name"]}
            return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}
    """,
    "picture": f"""
        import base64

        def main_handler(event, context):
            return {{"statusCode": 201, "headers": {{"Content-Type": "image/png", "Set-Cookie": ["a=1", "b=2"]}},
                    "body": base64.b64encode({PNG!r}).decode(), "isBase64Encoded": True}}
    """,
    "plain": """
        def main_handler(event, context):
            return {"hello": "世界"}
    """,
    "boom": """
        def main_handler(event, context):
            raise RuntimeError("kaboom")
    """,
    "bad": """
        def main_handler(event, context):
            return {"statusCode": "200", "body": "x"}
    """,
    "worker": """
        CALLS = []

        def main_handler(event, context):
            CALLS.append(event)
            if event.get("TriggerName") == "explodes":
                raise ValueError("timer handler failed")
            return {"ok": True}
    """,
}
OPENAPI = """
    def build_openapi():
        return {"openapi": "3.1.0", "info": {"title": "fake", "version": "1"}, "paths": {}}
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> str:
    """A throwaway package `<name>/<function>/index.py` on sys.path, unique per run (parallel-safe)."""
    import sys

    root = tmp_path_factory.mktemp("fakefns")
    name = f"fakefns_{uuid.uuid4().hex[:8]}"
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for function, source in FAKE_FUNCTIONS.items():
        (pkg / function).mkdir()
        (pkg / function / "index.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (pkg / "openapi_doc.py").write_text(textwrap.dedent(OPENAPI), encoding="utf-8")
    sys.path.insert(0, str(root))
    yield name
    sys.path.remove(str(root))


@pytest.fixture(scope="module")
def gateway(package):
    gw = LocalGateway(
        port=0,
        package=package,
        http_functions={"echo", "picture", "plain", "boom", "bad"},
        openapi_module=f"{package}.openapi_doc",
    )
    gw.start()
    yield gw
    gw.stop()


def request(gw: LocalGateway, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def echoed(gw: LocalGateway, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
    status, _, data = request(gw, method, path, body, headers)
    assert status == 200
    return json.loads(data)["event"]


# --- requests become Function URL events ---


def test_get_event_shape(gateway) -> None:
    event = echoed(gateway, "GET", "/echo/items/1?a=1&b=x&b=y&empty=", headers={"X-Custom": "v"})
    assert event["httpMethod"] == "GET"
    assert event["path"] == "/echo/items/1"
    assert event["queryString"] == {"a": "1", "b": ["x", "y"], "empty": ""}
    assert event["body"] == ""
    assert event["isBase64Encoded"] is False
    headers = event["headers"]
    assert headers["x-custom"] == "v"
    assert headers["x-scf-remote-addr"] == "127.0.0.1"
    assert all(name == name.lower() for name in headers)


def test_utf8_body_is_text(gateway) -> None:
    payload = json.dumps({"title": "小程序开发"}, ensure_ascii=False).encode("utf-8")
    event = echoed(gateway, "POST", "/echo", payload, {"Content-Type": "application/json"})
    assert event["body"] == payload.decode("utf-8")
    assert event["isBase64Encoded"] is False
    assert event["headers"]["content-type"] == "application/json"


def test_binary_body_is_base64(gateway) -> None:
    event = echoed(gateway, "PUT", "/echo/upload", PNG, {"Content-Type": "image/png"})
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG


def test_context_names_the_function(gateway) -> None:
    status, _, data = request(gateway, "DELETE", "/echo/x")
    assert status == 200 and json.loads(data)["function"] == "echo"


# --- answers become HTTP responses ---


def test_base64_answer_is_decoded_and_list_headers_repeat(gateway) -> None:
    status, headers, data = request(gateway, "GET", "/picture")
    assert status == 201
    assert data == PNG
    assert headers["Content-Type"] == "image/png"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert headers["Content-Length"] == str(len(PNG))


def test_answer_without_status_code_is_json(gateway) -> None:
    status, headers, data = request(gateway, "GET", "/plain")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(data) == {"hello": "世界"}


def test_function_error_is_502(gateway, caplog) -> None:
    with caplog.at_level(logging.ERROR, "codelink.local"):
        status, _, data = request(gateway, "POST", "/boom")
    assert status == 502 and json.loads(data)["code"] == "FUNCTION_ERROR"
    assert "kaboom" in caplog.text


def test_unusable_answer_is_502(gateway) -> None:
    status, _, data = request(gateway, "GET", "/bad")
    assert status == 502 and json.loads(data)["code"] == "BAD_GATEWAY"


@pytest.mark.parametrize("path", ["/", "/nope", "/nope/echo", "/worker", "/Echo"])
def test_unknown_first_segment_is_404(gateway, path: str) -> None:
    status, headers, data = request(gateway, "GET", path)
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(data) == NOT_FOUND == {"code": "NOT_FOUND", "message": "接口不存在"}


def test_healthz_and_openapi(gateway) -> None:
    status, _, data = request(gateway, "GET", "/healthz")
    assert status == 200 and json.loads(data) == {"status": "ok"}
    status, _, data = request(gateway, "GET", "/openapi.json")
    assert status == 200 and json.loads(data)["openapi"] == "3.1.0"


def test_openapi_missing_is_404(package) -> None:
    gw = LocalGateway(package=package, http_functions=set(), openapi_module=f"{package}.no_such_module")
    status, _, data = gw.handle("GET", "/openapi.json", [], b"", "127.0.0.1")
    assert status == 404 and json.loads(data) == NOT_FOUND


def test_concurrent_requests(gateway) -> None:
    results: list[int] = []

    def call(i: int) -> None:
        results.append(request(gateway, "GET", f"/echo?i={i}")[0])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 16


# --- pure helpers ---


def test_build_event_joins_repeated_headers() -> None:
    event = build_event("GET", "/x", [("Accept", "a"), ("accept", "b")], b"", "10.0.0.1")
    assert event["headers"]["accept"] == "a, b"
    assert event["headers"]["x-scf-remote-addr"] == "10.0.0.1"


@pytest.mark.parametrize(
    "answer",
    [
        {"statusCode": 99, "body": ""},
        {"statusCode": True, "body": ""},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "headers": ["x"], "body": ""},
        {"set"},
    ],
)
def test_http_response_rejects_unusable_answers(answer) -> None:
    from infra.local.gateway import InvalidAnswer

    with pytest.raises(InvalidAnswer):
        http_response(answer)


def test_http_response_drops_hop_by_hop_headers() -> None:
    status, headers, body = http_response(
        {"statusCode": 204, "headers": {"Content-Length": "99", "X-A": 1}, "body": None}
    )
    assert (status, headers, body) == (204, [("X-A", "1")], b"")


# --- dispatch (the SCF fake's callable) ---


def test_dispatch_runs_in_process_and_propagates_errors(package) -> None:
    runner = FunctionRunner(package)
    answer = runner.dispatch("worker", {"kind": "kick"})
    assert answer == {"ok": True}
    assert runner.module("worker").CALLS[-1] == {"kind": "kick"}
    with pytest.raises(RuntimeError, match="kaboom"):
        runner.dispatch("boom", {})
    with pytest.raises(LookupError):
        runner.dispatch("../etc", {})


def test_dispatch_accepts_deployed_names(package) -> None:
    manifest = parse_manifest(
        {
            "component": "multi-scf",
            "inputs": {
                "functions": {"worker": {"name": "codelink-dev-worker", "handler": "scf_worker.main_handler"}},
                "triggers": [],
            },
        }
    )
    runner = FunctionRunner(package, manifest)
    assert runner.dispatch("codelink-dev-worker", {"kind": "kick"}) == {"ok": True}
    assert runner.context("codelink-dev-worker")["function_name"] == "worker"


def test_default_dispatch_targets_real_functions() -> None:
    from infra.local import gateway

    runner = gateway.default_runner()
    assert runner.package == "functions" and "jobs_worker" in runner.manifest.functions


# --- timers ---


def timer_manifest(*timers: tuple[str, str, bool]):
    return parse_manifest(
        {
            "component": "multi-scf",
            "inputs": {
                "functions": {"worker": {"handler": "scf_worker.main_handler"}},
                "triggers": [
                    {
                        "type": "timer",
                        "function": "worker",
                        "parameters": {"name": name, "cronExpression": cron, "enable": enabled, "argument": "hi"},
                    }
                    for name, cron, enabled in timers
                ],
            },
        }
    )


UTC = timezone.utc


def test_timers_fire_on_schedule_with_timer_events(package) -> None:
    manifest = timer_manifest(("every_minute", "0 * * * * * *", True), ("daily", "0 0 10 * * * *", True))
    runner = FunctionRunner(package, manifest)
    timers = Timers.from_manifest(manifest, runner, run_inline=True)
    start = datetime(2025, 1, 1, 1, 59, 30, tzinfo=UTC)  # 09:59:30 in Beijing
    assert timers.tick(start) == []  # first tick schedules only
    assert timers.tick(start + timedelta(seconds=29)) == []
    fired = timers.tick(start + timedelta(seconds=30))  # 10:00:00 Beijing: both
    assert {f.trigger for f in fired} == {"every_minute", "daily"}
    daily = next(f for f in fired if f.trigger == "daily")
    assert daily.event == {"Type": "Timer", "TriggerName": "daily", "Time": "2025-01-01T02:00:00Z", "Message": "hi"}
    calls = runner.module("worker").CALLS
    assert {"Type": "Timer", "TriggerName": "every_minute", "Time": "2025-01-01T02:00:00Z", "Message": "hi"} in calls
    assert timers.tick(start + timedelta(seconds=31)) == []


def test_missed_fires_fire_once_and_errors_do_not_stop_others(package, caplog) -> None:
    manifest = timer_manifest(("explodes", "0 * * * * * *", True), ("fine", "0 * * * * * *", True))
    timers = Timers.from_manifest(manifest, FunctionRunner(package, manifest), run_inline=True)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    timers.tick(start)
    with caplog.at_level(logging.ERROR, "codelink.local"):
        fired = timers.tick(start + timedelta(minutes=10))  # ten fire times missed
    assert sorted(f.trigger for f in fired) == ["explodes", "fine"]  # once each
    assert "timer handler failed" in caplog.text
    assert timers.next_fire_times()[("worker", "fine")] == start + timedelta(minutes=11)


def test_disabled_timers_do_not_fire(package) -> None:
    manifest = timer_manifest(("off", "* * * * * * *", False))
    timers = Timers.from_manifest(manifest, FunctionRunner(package, manifest), run_inline=True)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    timers.tick(start)
    assert timers.tick(start + timedelta(hours=1)) == []


def test_timer_thread_with_a_fast_clock(package) -> None:
    manifest = timer_manifest(("every_minute", "0 * * * * * *", True))
    seen: list[dict] = []
    fake_now = [datetime(2025, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:  # every reading moves 20 seconds on: three readings per fire time
        fake_now[0] += timedelta(seconds=20)
        return fake_now[0]

    timers = Timers(manifest.timers, lambda fn, event: seen.append(event), clock=clock, poll_interval=0.005)
    timers.start()
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        timers.stop()
    assert len(seen) >= 3
    times = [e["Time"] for e in seen[:3]]
    assert times == sorted(times) and len(set(times)) == 3
    assert all(t.endswith(":00Z") for t in times)


# --- make invoke ---


def test_invoke_cli_pretty_prints(package, tmp_path: Path, capsys) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps({"httpMethod": "GET", "path": "/echo"}), encoding="utf-8")
    assert invoke_cli.main(["echo", str(event_file), "--package", package]) == 0
    out = capsys.readouterr().out
    assert '"statusCode": 200' in out
    assert "--- body (decoded) ---" in out and '"function": "echo"' in out
    assert invoke_cli.main(["boom", str(event_file), "--package", package]) == 1
    assert "kaboom" in capsys.readouterr().err


# --- bad HTTP: the gateway answers JSON, closes what it cannot frame, and keeps serving ---


@pytest.fixture(scope="module")
def impatient(package):
    gw = LocalGateway(port=0, package=package, http_functions={"echo"}, openapi_module=f"{package}.openapi_doc",
                      read_timeout=0.5)
    gw.start()
    yield gw
    gw.stop()


def raw_exchange(gw: LocalGateway, data: bytes, *, wait: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are, read until the server closes or `wait` passes; parse the first response."""
    import socket

    with socket.create_connection(("127.0.0.1", gw.port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    data = b"".join(chunks)
    if not data.startswith(b"HTTP/"):  # http.server answers a request it reads as HTTP/0.9 with a bare body
        return 0, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body[: int(headers.get("content-length", len(body)))]


def still_serving(gw: LocalGateway) -> bool:
    return request(gw, "GET", "/healthz")[0] == 200


def post_with(length_headers: str, body: bytes = b'{"a": 1}') -> bytes:
    return (b"POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + length_headers.encode()
            + b"\r\n" + body)


@pytest.mark.parametrize("headers", ["Content-Length: -5\r\n", "Content-Length: abc\r\n", "Content-Length: 1e3\r\n",
                                     "Content-Length: 8\r\nContent-Length: 9\r\n", "Content-Length: 8, 9\r\n",
                                     "Content-Length: +8\r\n", "Content-Length: ８\r\n"])
def test_bad_content_length_is_a_json_400_and_the_gateway_keeps_serving(gateway, headers) -> None:
    status, hdrs, body = raw_exchange(gateway, post_with(headers))
    assert status == 400
    assert hdrs["content-type"].startswith("application/json") and hdrs["connection"] == "close"
    assert json.loads(body) == {"code": "BAD_REQUEST", "message": "请求头 Content-Length 无效"}
    assert still_serving(gateway)


def test_repeated_identical_content_length_is_accepted(gateway) -> None:
    headers = "Content-Length: 8\r\nContent-Length: 8\r\nConnection: close\r\n"
    status, _, body = raw_exchange(gateway, post_with(headers))
    assert status == 200 and json.loads(body)["event"]["body"] == '{"a": 1}'


def test_chunked_body_is_411(gateway) -> None:
    chunked = post_with("Transfer-Encoding: chunked\r\n", b"8\r\n{\"a\": 1}\r\n0\r\n\r\n")
    status, _, body = raw_exchange(gateway, chunked)
    assert status == 411 and json.loads(body)["code"] == "LENGTH_REQUIRED"
    assert still_serving(gateway)


def test_body_over_the_scf_limit_is_413_without_reading_it(gateway) -> None:
    status, _, body = raw_exchange(gateway, post_with(f"Content-Length: {7 * 1024 * 1024}\r\n"))
    assert status == 413 and json.loads(body)["code"] == "PAYLOAD_TOO_LARGE"
    assert still_serving(gateway)


def test_body_that_never_arrives_times_out_with_408(impatient) -> None:
    started = time.monotonic()
    status, hdrs, body = raw_exchange(impatient, post_with("Content-Length: 100\r\n", b'{"a":'))
    assert status == 408 and json.loads(body)["code"] == "REQUEST_TIMEOUT" and hdrs["connection"] == "close"
    assert time.monotonic() - started < 4  # the read timeout (0.5 s), not the client's patience
    assert still_serving(impatient)


def test_a_connection_that_sends_nothing_is_closed(impatient) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", impatient.port), timeout=5) as sock:
        assert sock.recv(100) == b""  # closed by the server after its read timeout
    assert still_serving(impatient)


def test_client_closing_before_the_body_ends_does_not_break_the_gateway(gateway) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(post_with("Content-Length: 100\r\n", b'{"a":'))
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1000)
    assert still_serving(gateway)


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_unsupported_methods_are_a_json_405_with_allow(gateway, method) -> None:
    target = "127.0.0.1:443" if method == "CONNECT" else "/echo/x"
    status, hdrs, body = raw_exchange(gateway, f"{method} {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    assert status == 405
    assert hdrs["allow"] == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    assert json.loads(body) == {"code": "METHOD_NOT_ALLOWED", "message": "不支持该请求方法"}
    assert still_serving(gateway)


@pytest.mark.parametrize("data", [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                                  b"GET /" + b"x" * 70_000 + b" HTTP/1.1\r\n\r\n"])
def test_garbled_requests_are_answered_in_json(gateway, data) -> None:
    status, hdrs, body = raw_exchange(gateway, data)
    # status 0: http.server read it as HTTP/0.9 and answered with a bare (JSON) body
    assert status == 0 or (400 <= status < 600 and status != 500 and hdrs["content-type"].startswith("application/"))
    assert json.loads(body)["code"] == "BAD_REQUEST"
    assert still_serving(gateway)


def test_a_burst_of_100_connections_is_served(gateway) -> None:
    """All at once, each a new connection: the listen backlog (5 by default in socketserver) must hold them until the
    accept loop takes them, instead of the kernel resetting most of them."""
    import socket

    n = 100
    barrier = threading.Barrier(n)
    results: list[int | str] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        try:
            with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            outcome: int | str = int(data.split()[1])
        except OSError as exc:
            outcome = type(exc).__name__
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count(200) == n, sorted(map(str, results))
