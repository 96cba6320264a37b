# Backprop Lab: `make run` serves the app, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LOG := $(VENV)/install.log

# run a set-up step quietly: its output goes to .venv/install.log, printed only if it fails
quietly = $(1) > $(LOG) 2>&1 || { cat $(LOG); echo "failed: $(1) (log: $(LOG))"; exit 1; }

.PHONY: run test test-py test-js lint models bench clean

$(BIN)/python:
	@echo "Creating the virtual environment .venv"
	@$(PY) -m venv $(VENV)
	@$(call quietly,$(BIN)/python -m pip install --upgrade pip)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing Backprop Lab and what it needs into .venv (log: $(LOG))"
	@$(call quietly,$(BIN)/python -m pip install -e .)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "Installing Backprop Lab and what its tests need into .venv (log: $(LOG))"
	@$(call quietly,$(BIN)/python -m pip install -e '.[test]')
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python -m app --host $(HOST) --port $(PORT)

# quiet when green: lint prints only problems, node prints dots, pytest dots and a summary
# (warnings counted there; `.venv/bin/python -m pytest` lists them); failures print in full
test: lint test-js test-py

lint: $(VENV)/.installed-test
	@$(BIN)/ruff check --quiet engine app tests benchmarks scripts
	@$(BIN)/mypy --no-error-summary engine app
	@echo "lint: ruff and mypy found no problems"

test-js:
	@node --test --test-reporter=dot tests/js/

test-py: $(VENV)/.installed-test
	@$(BIN)/python -m pytest -q --disable-warnings

models: $(VENV)/.installed
	$(BIN)/python scripts/make_models.py

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
