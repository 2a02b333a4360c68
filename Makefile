# Two entry points, each self-sufficient on a fresh machine with Python 3.11 and make:
#   make reports   set up, then regenerate every report under reports/
#   make test      set up (including headless Chromium), then run every test, notebooks included
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: setup reports archive test check validate summary browser clean-venv lock lab notebooks bench explore docs

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c requirements.lock -e '.[test]'
	@# Build matplotlib's font cache now, so its one-time notice never lands in a notebook output.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $(STAMP)

setup: $(STAMP)

# Debian's chromium renders the HTML reports in the browser tests; installed only when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

reports: setup
	$(BIN)/haiti-mission reports

# Every report as known at the end of each month since January 2024 (reports/archive/, not committed).
archive: setup
	$(BIN)/haiti-mission archive --start 2024-01-01 --end latest

test: setup browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

# The fast tier (well under a minute): the import contract and the unit tests, no notebooks,
# kernels, servers or browser; the property-based tests run 1,000 cases instead of 10,000.
check: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --hypothesis-profile=quick tests

# JupyterLab on the notebooks, in the project's environment, opening the start-here guide.
lab: setup
	$(BIN)/jupyter lab notebooks/start-here.ipynb

# Browse the data in Datasette, read-only, on http://127.0.0.1:8001 (Ctrl-C stops it).
explore: setup
	$(BIN)/haiti-mission explore

# The reference (Python API and data dictionary) as HTML in reports/reference/.
docs: setup
	$(BIN)/haiti-mission docs

# Re-execute the committed notebooks in place after a data change (then review `git diff`).
notebooks: setup
	$(BIN)/haiti-mission notebooks

validate: setup
	$(BIN)/haiti-mission validate

summary: setup
	$(BIN)/haiti-mission summary

clean-venv:
	rm -rf $(VENV)

# After changing dependencies in pyproject.toml: rebuild the venv, then record what got installed.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' | sed '1i # Exact versions of everything the project installs (pip constraints). Regenerate with: make lock' > requirements.lock

# Benchmarks (not part of the tests): reports, loading, nbval and scaling, side by side with the
# by-hand commands; about 30 minutes on 2 cores. Quick look: .venv/bin/python benchmarks/run.py --quick
bench: setup
	$(BIN)/python benchmarks/run.py
