"""What every cloud function does once per container (settings checked, logging, the after-commit worker kick) and
the shape of its entry points: HTTP (`http_function`), timers (`timer_handler`) and other runs (`job_run`), each
logging one JSON summary line per invocation with the SCF request id (shared/logs.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shared import logs

if TYPE_CHECKING:
    from shared.http.router import Router

log = logging.getLogger("codelink.runtime")
access_log = logging.getLogger("codelink.access")

_booted = False


def bootstrap() -> None:
    """Once per container, in SCF's init phase: settings validated (production refuses a bad configuration here,
    before any request), logging configured, the jobs kick installed."""
    global _booted
    if _booted:
        return
    from shared.config import get_settings

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    _booted = True
    from shared.jobs import install_kick

    install_kick()


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _function_name(function: str, context: Any) -> str:
    if isinstance(context, dict) and context.get("function_name"):
        return str(context["function_name"])
    return function


# --- HTTP ---

HEALTH_SEGMENT = "_health"


def health(function: str, context: Any) -> dict[str, Any]:
    """`GET /<function>/_health`: the function starts, reads its settings and reaches the database; the smoke test
    (infra/deploy/smoke.py) calls it on every Function URL. Answers the newest applied migration too, so a deploy
    whose schema was not migrated shows."""
    import json

    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().connect() as conn:
        head = conn.execute(text("SELECT max(name) FROM schema_migrations")).scalar()
    body = {"ok": True, "function": function, "migration": head,
            "version": context.get("function_version") if isinstance(context, dict) else None}
    return {"statusCode": 200, "headers": {"content-type": "application/json; charset=utf-8"},
            "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}


def http_function(router: Router) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The main_handler of an HTTP function: CORS preflight and headers, the health check, then the router; one
    `request` log line per call."""
    from shared.config import get_settings
    from shared.http import cors

    def main_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        event = event if isinstance(event, dict) else {}
        method = str(event.get("httpMethod") or "GET").upper()
        path = str(event.get("path") or "/")
        origins = get_settings().cors_origins
        with logs.scope(request_id=logs.context_request_id(context), function=_function_name(router.function,
                                                                                               context)) as scope:
            if cors.is_preflight(event):
                response = cors.preflight(event, origins)
                logs.annotate(route="(preflight)")
            elif method == "GET" and path == f"/{router.function}/{HEALTH_SEGMENT}":
                logs.annotate(route=f"/{router.function}/{HEALTH_SEGMENT}")
                try:
                    response = health(router.function, context)
                except Exception:
                    log.exception("health check failed")
                    response = {"statusCode": 503, "headers": {"content-type": "application/json; charset=utf-8"},
                                "body": '{"ok": false}', "isBase64Encoded": False}
            else:
                response = router.handler(event, context)
            response = cors.decorate(response, event, origins)
            status = int(response.get("statusCode") or 200)
            access_log.log(logging.ERROR if status >= 500 else logging.INFO, "%s %s -> %s", method,
                           scope.get("route", path), status,
                           extra={"event": "request", "method": method, "path": path, "status": status,
                                  "duration_ms": _elapsed_ms(started)})
        return response

    return main_handler


# --- timers and other runs ---


def job_run(name: str, fn: Callable[[], Any], context: Any = None) -> dict[str, Any]:
    """Run `fn` as one logged unit (`run` line: name, ok, duration, the result or the exception) and return
    {"ok": True, "result": ...}. An exception is logged with its trace and raised again, so SCF records the
    invocation as failed (and retries an async one)."""
    started = time.perf_counter()
    with logs.scope(request_id=logs.context_request_id(context), run=name):
        try:
            result = fn()
        except Exception:
            log.exception("%s failed", name, extra={"event": "run", "ok": False,
                                                    "duration_ms": _elapsed_ms(started)})
            raise
        log.info("%s done", name, extra={"event": "run", "ok": True, "result": result,
                                         "duration_ms": _elapsed_ms(started)})
    return result if isinstance(result, dict) and "ok" in result else {"ok": True, "result": result}


def is_timer_event(event: Any) -> bool:
    # SCF docs write both "Timer" and "timer".
    return isinstance(event, dict) and str(event.get("Type", "")).lower() == "timer"


def timer_handler(timers: dict[str, Callable[[], Any]]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A main_handler that runs the timer named by the event's TriggerName and reports what it did."""

    def main_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        if not is_timer_event(event):
            return {"ok": False, "error": "not a timer event"}
        name = str(event.get("TriggerName", ""))
        job = timers.get(name)
        if job is None:
            log.error("unknown timer trigger %r", name)
            return {"ok": False, "error": f"unknown trigger {name}"}
        answer = job_run(f"timer.{name}", job, context)
        return {"ok": True, "trigger": name, "result": answer.get("result", answer)}

    return main_handler
