# Panggung: `make run` opens the app hosting a live demo room,
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

.PHONY: help setup setup-run lock upgrade run cluster lint typecheck test soak bench package translations screenshots clean distclean

help:
	@echo "make run        set up, then open the app hosting a live demo room (no display: the server alone)"
	@echo "make test       set up, then lint, typecheck and run the tests"
	@echo "make cluster    Redis, PostgreSQL and three server nodes on loopback, with the demo room"
	@echo "make setup      install missing Debian packages (as root or with sudo) and the .venv (from uv.lock)"
	@echo "make lock       update uv.lock after editing pyproject.toml (keeps every other version)"
	@echo "make upgrade    move uv.lock to the newest versions pyproject.toml allows, then run make test"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make typecheck  mypy (strict, configured in pyproject.toml)"
	@echo "make soak       the real app and server soak tests, for an hour (SOAK_SECONDS=...)"
	@echo "make bench      run the benchmarks (panggung-bench all)"
	@echo "make package    build the desktop app's package for this OS into dist/"
	@echo "make translations  refresh resources/translations/*.ts from app/ui and compile the .qm"
	@echo "make screenshots   render the app's screens into docs/screenshots/ (Xvfb + trayer + PulseAudio)"
	@echo "make clean      remove caches and build output (keeps .venv)"
	@echo "make distclean  clean, and remove .venv too"

# Everything a developer needs, tests included.
setup:
	@scripts/ensure-system.sh test
	@scripts/ensure-venv.sh
	@scripts/ensure-web.sh

# The lock: every install path (make run, make test, make package, CI) syncs
# .venv from uv.lock. `make lock` re-resolves only what pyproject.toml's edit
# requires; `make upgrade` takes the newest allowed versions and runs the whole
# suite on them, so a new lock is committed only once it has passed.
UV := .tools/bin/uv
lock:
	@scripts/ensure-venv.sh --uv
	$(UV) lock
upgrade:
	@scripts/ensure-venv.sh
	$(UV) lock --upgrade
	@$(MAKE) test
	@echo "make upgrade: the suite passed on the new uv.lock; review 'git diff uv.lock' and commit it"

# Only what running the app needs.
setup-run:
	@scripts/ensure-system.sh run
	@scripts/ensure-venv.sh
	@scripts/ensure-web.sh --optional

# The desktop app hosting on this computer (the demo room's bots talking);
# without a display, the room server alone, printing how to join its demo room.
run: setup-run
	@if [[ -n "$${DISPLAY:-}" || -n "$${WAYLAND_DISPLAY:-}" ]]; then \
	  exec $(BIN)/panggung; \
	else \
	  echo "make run: no display (\$$DISPLAY and \$$WAYLAND_DISPLAY unset): starting the server alone" >&2; \
	  exec $(BIN)/panggung-server --demo; \
	fi

# A local cluster (docs/cluster.md): Redis, PostgreSQL, three nodes, the demo room.
cluster: setup
	@$(BIN)/python scripts/cluster.py

lint: setup
	$(BIN)/ruff check app tests packaging scripts
	$(BIN)/ruff format --check app tests packaging scripts

typecheck: setup
	$(BIN)/mypy

# Three pytest sessions (scripts/run-tests.sh): the soak tests in the
# background beside the others, everything but the Qt tests, and the Qt tests
# in their own processes.
test: setup lint typecheck
	@scripts/run-tests.sh

# The soak tests alone, for an hour (make test runs them for 10 minutes).
SOAK_SECONDS ?= 3600
soak: setup
	PANGGUNG_SOAK_SECONDS=$(SOAK_SECONDS) PANGGUNG_SOAK_REPORTS=build/soak \
	  $(BIN)/python -m pytest -n 2 -p no:pytestqt -rP tests/soak

bench: setup
	$(BIN)/panggung-bench --write docs/benchmarks.md all

# PyInstaller build of `panggung` for the OS this runs on, checked with its
# --self-test, plus the OS's archive or installer (packaging/README.md).
package: setup
	$(BIN)/python packaging/build.py

# Bahasa Indonesia: pick up new strings from app/ui (and TR_SOURCES) into the catalogue (Qt
# Linguist opens it), then compile it. The .qm is committed, so the app and
# the tests need no Qt tools; tests/ui/test_i18n.py fails when it is stale.
TS := resources/translations/panggung_id.ts
# Qt-free texts the UI translates (the session's notices: codes and parameters).
TR_SOURCES := app/client/notices.py
translations: setup
	$(BIN)/pyside6-lupdate -silent -no-obsolete -locations none app/ui/*.py $(TR_SOURCES) -ts $(TS)
	$(BIN)/pyside6-lrelease -silent $(TS) -qm $(TS:.ts=.qm)

# The README's pictures, rendered from the real window on a virtual screen.
screenshots: setup
	$(BIN)/python scripts/screenshots.py docs/screenshots

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist ./*.egg-info
	find app tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .tools
