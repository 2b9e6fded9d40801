"""Development-only controls of the local gateway, under `/_dev/…` — refused (404) unless ENVIRONMENT is local or test.

- `GET /_dev/clock`: the platform's time (`shared.clock`) and how far it has been moved.
- `POST /_dev/clock {"advance_seconds": n}`: move the platform's clock forward (n ≥ 1; never back: what the platform
  wrote at a later time must stay in its past). The fakes that read `shared.clock` (the drand beacon) move with it.
- `POST /_dev/clock {"restore": true}`: undo every move (the clock that was installed before the first one) — what
  `make demo` does when its time travel is over, so the rest of the story (and `make dev`) runs at the real time.
- `POST /_dev/timers/{function}/{trigger}`: fire a timer trigger of serverless.yml now (what the local timer thread does
  on its schedule), e.g. `/_dev/timers/timers/lottery`; answers what the handler returned.

While the clock is moved, `make dev`'s timer thread fires nothing on its schedule (a task-expiry or auto-accept sweep at
a moved time would change `make dev`'s data for good); only what is fired through `/_dev/timers` runs.

The clock moves in the gateway's process — the one that runs every function locally (`make dev`, `make demo`, the e2e
tests). A FixedClock (tests) is advanced and set back; any other clock is wrapped in an OffsetClock.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

from shared import clock
from shared.clock import FixedClock, OffsetClock

ALLOWED_ENVIRONMENTS = ("local", "test")
MAX_ADVANCE = timedelta(days=400)

_lock = threading.Lock()
_moved = timedelta(0)
_original: clock.Clock | None = None


def allowed() -> bool:
    """Only where ENVIRONMENT is local or test; anything else — production, or settings that do not load — refuses."""
    from shared.config import get_settings

    try:
        return get_settings().environment in ALLOWED_ENVIRONMENTS
    except Exception:
        return False


def moved() -> bool:
    """The clock is moved: the local timer thread fires nothing until it is restored (infra/local/gateway.py Timers)."""
    return _original is not None


def _state() -> dict[str, Any]:
    return {"now": clock.now().isoformat(), "offset_seconds": int(_moved.total_seconds())}


def advance(delta: timedelta) -> dict[str, Any]:
    global _moved, _original
    with _lock:
        current = clock.get_clock()
        if _original is None:
            _original = current
        if isinstance(current, FixedClock):
            current.advance(delta)
        elif isinstance(current, OffsetClock) and current is not _original:
            current.offset += delta
        else:
            clock.use_clock(OffsetClock(_moved + delta))
        _moved += delta
        return _state()


def restore() -> dict[str, Any]:
    global _moved, _original
    with _lock:
        if _original is not None:
            if isinstance(_original, FixedClock):
                _original.advance(-_moved)
            clock.use_clock(_original)
        _moved, _original = timedelta(0), None
        return _state()


def handle(method: str, segments: list[str], body: bytes, runner: Any, manifest: Any) -> tuple[int, dict[str, Any]]:
    """(status, JSON payload) of a `/_dev/…` request; `segments` excludes `_dev`."""
    if not allowed():
        return 404, {"code": "NOT_FOUND", "message": "接口不存在"}
    if segments == ["clock"]:
        if method == "GET":
            return 200, _state()
        if method != "POST":
            return 405, {"code": "METHOD_NOT_ALLOWED", "message": "不支持的请求方法"}
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return 422, {"code": "VALIDATION_FAILED", "message": "请求体须为 JSON 对象"}
        if data.get("restore") is True:
            return 200, restore()
        seconds = data.get("advance_seconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_ADVANCE.total_seconds():
            return 422, {"code": "VALIDATION_FAILED",
                         "message": "advance_seconds 须为 1 到 400 天之间的秒数（时钟只能向前拨，或 restore 复原）"}
        return 200, advance(timedelta(seconds=seconds))
    if len(segments) == 3 and segments[0] == "timers" and method == "POST":
        from infra.local.gateway import timer_event

        function, name = segments[1], segments[2]
        trigger = next((t for t in (manifest.timers if manifest else ()) if t.function == function and t.name == name),
                       None)
        if trigger is None:
            return 404, {"code": "TIMER_NOT_FOUND", "message": f"没有定时触发器 {function}/{name}"}
        answer = runner.invoke(function, timer_event(trigger, clock.now()))
        return 200, {"function": function, "trigger": name, "result": json.loads(json.dumps(answer, default=str))}
    return 404, {"code": "NOT_FOUND", "message": "接口不存在"}
