"""FunctionInvoker (tencentcloud-sdk-python-scf) end to end against FakeScf, TC3 signatures verified."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from infra.fakes.tencent_scf import FakeScf
from shared.adapters.scf import FunctionInvoker, InvokeError
from shared.adapters.tencent import ROLE_VARIABLES, StaticCredential

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-secret-key"
TOKEN = "test-session-token-0123456789"


class Recorder:
    """A dispatch callable that records its calls; `gate` holds the call until the test releases it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.done = threading.Event()

    def __call__(self, function_name: str, event: dict) -> dict | None:
        if not self.gate.wait(timeout=5):
            raise TimeoutError("gate never opened")
        if event.get("explode"):
            raise RuntimeError("boom")
        self.calls.append((function_name, event))
        self.done.set()
        return {"handled": event.get("kind"), "by": function_name}


@pytest.fixture
def dispatch() -> Recorder:
    return Recorder()


@pytest.fixture
def fake(dispatch: Recorder) -> Iterator[FakeScf]:
    server = FakeScf(dispatch, SECRET_ID, SECRET_KEY, token=TOKEN, functions={"jobs_worker", "api"},
                     namespace="codelink", qualifiers={"$LATEST", "$DEFAULT", "live"})
    server.start()
    yield server
    server.stop()


def _invoker(server: FakeScf, **overrides: str | None) -> FunctionInvoker:
    credential = StaticCredential((str(overrides.pop("secret_id", SECRET_ID)),
                                   str(overrides.pop("secret_key", SECRET_KEY)), overrides.pop("token", TOKEN)))
    args = {
        "credential": credential,
        "endpoint": f"127.0.0.1:{server.port}",
        "protocol": "http",
        "region": "ap-guangzhou",
        "namespace": "codelink",
        **overrides,
    }
    return FunctionInvoker(**args)  # type: ignore[arg-type]


def test_invoke_async_returns_before_the_function_runs(fake: FakeScf, dispatch: Recorder) -> None:
    dispatch.gate.clear()  # the function cannot finish until we say so
    _invoker(fake).invoke_async("jobs_worker", {"kind": "kick", "note": "任务"})

    assert dispatch.calls == []  # invoke_async came back while the function is still held
    [running] = fake.invocations("jobs_worker")
    assert running["invocation_type"] == "Event" and running["status"] == "running"

    dispatch.gate.set()
    assert fake.wait_idle(timeout=5)
    assert dispatch.calls == [("jobs_worker", {"kind": "kick", "note": "任务"})]
    [finished] = fake.invocations("jobs_worker")
    assert finished["status"] == "succeeded"
    assert finished["result"] == {"handled": "kick", "by": "jobs_worker"}


def test_unknown_function_is_resource_not_found(fake: FakeScf, dispatch: Recorder) -> None:
    with pytest.raises(InvokeError) as refused:
        _invoker(fake).invoke_async("no_such_function", {})
    assert refused.value.code == "ResourceNotFound.Function"
    assert fake.invocations() == []


def test_unknown_namespace_is_resource_not_found(fake: FakeScf) -> None:
    with pytest.raises(InvokeError) as refused:
        _invoker(fake, namespace="other").invoke_async("jobs_worker", {})
    assert refused.value.code == "ResourceNotFound.Namespace"


def test_wrong_secret_key_is_refused_and_nothing_runs(fake: FakeScf, dispatch: Recorder) -> None:
    with pytest.raises(InvokeError) as refused:
        _invoker(fake, secret_key="forged").invoke_async("jobs_worker", {"kind": "kick"})
    assert refused.value.code == "AuthFailure.SignatureFailure"
    assert fake.wait_idle(timeout=1)
    assert dispatch.calls == [] and fake.invocations() == []


def test_a_failing_async_function_is_recorded(fake: FakeScf) -> None:
    _invoker(fake).invoke_async("jobs_worker", {"explode": True})
    assert fake.wait_idle(timeout=5)
    [failed] = fake.invocations()
    assert failed["status"] == "failed"
    assert json.loads(failed["error"])["errorMessage"] == "boom"


def test_request_response_returns_the_result(fake: FakeScf) -> None:
    # The adapter only invokes asynchronously; the synchronous form is checked with the SDK directly.
    from tencentcloud.scf.v20180416 import models

    client = _invoker(fake)._client()
    request = models.InvokeRequest()
    request.FunctionName = "api"
    request.InvocationType = "RequestResponse"
    request.Namespace = "codelink"
    request.ClientContext = json.dumps({"kind": "ping"})
    result = client.Invoke(request).Result
    assert result.InvokeResult == 0
    assert json.loads(result.RetMsg) == {"handled": "ping", "by": "api"}
    assert result.FunctionRequestId

    request.ClientContext = json.dumps({"explode": True})
    failed = client.Invoke(request).Result
    assert failed.InvokeResult == -1
    assert json.loads(failed.ErrMsg)["errorType"] == "RuntimeError"


def test_invocations_control_endpoint(fake: FakeScf) -> None:
    _invoker(fake).invoke_async("jobs_worker", {"kind": "kick"})
    assert fake.wait_idle(timeout=5)
    url = f"{fake.base_url}/_fake/scf/invocations?function=jobs_worker"
    with urllib.request.urlopen(url, timeout=5) as response:
        [record] = json.loads(response.read())["invocations"]
    assert record["event"] == {"kind": "kick"} and record["status"] == "succeeded"


def test_from_settings_reads_the_scf_settings(fake: FakeScf, dispatch: Recorder,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import Settings

    for name, value in zip(ROLE_VARIABLES, (SECRET_ID, SECRET_KEY, TOKEN), strict=True):
        monkeypatch.setenv(name, value)  # what SCF injects from the execution role
    settings = Settings(  # type: ignore[call-arg]
        scf_endpoint=f"127.0.0.1:{fake.port}",
        scf_protocol="http",
        functions_namespace="codelink",
        jobs_worker_qualifier="live",
    )
    FunctionInvoker.from_settings(settings).invoke_async("jobs_worker", {"kind": "kick"})
    assert dispatch.done.wait(timeout=5)
    assert dispatch.calls == [("jobs_worker", {"kind": "kick"})]
    [record] = fake.invocations("jobs_worker")
    assert record["qualifier"] == "live" and record["namespace"] == "codelink"


def test_the_kick_names_its_qualifier(fake: FakeScf) -> None:
    """Invoke without a Qualifier runs $LATEST, the triggers run $DEFAULT: the adapter always names one."""
    _invoker(fake).invoke_async("jobs_worker", {"kind": "kick"})
    assert fake.wait_idle(timeout=5)
    assert [r["qualifier"] for r in fake.invocations()] == ["$DEFAULT"]
    with pytest.raises(InvokeError) as refused:
        _invoker(fake, qualifier="v999").invoke_async("jobs_worker", {"kind": "kick"})
    assert refused.value.code == "ResourceNotFound.Qualifier"


def test_a_temporary_key_without_its_session_token_is_refused(fake: FakeScf) -> None:
    with pytest.raises(InvokeError) as refused:
        _invoker(fake, token=None).invoke_async("jobs_worker", {"kind": "kick"})
    assert refused.value.code == "AuthFailure.TokenFailure"
    assert fake.invocations() == []


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    code = "import sys, shared.adapters.scf; print(any(m.startswith('tencentcloud') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"
