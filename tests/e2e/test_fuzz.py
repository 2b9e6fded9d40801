"""The short `make fuzz` (infra/local/fuzz.py) that CI runs: schemathesis against the gateway from /openapi.json, every
operation, as a developer, a merchant and an admin with real tokens, a few examples per operation (examples and
fuzzing phases, positive and negative data). Zero 5xx, zero undeclared statuses, bodies as documented.
`make fuzz` runs the full version (with the coverage phase and more examples)."""

from __future__ import annotations

import pytest

from infra.local.fuzz import ROLES, fuzz, prepare

pytestmark = pytest.mark.e2e


def test_the_fuzzer_finds_nothing(client, platform):
    world = prepare(client)
    assert all(world.known[name] for name in ("task_id", "application_id", "dispute_id", "payout_id", "skill"))
    report = fuzz(platform.gateway.base_url, world, max_examples=3, seed=20261125, phases=("examples", "fuzzing"))
    problems = [f"{run.role}: {failure}" for run in report.runs for failure in run.failures]
    crashed = [f"{run.role}: exit {run.returncode}\n{run.output[-5000:]}" for run in report.runs
               if run.returncode and not run.failures]
    assert not problems and not crashed, "\n".join(problems + crashed)
    assert [run.role for run in report.runs] == list(ROLES)
    assert all(run.operations >= 78 and run.cases > run.operations for run in report.runs), report.summary()
