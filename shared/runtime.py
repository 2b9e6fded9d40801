"""What every cloud function does once per container: logging, the after-commit worker kick, and the shape of
timer and job-batch entry points."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

log = logging.getLogger("codelink.runtime")

_booted = False


def bootstrap() -> None:
    global _booted
    if _booted:
        return
    _booted = True
    if not logging.getLogger().handlers:
        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from shared.jobs import install_kick

    install_kick()


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
        result = job()
        log.info("timer %s: %s", name, result)
        return {"ok": True, "trigger": name, "result": result}

    return main_handler
