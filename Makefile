# Panggung: `make run` starts a room server with a live demo room,
# `make test` sets everything up and runs lint, type checks and the tests.
# Both install what is missing first (Debian packages, .venv) and skip that
# when nothing changed.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(VENV)/bin
# Two workers: the machines this runs on have two cores.
PYTEST_ARGS ?= -n 2

.PHONY: help setup setup-run run lint typecheck test bench clean distclean

help:
	@echo "make run        set up, then start panggung-server with a live demo room"
	@echo "make test       set up, then lint, typecheck and run the tests"
	@echo "make setup      install missing Debian packages (as root or with sudo) and the .venv"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make typecheck  mypy (strict, configured in pyproject.toml)"
	@echo "make bench      run the benchmarks (panggung-bench all)"
	@echo "make clean      remove caches and build output (keeps .venv)"
	@echo "make distclean  clean, and remove .venv too"

# Everything a developer needs, tests included.
setup:
	@scripts/ensure-system.sh test
	@scripts/ensure-venv.sh

# Only what running the app needs.
setup-run:
	@scripts/ensure-system.sh run
	@scripts/ensure-venv.sh

run: setup-run
	$(BIN)/panggung-server --demo

lint: setup
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests

typecheck: setup
	$(BIN)/mypy

# pytest exits 5 when it collected no tests; that is a failure here too.
test: setup lint typecheck
	@rc=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [[ $$rc -eq 5 ]]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

bench: setup
	$(BIN)/panggung-bench --write docs/benchmarks.md all

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist ./*.egg-info
	find app tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
