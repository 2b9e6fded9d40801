"""Logs an operator can search: one JSON object per line, which CLS indexes field by field.

- Every record carries the fields of the current scope: `request_id` (from the SCF context of the invocation) and
  `function`, plus what the code that handles it adds (`route`, `user_id`, a job's `job_id` ...).
- One summary line per HTTP request (`event: "request"`: method, route, path, status, user_id, duration_ms), per job
  (`event: "job"`) and per timer or job-batch run (`event: "run"`), written by shared/runtime.py and shared/jobs.py.
- A record with an exception carries `error: {type, message, traceback}`.

`configure()` puts the JSON formatter on every handler of the root logger and adds one on stdout if there is none:
SCF's Python runtime installs its own handler before our code runs, which makes `logging.basicConfig` a silent
no-op. `LOG_FORMAT=text` (the local runtime) keeps human-readable lines, with the scope's fields appended.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

_scope: ContextVar[dict[str, Any] | None] = ContextVar("codelink_log_scope", default=None)
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def fields() -> dict[str, Any]:
    """The current scope's fields (empty outside a scope)."""
    return dict(_scope.get() or {})


@contextmanager
def scope(**values: Any) -> Iterator[dict[str, Any]]:
    """Fields added to every record logged inside the block (nested scopes inherit and extend)."""
    current = {**(_scope.get() or {}), **{k: v for k, v in values.items() if v is not None}}
    token = _scope.set(current)
    try:
        yield current
    finally:
        _scope.reset(token)


def annotate(**values: Any) -> None:
    """Add fields to the current scope, e.g. the route and user once the router knows them; no-op outside one."""
    current = _scope.get()
    if current is not None:
        current.update({k: v for k, v in values.items() if v is not None})


def context_request_id(context: Any) -> str | None:
    """The request id of an SCF invocation: `context` is a dict in the Python runtime (an object in some tools)."""
    value = context.get("request_id") if isinstance(context, dict) else getattr(context, "request_id", None)
    return str(value) if value else None


def _record_fields(record: logging.LogRecord) -> dict[str, Any]:
    data = dict(getattr(record, "scope", None) or {})
    data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and k != "scope"})
    return data


_factory_installed = False


def _install_record_factory() -> None:
    """Every record captures the scope when it is made (a handler may format it later, on another thread)."""
    global _factory_installed
    if _factory_installed:
        return
    _factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.scope = fields()
        return record

    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_record_fields(record))
        if record.exc_info and record.exc_info[1] is not None:
            exc_type, exc, tb = record.exc_info
            data["error"] = {
                "type": exc_type.__name__ if exc_type else type(exc).__name__,
                "message": str(exc),
                "traceback": "".join(traceback.format_exception(exc_type, exc, tb)),
            }
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = _record_fields(record)
        if extra:
            first, newline, rest = text.partition("\n")
            text = first + " " + " ".join(f"{k}={v}" for k, v in extra.items()) + newline + rest
        return text


def configure(level: str = "INFO", fmt: str = "json", root: logging.Logger | None = None) -> None:
    """Install the formatter on the root logger's handlers (adding a stdout handler if there is none). `root`: another
    logger to configure the same way (tests)."""
    root = root or logging.getLogger()
    if fmt == "json":
        if not root.handlers:
            root.addHandler(logging.StreamHandler(sys.stdout))
        formatter: logging.Formatter = JsonFormatter()
        for handler in root.handlers:
            handler.setFormatter(formatter)
    elif not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(TextFormatter())
        root.addHandler(handler)
    _install_record_factory()
    root.setLevel(level.upper())
