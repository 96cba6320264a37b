# Backprop Lab: `make run` serves the app, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-py test-js lint models bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python -m app --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check engine app tests benchmarks scripts
	$(BIN)/mypy engine app
	node --test tests/js/
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check engine app tests benchmarks scripts
	$(BIN)/mypy engine app

models: $(VENV)/.installed
	$(BIN)/python scripts/make_models.py

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
