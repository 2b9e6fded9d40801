"""What an operator relies on around the functions, against the real platform: one JSON log line per request, job and
timer run with the SCF request id; CORS for the configured origins; the health check and the smoke test over the
local gateway (the shape of the custom domain); migrations run remotely through the `migrate` function."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from infra.local.manifest import load_manifest
from shared import logs
from tests.support.api import call, function_url_event

ADMIN_ORIGIN = "https://admin.codelink-tech.cn"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """JSON lines of every `codelink.*` record, as CLS would receive them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("codelink")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    scratch = logging.getLogger("codelink-test-scratch")
    logs.configure("INFO", "text", scratch)  # installs the record factory (scope capture); the logger is a scratch one
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(saved)
    for extra in list(scratch.handlers):
        scratch.removeHandler(extra)


def parsed(stream: io.StringIO, **match: object) -> list[dict]:
    out = []
    for line in stream.getvalue().splitlines():
        record = json.loads(line)
        if all(record.get(k) == v for k, v in match.items()):
            out.append(record)
    return out


@pytest.fixture
def cors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from shared.config import reset_settings

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", f"{ADMIN_ORIGIN},https://ops.codelink-tech.cn")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_one_request_line_with_the_scf_request_id_route_and_user(world, log_lines) -> None:
    from functions.tasks.index import main_handler

    merchant = world.merchant()
    task = world.open_task(merchant)
    event = function_url_event("GET", f"/tasks/{task['id']}", token=merchant.token)
    answer = main_handler(event, {"request_id": "scf-req-42", "function_name": "tasks"})
    assert answer["statusCode"] == 200
    [line] = parsed(log_lines, event="request", request_id="scf-req-42")
    assert line["function"] == "tasks" and line["route"] == "/tasks/{task_id}" and line["status"] == 200
    assert line["user_id"] == merchant.user_id and line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["path"] == f"/tasks/{task['id']}"


def test_a_refused_request_is_logged_with_its_status(log_lines) -> None:
    from functions.tasks.index import main_handler

    answer = main_handler(function_url_event("POST", "/tasks", {"title": "x"}), {"request_id": "scf-req-43"})
    assert answer["statusCode"] == 401
    [line] = parsed(log_lines, event="request", request_id="scf-req-43")
    assert (line["route"], line["status"], line["level"]) == ("/tasks", 401, "INFO") and "user_id" not in line


def test_one_line_per_timer_run(db, log_lines) -> None:
    from functions.timers.index import main_handler

    answer = main_handler({"Type": "Timer", "TriggerName": "task_expiry"}, {"request_id": "scf-timer-1"})
    assert answer["ok"] is True
    [line] = parsed(log_lines, event="run", request_id="scf-timer-1")
    assert line["run"] == "timer.task_expiry" and line["ok"] is True and "duration_ms" in line


def test_one_line_per_job_and_failures_carry_the_exception(db, log_lines) -> None:
    from shared import jobs
    from shared.uow import run

    def explode(payload: dict) -> None:
        raise ConnectionError(f"WeChat unreachable for {payload['n']}")

    jobs.register_handler("test_ok", lambda payload: None)
    jobs.register_handler("test_explode", explode)
    run(lambda uow: (uow.enqueue("test_ok", {"n": 1}), uow.enqueue("test_explode", {"n": 2})))
    from functions.jobs_worker.index import main_handler

    assert main_handler({"kind": "kick"}, {"request_id": "scf-kick-1"})["ok"] is True
    done = parsed(log_lines, event="job", kind="test_ok")
    failed = parsed(log_lines, event="job", kind="test_explode")
    assert [r["outcome"] for r in done] == ["done"] and done[0]["request_id"] == "scf-kick-1"
    assert [r["outcome"] for r in failed] == ["retry"] and failed[0]["attempt"] == 1
    assert failed[0]["error"]["type"] == "ConnectionError" and "unreachable for 2" in failed[0]["error"]["message"]
    [summary] = parsed(log_lines, event="run", request_id="scf-kick-1")
    assert summary["run"] == "jobs_worker.kick" and summary["result"] == {"done": 1, "retried": 1, "failed": 0}


# --- CORS ---


def test_cors_preflight_from_an_allowed_origin(platform, cors) -> None:
    r = call("OPTIONS", "/tasks", headers={"Origin": ADMIN_ORIGIN, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == ADMIN_ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"]
    assert r.headers["vary"] == "Origin"


def test_cors_preflight_from_another_origin_is_refused(platform, cors) -> None:
    r = call("OPTIONS", "/tasks", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status == 403 and r["code"] == "CORS_ORIGIN_REFUSED"
    assert "access-control-allow-origin" not in r.headers


def test_answers_carry_the_allowed_origin_only(db, platform, cors) -> None:
    allowed = call("GET", "/tasks", headers={"Origin": ADMIN_ORIGIN})
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == ADMIN_ORIGIN
    other = call("GET", "/tasks", headers={"Origin": "https://evil.example"})
    assert other.status == 200 and "access-control-allow-origin" not in other.headers
    plain = call("GET", "/tasks")  # the mini-program sends no Origin
    assert "access-control-allow-origin" not in plain.headers


def test_without_configured_origins_there_is_no_cors(platform) -> None:
    r = call("OPTIONS", "/tasks", headers={"Origin": ADMIN_ORIGIN, "Access-Control-Request-Method": "GET"})
    assert r.status == 403


# --- health, smoke, remote migration ---


def test_every_function_answers_its_health_check_through_the_gateway(platform) -> None:
    from infra.deploy.smoke import run

    results = run(platform.gateway.base_url, {}, None, invoke=False)
    assert len(results) == len(load_manifest().http_functions)
    assert all(r.ok for r in results), [r for r in results if not r.ok]


def test_the_smoke_test_checks_cors_and_notices_an_unmigrated_schema(platform, cors, monkeypatch) -> None:
    from infra.deploy import smoke

    results = smoke.run(platform.gateway.base_url, {}, ADMIN_ORIGIN, invoke=False)
    assert all(r.ok for r in results) and any(r.target.startswith("OPTIONS") for r in results)
    later = [*smoke.migration_files(), smoke.migration_files()[-1].with_name("9999_future.sql")]
    monkeypatch.setattr(smoke, "migration_files", lambda: later)
    failed = [r for r in smoke.run(platform.gateway.base_url, {}, None, invoke=False) if not r.ok]
    assert len(failed) == len(load_manifest().http_functions) and "run make deploy-migrate" in failed[0].detail


def test_the_smoke_test_notices_a_function_behind_the_wrong_route(platform) -> None:
    from infra.deploy.smoke import check_health

    result = check_health(platform.gateway.base_url + "/tasks", "_health", None)  # /tasks/_health/_health
    assert not result.ok


def test_migrations_run_remotely_through_the_migrate_function(platform) -> None:
    from infra.deploy.remote import Remote, migrate
    from infra.local.platform import DEV_SECRET_ID, DEV_SECRET_KEY, DEV_SESSION_TOKEN
    from infra.migrate import migration_files
    from shared.adapters.tencent import StaticCredential

    scf = platform.fakes["scf"]
    remote = Remote(StaticCredential((DEV_SECRET_ID, DEV_SECRET_KEY, DEV_SESSION_TOKEN)), region="ap-guangzhou",
                    namespace="default", endpoint=f"127.0.0.1:{scf.port}", protocol="http")
    state = migrate(remote)
    names = [p.name for p in migration_files()]
    assert state["ok"] is True and state["pending"] == [] and state["applied_now"] == []
    assert state["applied"] == names and state["head"] == names[-1] and state["running"] is False
    status = remote.invoke("migrate", {"action": "status"})
    assert status["pending"] == [] and "applied_now" not in status
    [invocation, _] = scf.invocations("migrate")
    assert invocation["qualifier"] == "$LATEST" and invocation["invocation_type"] == "RequestResponse"
    assert remote.invoke("migrate", {"action": "drop everything"})["ok"] is False
