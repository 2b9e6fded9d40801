# CodeLink — every command a developer needs. `make dev` runs the platform, `make test` runs the tests; both set up
# everything on a fresh machine (only Python 3.10+ needed).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test test-fast lint typecheck invoke demo migrate package bench admin openapi fuzz ledger-check clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## Run the whole platform locally: PostgreSQL, fakes, functions behind http://127.0.0.1:9000, timers, jobs, demo data.
dev: $(STAMP)
	$(PY) -m infra.local.dev

## All tests (unit, integration, e2e) plus lint and type-check (Python 3.10 target). CI runs this.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy shared functions infra
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q tests/unit

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy shared functions infra

## Run one function on one event: make invoke FN=timers EVENT=events/timers.feedback_guarantee.json
invoke: $(STAMP)
	$(PY) -m infra.local.invoke $(FN) $(EVENT)

## Play the whole story over HTTP against the local gateway (starts it if needed).
demo: $(STAMP)
	$(PY) -m infra.local.demo

migrate: $(STAMP)
	$(PY) -m infra.migrate

## Build what serverless.yml deploys: build/code.zip and build/layer.zip (cp310 manylinux wheels).
package: $(STAMP)
	$(PY) -m infra.package

## Benchmarks (seeds 1,000,000 tasks once); results go to docs/BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m bench.run

## Give a user the admin role: make admin PHONE=13800000000
admin: $(STAMP)
	$(PY) -m infra.admin_cli $(PHONE)

## Fuzz the running platform from its OpenAPI document (schemathesis; every operation, as developer, merchant and
## admin). Starts its own platform on CODELINK_PORT_BASE's ports: FUZZ_ARGS="--ephemeral --max-examples 100 --seed 1".
fuzz: $(STAMP)
	$(PY) -m infra.local.fuzz $(FUZZ_ARGS)

## Regenerate docs/openapi.json from the route definitions.
openapi: $(STAMP)
	$(PY) -m shared.http.openapi > docs/openapi.json

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

## Verify every ledger invariant and print the totals.
ledger-check: $(STAMP)
	$(PY) -m shared.ledger.check
