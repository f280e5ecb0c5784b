# transferwatch: `make run` sets everything up and runs the service; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run demo lint test test-fault bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/transferwatch run

demo: install
	$(BIN)/transferwatch demo

lint: install
	$(BIN)/ruff check
	$(BIN)/mypy

test: install
	$(BIN)/python -m pytest

test-fault: install
	$(BIN)/python -m pytest -m fault

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .transferwatch .pytest_cache .mypy_cache .ruff_cache
