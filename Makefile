# CodeLink — every command a developer needs. `make dev` runs the platform, `make test` runs the tests; both set up
# everything on a fresh machine (Python 3.10+ and Node 20 from the machine; Python packages from requirements*.txt,
# npm packages from miniprogram/package-lock.json, Chromium and CJK fonts from Debian).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test test-fast lint invoke demo migrate package deploy-check deploy-migrate smoke bench admin \
	openapi fuzz events-doc ledger-check clean fonts miniprogram miniprogram-test miniprogram-api

# --- the mini-program (miniprogram/: Taro 4, weapp + h5) ---
NPM_STAMP := miniprogram/node_modules/.installed
# Everything a build reads; src/api/schema.d.ts is generated from docs/openapi.json by the build itself.
MINI_SOURCES := $(shell find miniprogram/src miniprogram/config -type f ! -name schema.d.ts 2>/dev/null) \
	miniprogram/package.json miniprogram/babel.config.js miniprogram/tsconfig.json miniprogram/project.config.json \
	docs/openapi.json
H5_BUILD := miniprogram/dist/h5/index.html
WEAPP_BUILD := miniprogram/dist/weapp/app.json
# The weapp build has the gateway's port in it: rebuild it when CODELINK_PORT_BASE changes (the file changes only then).
WEAPP_ENV := build/miniprogram-weapp.env
$(shell mkdir -p build; echo "CODELINK_PORT_BASE=$(CODELINK_PORT_BASE)" | cmp -s - $(WEAPP_ENV) \
	|| echo "CODELINK_PORT_BASE=$(CODELINK_PORT_BASE)" > $(WEAPP_ENV))

$(NPM_STAMP): miniprogram/package-lock.json miniprogram/package.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Development builds: login, payment and transfer confirmation go through the local fakes' controls. The H5 build
# calls the API on its own origin (/api, see infra/local/h5.py); the weapp build calls the local gateway on
# CODELINK_PORT_BASE (WeChat DevTools: 不校验合法域名).
$(H5_BUILD): $(NPM_STAMP) $(MINI_SOURCES)
	@mkdir -p build
	@echo "building the mini-program (h5; log: build/miniprogram-h5.log)"
	@cd miniprogram && CODELINK_DEV_CONTROLS=1 npm run -s build:h5 > ../build/miniprogram-h5.log 2>&1 \
		|| (tail -n 40 ../build/miniprogram-h5.log; exit 1)
	@test -f $@

$(WEAPP_BUILD): $(NPM_STAMP) $(MINI_SOURCES) $(WEAPP_ENV)
	@mkdir -p build
	@echo "building the mini-program (weapp; log: build/miniprogram-weapp.log)"
	@cd miniprogram && CODELINK_DEV_CONTROLS=1 npm run -s build:weapp > ../build/miniprogram-weapp.log 2>&1 \
		|| (tail -n 40 ../build/miniprogram-weapp.log; exit 1)
	@test -f $@

## Build the mini-program for both targets: miniprogram/dist/h5 and miniprogram/dist/weapp (open it in WeChat DevTools).
miniprogram: $(H5_BUILD) $(WEAPP_BUILD)

## Regenerate the client's API types from docs/openapi.json.
miniprogram-api: $(NPM_STAMP)
	cd miniprogram && npm run -s api

## The client's own checks: type-check against docs/openapi.json, vitest unit tests, both builds compiling, and what
## the browser story (tests/e2e/test_miniprogram.py) needs from Debian.
miniprogram-test: miniprogram
	bash infra/setup/ensure-apt.sh chromium fonts-noto-cjk
	cd miniprogram && npm run -s typecheck && npx vitest run

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
dev: $(STAMP) $(H5_BUILD)
	$(PY) -m infra.local.dev

## All tests (unit, integration, e2e incl. the mini-program in Chromium) plus lint and type-checks. CI runs this.
test: $(STAMP) fonts miniprogram-test
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

## Fuzz the running platform from its OpenAPI document (schemathesis; every operation, as developer, merchant and
## admin). Starts its own platform on CODELINK_PORT_BASE's ports: FUZZ_ARGS="--ephemeral --max-examples 100 --seed 1".
fuzz: $(STAMP)
	$(PY) -m infra.local.fuzz $(FUZZ_ARGS)

## Regenerate docs/openapi.json from the route definitions.
openapi: $(STAMP)
	$(PY) -m shared.http.openapi > docs/openapi.json

## Regenerate the table of events and subscribers in docs/ARCHITECTURE.md from shared/subscriptions.py.
events-doc: $(STAMP)
	$(PY) -m shared.events doc

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache miniprogram/dist

## Verify every ledger invariant and print the totals.
ledger-check: $(STAMP)
	$(PY) -m shared.ledger.check
