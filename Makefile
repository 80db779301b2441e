# Each target bootstraps .venv itself: a fresh clone with Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-slow lint browser demo bench screenshot install clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# ruff and mypy, configured in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Playwright (PyPI) driving Debian's chromium, for the browser test and `make screenshot`;
# `playwright install` is never run: no browser is downloaded.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: $(STAMP)
	$(BIN)/python -m pip install --quiet 'playwright>=1.40'
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

test-slow: browser
	$(BIN)/python -m pytest -q -m slow

demo: $(STAMP)
	$(BIN)/tendlc demo $(if $(KEEP),--keep,)

# PROFILE=1: also sample the processes with py-spy; results and profiles go to bench/profiles/
# PARKED=5000: the memory figure with that many onboardings parked (each wait bounded at 1,200 s: parking
# thousands takes minutes); results go to bench/parked-N/
bench: $(STAMP)
	$(if $(PROFILE),$(BIN)/python -m pip install --quiet 'py-spy>=0.4',)
	$(BIN)/python -m bench $(if $(PROFILE),--profile bench/profiles --out bench/profiles,)$(if $(PARKED), --parked $(PARKED) --max-seconds 1200 --out bench/parked-$(PARKED),)

# docs/ui.png, with `make demo KEEP=1` running (the UI's address from TEMPORAL_UI_URL: `. .tendlc/env`)
screenshot: browser
	$(BIN)/python docs/screenshot.py

clean:
	rm -rf $(VENV) .tendlc .pytest_cache
