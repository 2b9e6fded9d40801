# CodeLink — every command a developer needs. `make dev` runs the platform, `make test` runs the tests; both set up
# everything on a fresh machine (only Python 3.10+ needed).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test test-fast lint typecheck invoke demo migrate package deploy-check deploy-migrate smoke bench admin \
	openapi events-doc ledger-check clean fonts

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## The growth-report fonts (build/fonts, generated from Debian's fonts-noto-cjk and fonts-dejavu-core; see
## docs/REPORTS.md). Quick when up to date; ~45 s the first time. poppler-utils reads PDFs back in the tests.
FONT_PACKAGES := fonts-noto-cjk fonts-dejavu-core poppler-utils
fonts: $(STAMP)
	@bash infra/setup/ensure-apt.sh $(FONT_PACKAGES)
	$(PY) -m infra.fonts

## Run the whole platform locally: PostgreSQL, fakes, functions behind http://127.0.0.1:9000, timers, jobs, demo data.
dev: $(STAMP)
	$(PY) -m infra.local.dev

## All tests (unit, integration, e2e) plus lint and type-check (Python 3.10 target). CI runs this.
test: $(STAMP) fonts
	$(PY) -m ruff check .
	$(PY) -m mypy shared functions infra
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP) fonts
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

## Build what serverless.yml deploys: build/code.zip and build/layers/*.zip (cp310 manylinux wheels, bytecode);
## prints each layer's size against the limit and fails above the 45 MiB budget.
package: $(STAMP) fonts
	$(PY) -m infra.package

## Verify offline what can be: manifests <-> code, layers, production settings (this shell's, or ENV_FILE=prod.env).
deploy-check: $(STAMP)
	$(PY) -m infra.deploy.check $(if $(ENV_FILE),--env-file $(ENV_FILE))

## Apply pending migrations in the cloud through the `migrate` function (deployer credentials; docs/DEPLOY.md).
deploy-migrate: $(STAMP)
	$(PY) -m infra.deploy.remote migrate

## After a deploy: every function through the custom domain (PUBLIC_BASE_URL) and its Function URL (URLS="auth=https://...").
smoke: $(STAMP)
	$(PY) -m infra.deploy.smoke $(foreach u,$(URLS),--url $(u)) $(SMOKE_ARGS)

## Benchmarks (seeds 1,000,000 tasks once); results go to docs/BENCHMARKS.md.
bench: $(STAMP) fonts
	$(PY) -m bench.run

## Give a user the admin role: make admin PHONE=13800000000
admin: $(STAMP)
	$(PY) -m infra.admin_cli $(PHONE)

## Regenerate docs/openapi.json from the route definitions.
openapi: $(STAMP)
	$(PY) -m shared.http.openapi > docs/openapi.json

## Regenerate the table of events and subscribers in docs/ARCHITECTURE.md from shared/subscriptions.py.
events-doc: $(STAMP)
	$(PY) -m shared.events doc

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

## Verify every ledger invariant and print the totals.
ledger-check: $(STAMP)
	$(PY) -m shared.ledger.check
