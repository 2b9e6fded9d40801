"""Fake Tencent Cloud SCF `Invoke` (API 3.0, version 2018-04-16) for tests and local runs.

`tencentcloud-sdk-python-scf`'s `ScfClient` talks to it unchanged (TC3-signed, verified here). The fake
does not run functions itself: it hands `(function_name, event)` to the `dispatch` callable it was built with
(the local runtime passes one that calls the function's handler in-process).

- `InvocationType=Event` (async): dispatch runs on a background thread and the answer comes at once with an
  empty Result, like SCF's asynchronous invocation.
- `InvocationType=RequestResponse` (the default, sync): dispatch runs; its return value comes back
  JSON-encoded in `Result.RetMsg`, an exception in `Result.ErrMsg` with `InvokeResult=-1`.

Controls: `GET /_fake/scf/invocations?function=` -> {"invocations": [...]}. Python: `invocations(function)`,
`wait_idle(timeout)` (block until background invocations are done).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from infra.fakes.base import FakeRequest, FakeResponse
from infra.fakes.tc3 import Tc3Error, Tc3FakeServer, require_str

log = logging.getLogger("codelink.fakes.scf")

Dispatch = Callable[[str, dict], dict | None]
# SCF limits ClientContext to 128 KB for async and 6 MB for sync invocations.
MAX_ASYNC_CONTEXT = 128 * 1024
MAX_SYNC_CONTEXT = 6 * 1024 * 1024


class FakeScf(Tc3FakeServer):
    name = "fake-tencent-scf"
    service = "scf"
    version = "2018-04-16"

    def __init__(
        self,
        dispatch: Dispatch,
        secret_id: str,
        secret_key: str,
        *,
        token: str | None = None,
        qualifiers: Iterable[str] = ("$LATEST", "$DEFAULT"),
        functions: Iterable[str] | None = None,
        namespace: str = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`functions`: deployed function names (others: ResourceNotFound.Function); None = any name.
        `qualifiers`: the versions/aliases that exist (others: ResourceNotFound.Qualifier)."""
        super().__init__(secret_id, secret_key, token=token, host=host, port=port, clock=clock)
        self.qualifiers = set(qualifiers)
        self.dispatch = dispatch
        self.functions = set(functions) if functions is not None else None
        self.namespace = namespace
        self._invocations: list[dict] = []
        self._pending = 0
        self._idle = threading.Condition()
        self.actions["Invoke"] = self._invoke

    # --- the API ---
    def _invoke(self, params: dict, request: FakeRequest) -> dict:
        function_name = require_str(params, "FunctionName")
        namespace = params.get("Namespace") or "default"
        if namespace != self.namespace:
            raise Tc3Error("ResourceNotFound.Namespace", f"Namespace `{namespace}` does not exist.")
        if self.functions is not None and function_name not in self.functions:
            raise Tc3Error("ResourceNotFound.Function", f"Function `{function_name}` does not exist.")
        qualifier = params.get("Qualifier") or "$LATEST"  # the API's default
        if qualifier not in self.qualifiers:
            raise Tc3Error("ResourceNotFound.Qualifier", f"Qualifier `{qualifier}` does not exist.")
        invocation_type = params.get("InvocationType") or "RequestResponse"
        if invocation_type not in ("Event", "RequestResponse"):
            raise Tc3Error(
                "InvalidParameterValue.InvocationType", f"InvocationType `{invocation_type}` is invalid."
            )
        raw_context = params.get("ClientContext") or "{}"
        limit = MAX_ASYNC_CONTEXT if invocation_type == "Event" else MAX_SYNC_CONTEXT
        if len(raw_context.encode("utf-8")) > limit:
            raise Tc3Error("InvalidParameterValue.ClientContext", f"ClientContext exceeds {limit} bytes.")
        try:
            event = json.loads(raw_context)
        except ValueError as exc:
            raise Tc3Error(
                "InvalidParameterValue.ClientContext", f"ClientContext is not valid JSON: {exc}"
            ) from exc
        if not isinstance(event, dict):
            raise Tc3Error("InvalidParameterValue.ClientContext", "ClientContext must be a JSON object.")

        record: dict[str, Any] = {
            "request_id": str(uuid.uuid4()),
            "function": function_name,
            "namespace": namespace,
            "qualifier": qualifier,
            "invocation_type": invocation_type,
            "event": event,
            "status": "running",
            "result": None,
            "error": None,
        }
        with self.lock:
            self._invocations.append(record)
        log.info("SCF %s invoke %s (%s)", invocation_type, function_name, record["request_id"])

        if invocation_type == "Event":
            with self._idle:
                self._pending += 1
            threading.Thread(
                target=self._run_async, args=(record,), name=f"scf-{function_name}", daemon=True
            ).start()
            # Async invocations answer with an empty Result but for the request id.
            return {"Result": self._result(record["request_id"], "", "", 0.0, 0)}

        started = time.monotonic()
        self._run(record)
        duration_ms = round((time.monotonic() - started) * 1000, 3)
        if record["status"] == "failed":
            return {"Result": self._result(record["request_id"], "", record["error"], duration_ms, -1)}
        ret_msg = json.dumps(record["result"], ensure_ascii=False)
        return {"Result": self._result(record["request_id"], ret_msg, "", duration_ms, 0)}

    @staticmethod
    def _result(request_id: str, ret_msg: str, err_msg: str, duration_ms: float, invoke_result: int) -> dict:
        return {
            "Log": "",
            "RetMsg": ret_msg,
            "ErrMsg": err_msg,
            "MemUsage": 0,
            "Duration": duration_ms,
            "BillDuration": int(duration_ms) + 1 if duration_ms else 0,
            "FunctionRequestId": request_id,
            "InvokeResult": invoke_result,
        }

    def _run(self, record: dict) -> None:
        try:
            result = self.dispatch(record["function"], record["event"])
        except Exception as exc:
            log.exception("SCF function %s failed (%s)", record["function"], record["request_id"])
            error = json.dumps(
                {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_exc(),
                },
                ensure_ascii=False,
            )
            with self.lock:
                record.update(status="failed", error=error)
        else:
            with self.lock:
                record.update(status="succeeded", result=result)

    def _run_async(self, record: dict) -> None:
        try:
            self._run(record)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    # --- controls ---
    def handle_control(self, request: FakeRequest) -> FakeResponse:
        if request.method == "GET" and request.path == "/_fake/scf/invocations":
            return FakeResponse.json({"invocations": self.invocations(request.query.get("function") or None)})
        return FakeResponse.json({"error": "not found"}, 404)

    def invocations(self, function: str | None = None) -> list[dict]:
        """Invocations so far, oldest first (status: running | succeeded | failed)."""
        with self.lock:
            return [dict(r) for r in self._invocations if function is None or r["function"] == function]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no async invocation is running; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)
