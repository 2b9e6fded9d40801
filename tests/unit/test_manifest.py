"""serverless.yml agrees with the code: functions, handlers, Function URLs, timers and their schedules."""

from __future__ import annotations

import copy
import importlib
import itertools
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from infra.local.manifest import DEFAULT_PATH, MIGRATE_PATH, ROOT, ManifestError, load_manifest, parse_manifest

FUNCTIONS_DIR = ROOT / "functions"
HTTP = {"auth", "profiles", "tasks", "applications", "work", "notifications", "admin", "payments", "payouts",
        "billing", "disputes", "growth", "leaderboards", "community", "mentors", "challenges", "checkin", "lottery"}
NOT_HTTP = {"jobs_worker", "timers"}
EXPECTED_TIMERS = {
    "jobs_worker": {"jobs_sweep"},
    "timers": {
        "feedback_guarantee",
        "auto_accept",
        "task_expiry",
        "payments_reconcile",
        "orders_poll",
        "payouts_sweep",
        "memberships",
        "growth_levels",
        "badges_nightly",
        "badges_digest",
        "leaderboard_snapshots",
        "challenges",
        "lottery",
    },
}


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


def function_dirs() -> set[str]:
    return {p.parent.name for p in FUNCTIONS_DIR.glob("*/index.py")}


def test_every_function_module_is_declared_and_every_declared_function_exists(manifest) -> None:
    on_disk = function_dirs()
    migrate = load_manifest(MIGRATE_PATH)
    assert set(migrate.functions) == {"migrate"} and not migrate.function("migrate").http
    assert not migrate.timers  # runs only when the deployer invokes it
    declared = set(manifest.functions) | set(migrate.functions)
    assert on_disk - declared == set(), "functions/<name>/index.py not declared in serverless.yml"
    assert declared - on_disk == set(), "declared in serverless.yml but functions/<name>/index.py is missing"


def test_function_set_and_http_flags(manifest) -> None:
    assert set(manifest.functions) == HTTP | NOT_HTTP
    assert set(manifest.http_functions) == HTTP


@pytest.mark.parametrize("name", sorted(HTTP | NOT_HTTP))
def test_timer_names_equal_module_timers(manifest, name: str) -> None:
    module = importlib.import_module(f"functions.{name}.index")
    declared = {t.name for t in manifest.function(name).timers}
    exported = set(getattr(module, "TIMERS", {}))
    assert declared == exported, f"{name}: serverless.yml timers {declared} != TIMERS keys {exported}"
    assert callable(module.main_handler)
    for handler in getattr(module, "TIMERS", {}).values():
        assert callable(handler)


def test_expected_timers(manifest) -> None:
    got = {name: {t.name for t in spec.timers} for name, spec in manifest.functions.items() if spec.timers}
    assert got == EXPECTED_TIMERS
    assert all(t.enabled for t in manifest.timers)


def _gaps(cron, start: datetime, count: int) -> set[timedelta]:
    times, t = [], start
    for _ in range(count):
        t = cron.next_after(t)
        times.append(t)
    return {b - a for a, b in itertools.pairwise(times)}


@pytest.mark.parametrize(
    ("trigger", "period"),
    [
        ("jobs_sweep", timedelta(minutes=1)),
        ("feedback_guarantee", timedelta(minutes=1)),
        ("auto_accept", timedelta(minutes=10)),
        ("task_expiry", timedelta(minutes=5)),
        ("orders_poll", timedelta(minutes=2)),
        ("payouts_sweep", timedelta(minutes=10)),
        ("memberships", timedelta(hours=1)),
        ("growth_levels", timedelta(days=1)),
        ("badges_nightly", timedelta(days=1)),
        ("badges_digest", timedelta(minutes=1)),
        ("leaderboard_snapshots", timedelta(minutes=4)),
    ],
)
def test_schedules_have_the_asked_period(manifest, trigger: str, period: timedelta) -> None:
    (timer,) = [t for t in manifest.timers if t.name == trigger]
    assert _gaps(timer.expression, datetime(2025, 1, 1), 30) == {period}


def test_payments_reconcile_runs_hourly_from_ten_to_twenty_three_beijing_time(manifest) -> None:
    """The bills are ready from about 10:00; while WeChat Pay says STATEMENT_CREATING the next hour tries again."""
    (timer,) = [t for t in manifest.timers if t.name == "payments_reconcile"]
    runs, t = [], datetime(2025, 1, 1)
    for _ in range(15):
        t = timer.expression.next_after(t)
        runs.append(t)
    assert [r.hour for r in runs[:14]] == list(range(10, 24)) and runs[14] == datetime(2025, 1, 2, 10)


def test_handlers_runtime_and_limits(manifest) -> None:
    assert manifest.runtime == "Python3.10"
    for name, spec in manifest.functions.items():
        assert spec.handler == f"scf_{name}.main_handler"
        assert spec.module == f"functions.{name}.index"
        # SCF: memory 64 MB or 128-3072 MB in steps of 128; timeout 1-900 s [583/11637].
        assert spec.memory_size == 64 or (spec.memory_size % 128 == 0 and 128 <= spec.memory_size <= 3072)
        assert 1 <= spec.timeout <= 900
    assert manifest.function("payments").timeout <= 10  # WeChat Pay wants the webhook answered within 5 s


def test_function_names_equal_keys_and_namespace_comes_from_settings(manifest) -> None:
    # shared/jobs.py invokes the worker as "jobs_worker" in Settings.scf_namespace: the deployed names must match.
    for name, spec in manifest.functions.items():
        assert spec.deployed_name == name
    document = yaml.safe_load(Path(DEFAULT_PATH).read_text(encoding="utf-8"))
    assert document["inputs"]["namespace"] == "${env:FUNCTIONS_NAMESPACE}"
    env = {item["key"]: item["value"] for item in document["inputs"]["functions"]["jobs_worker"]["environments"]}
    assert env["FUNCTIONS_NAMESPACE"] == "${env:FUNCTIONS_NAMESPACE}"


def test_environment_names_are_settings_and_values_come_from_env() -> None:
    from shared.config import RESERVED_PREFIXES, Settings

    for path in (DEFAULT_PATH, MIGRATE_PATH):
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        fields = set(Settings.model_fields)
        for name, body in document["inputs"]["functions"].items():
            assert "environment" not in body, f"{name}: multi-scf reads `environments` and overwrites `environment`"
            for item in body["environments"]:
                assert item["key"].lower() in fields, f"{name}: {item['key']} is not a Settings field"
                assert item["value"] == f"${{env:{item['key']}}}", f"{name}: {item['key']} must come from ${{env:...}}"
                assert not item["key"].startswith(RESERVED_PREFIXES), f"{name}: {item['key']} is reserved by SCF"


def test_rejects_environment_instead_of_environments(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["functions"]["auth"]["environment"] = {"variables": {"A": "b"}}
    with pytest.raises(ManifestError, match="environments"):
        parse_manifest(doc)


# --- the parser's own checks ---


@pytest.fixture
def document() -> dict:
    return yaml.safe_load(Path(DEFAULT_PATH).read_text(encoding="utf-8"))


def test_rejects_trigger_for_unknown_function(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["triggers"].append({"type": "timer", "function": "nope", "parameters": {"name": "x"}})
    with pytest.raises(ManifestError, match="nope"):
        parse_manifest(doc)


def test_rejects_bad_cron(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["triggers"].append(
        {"type": "timer", "function": "timers", "parameters": {"name": "bad", "cronExpression": "*/5 * * * *"}}
    )
    with pytest.raises(ManifestError, match="7 fields"):
        parse_manifest(doc)


def test_rejects_duplicate_timer_names(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["triggers"].append(
        {
            "type": "timer",
            "function": "timers",
            "parameters": {"name": "memberships", "cronExpression": "0 * * * * * *"},
        }
    )
    with pytest.raises(ManifestError, match="duplicate"):
        parse_manifest(doc)


def test_rejects_handler_outside_the_entry_convention(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["functions"]["auth"]["handler"] = "functions/auth/index.main_handler"
    with pytest.raises(ManifestError, match=r"scf_auth\.main_handler"):
        parse_manifest(doc)


def test_rejects_other_components() -> None:
    with pytest.raises(ManifestError):
        parse_manifest({"component": "scf", "inputs": {}})


def test_rejects_duplicate_yaml_keys(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "component: multi-scf\n"
        "inputs:\n"
        "  functions:\n"
        "    auth: {handler: scf_auth.main_handler}\n"
        "    auth: {handler: scf_auth.main_handler}\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError, match="duplicate key 'auth'"):
        load_manifest(path)


def test_rejects_two_function_urls_for_one_function(document) -> None:
    doc = copy.deepcopy(document)
    doc["inputs"]["triggers"].append({"type": "http", "function": "auth", "parameters": {"name": "url2"}})
    with pytest.raises(ManifestError, match="already has a Function URL"):
        parse_manifest(doc)
