# Two commands for a fresh clone: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

WEB    := web
WEB_STAMP := $(WEB)/node_modules/.installed

.PHONY: run demo test lint format bench synth clean venv system web

## system: the system packages the suite needs, installed with apt when missing (checked on
## every run, not only when the venv is built): Node.js for the web app's build and the AWS
## CDK's bindings, LibreOffice (headless) to re-save the pre-filled template as another office
## suite would, Chromium and a Chinese font for the browser tests
system:
	@command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	@command -v soffice >/dev/null || (apt-get update -qq && apt-get install -y -qq libreoffice-calc-nogui)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || (apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei)

# The CDK's jsii runtime runs on Node.js; it warns about Node 20's end of life on every call
# (the variable lists the major versions whose warning is silenced).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

venv: $(STAMP)

# The virtual environment is built from the project's own files and rebuilt when they change.
$(STAMP): pyproject.toml | system
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	# Byte-compiled on every core (pip compiles one file after another: ~1 min of a fresh
	# setup). A file that does not compile is left to Python, as pip leaves it.
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $(STAMP)

# The web app's packages, from its lockfile (again whenever the lockfile changes).
$(WEB_STAMP): $(WEB)/package-lock.json | system
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

## web: the web app built into web/dist: its API client typed from the API's OpenAPI document
## (an API change that breaks a page fails here), type-checked, bundled
web: $(STAMP) $(WEB_STAMP)
	$(BIN)/growth openapi --out $(WEB)/src/api/openapi.json
	cd $(WEB) && npm run build

## run: set up .venv, build the web app and run the whole system locally (moto as AWS, the web
## app and the API on http://127.0.0.1:8000, the function runner, a generated demo district);
## Ctrl-C stops it
run: $(STAMP) web
	$(BIN)/growth local

## demo: the upload pipeline's story with nobody at the keyboard: start the platform, set a
## task, upload good, partly bad and hostile files over HTTP, print each outcome and the lake's
## rows, stop; exits 0 only if every outcome is the expected one
demo: $(STAMP)
	$(BIN)/growth local demo

## test: set up .venv, lint, type-check, build the web app and run every test: the web app's
## unit tests (vitest), then the Python suite with the browser tests (Playwright, Chromium)
test: system $(STAMP) lint web
	cd $(WEB) && npm test
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

## lint: ruff (lint + format check) and mypy (strict)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: throughput beside the raw parsers and peer validators, XLSX beside a bare calamine
## read (goal ≤ 1.5×), cold starts, and the validation function's time and memory per upload
## on the local platform and its own CPU and AWS requests per row, the progress function's
## cost per school, the statistics of a district-year recomputed and one class's update (slow;
## not part of test)
bench: $(STAMP) web
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.bench_validation
	$(BIN)/python -m benchmarks.bench_xlsx
	$(BIN)/python -m benchmarks.bench_wide
	$(BIN)/python -m benchmarks.bench_web
	$(BIN)/python -m benchmarks.bench_imports
	$(BIN)/python -m benchmarks.bench_pipeline
	$(BIN)/python -m benchmarks.bench_rows
	$(BIN)/python -m benchmarks.bench_progress
	$(BIN)/python -m benchmarks.bench_statistics
	$(BIN)/python -m benchmarks.bench_materials

## synth: the CloudFormation templates of the reference stages into cdk.out/, offline (no AWS
## account): builds the Lambda layers for arm64 from PyPI, prints each function's package size,
## runs cdk-nag and CloudFormation validation, then cfn-lint on the templates
synth: $(STAMP)
	$(BIN)/python -m infrastructure.packaging
	rm -rf cdk.out
	$(BIN)/python -m infrastructure.app --reference
	$(BIN)/cfn-lint cdk.out/*.template.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build cdk.out *.egg-info \
		$(WEB)/node_modules $(WEB)/dist
