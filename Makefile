# zuofeng — `make help` lists the targets. `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help setup demo test docs lab bench lint clean

help: ## List the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (done by demo and test)

demo: $(STAMP) ## Run a whole round on synthetic data and render its reports
	$(VENV)/bin/zuofeng demo

test: $(STAMP) ## Run every test (browser and PostgreSQL tests too when CI=true)
	$(PY) -m pytest

DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP) requirements-docs.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-docs.lock
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP) ## Build the documentation site into build/site (warnings and broken links are errors)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# JupyterLab refuses root without --allow-root (containers often run as root); LAB_ARGS adds options.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP) ## Open JupyterLab on the project, at notebooks/ (as root too)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT) $(LAB_ARGS)

bench: $(STAMP) ## Run the benchmarks in bench/
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: $(STAMP) ## ruff
	$(VENV)/bin/ruff check zuofeng tests bench

clean: ## Remove .venv and caches (keeps data/ and reports/)
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
