"""shared/logs.py: JSON lines with the scope's fields and the exception, configured even when the runtime (SCF's
Python runtime does) installed a root handler first; and the HTTP entry's one request line, errors included."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from shared import logs


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """A logger standing in for the root logger of a fresh SCF container (pytest keeps its own on the real root)."""
    logger = logging.getLogger("codelink-test-root")  # propagating: pytest attaches its handlers only elsewhere
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_configure_takes_over_the_handler_the_runtime_installed(root: logging.Logger) -> None:
    runtime_stream = io.StringIO()
    runtime_handler = logging.StreamHandler(runtime_stream)
    runtime_handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))  # like SCF's bootstrap
    root.addHandler(runtime_handler)
    logs.configure("INFO", "json", root)
    assert root.handlers == [runtime_handler]  # its transport kept, our format on it
    logging.getLogger("codelink-test-root.test").info("hello %s", "世界")
    [line] = lines(runtime_stream)
    assert line["message"] == "hello 世界" and line["level"] == "INFO" and line["logger"] == "codelink-test-root.test"
    assert line["time"].endswith("+00:00")


def test_configure_without_a_handler_adds_one(root: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("WARNING", "json", root)
    assert len(root.handlers) == 1 and root.level == logging.WARNING
    logging.getLogger("codelink-test-root.test").info("not shown")
    logging.getLogger("codelink-test-root.test").warning("shown")
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["message"] == "shown"


def test_scope_fields_extra_fields_and_exceptions(root: logging.Logger) -> None:
    stream = io.StringIO()
    root.addHandler(logging.StreamHandler(stream))
    logs.configure("INFO", "json", root)
    log = logging.getLogger("codelink-test-root.test")
    with logs.scope(request_id="req-1", function="tasks"):
        logs.annotate(route="/tasks/{task_id}", user_id=7)
        with logs.scope(job_id=3):
            log.info("inner", extra={"event": "job", "duration_ms": 1.5})
        try:
            raise ValueError("bad value")
        except ValueError:
            log.exception("failed")
    log.info("outside")
    inner, failed, outside = lines(stream)
    assert inner == {**inner, "request_id": "req-1", "function": "tasks", "route": "/tasks/{task_id}", "user_id": 7,
                     "job_id": 3, "event": "job", "duration_ms": 1.5}
    assert failed["error"]["type"] == "ValueError" and failed["error"]["message"] == "bad value"
    assert "raise ValueError" in failed["error"]["traceback"] and failed["level"] == "ERROR"
    assert "request_id" not in outside and "route" not in outside


def test_annotate_outside_a_scope_is_a_no_op() -> None:
    logs.annotate(route="/x")
    assert logs.fields() == {}


@pytest.mark.parametrize(("context", "expected"), [({"request_id": "abc"}, "abc"), (None, None), ({}, None)])
def test_request_id_from_the_scf_context(context, expected) -> None:
    assert logs.context_request_id(context) == expected


def test_text_format_for_a_terminal(root: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "text", root)
    with logs.scope(request_id="r-9"):
        logging.getLogger("codelink-test-root.test").info("readable")
    err = capsys.readouterr().err
    assert "INFO codelink-test-root.test readable request_id=r-9" in err


# --- the HTTP entry: one request line per call, errors with their exception ---


def test_one_request_line_per_call_and_a_500_carries_the_exception(root: logging.Logger) -> None:
    from shared.http.router import Router
    from shared.runtime import http_function

    router = Router("demo")

    @router.get("/demo/ok/{item_id:int}", summary="ok", auth=False)
    def ok(req, **_: object) -> dict:
        return {"id": req.params["item_id"]}

    @router.get("/demo/broken", summary="broken", auth=False)
    def broken(req, **_: object) -> dict:
        raise RuntimeError("a bug")

    stream = io.StringIO()
    codelink = logging.getLogger("codelink")  # where codelink.access and codelink.http log
    logs.configure("INFO", "json", root)  # installs the record factory that captures the scope
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logs.JsonFormatter())
    codelink.addHandler(capture)
    saved_level = codelink.level
    codelink.setLevel(logging.INFO)
    handler = http_function(router)
    assert handler({"httpMethod": "GET", "path": "/demo/ok/5", "headers": {}}, {"request_id": "rq-1"})[
        "statusCode"] == 200
    answer = handler({"httpMethod": "GET", "path": "/demo/broken", "headers": {}}, {"request_id": "rq-2"})
    assert answer["statusCode"] == 500 and "a bug" not in answer["body"]
    records = lines(stream)
    requests = [r for r in records if r.get("event") == "request"]
    assert [(r["request_id"], r["route"], r["status"]) for r in requests] == [
        ("rq-1", "/demo/ok/{item_id}", 200), ("rq-2", "/demo/broken", 500)]
    assert requests[0]["function"] == "demo" and requests[0]["method"] == "GET" and requests[0]["duration_ms"] >= 0
    assert requests[1]["level"] == "ERROR"
    [error] = [r for r in records if "error" in r]
    assert error["request_id"] == "rq-2" and error["error"]["type"] == "RuntimeError"
    assert error["error"]["message"] == "a bug"
    codelink.removeHandler(capture)
    codelink.setLevel(saved_level)
