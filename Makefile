# TrainerDesk: `make run` to try it, `make test` to check it. Safe to re-run any target.
# Written for a fresh Debian machine as root with python3 (3.11); works as a user too
# once the system packages (python3-venv, chromium) are there.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
APT    := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: install run demo serve test lint format bench browser clean interop

install: $(VENV)/.installed

# Reinstalls only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(BIN)/pip ]; then \
		$(PYTHON) -m venv --clear $(VENV) 2>/dev/null || { \
			echo "python3 -m venv failed; installing python3-venv"; \
			{ $(APT) install -y python3-venv || { $(APT) update && $(APT) install -y python3-venv; }; } \
			&& $(PYTHON) -m venv --clear $(VENV); \
		}; \
	fi
	@echo "Installing TrainerDesk and its dependencies into $(VENV) (a few minutes the first time)..."
	@# pip's own lines (collecting, downloading with a progress bar, building, installing)
	@# instead of minutes of silence; .ci/run sets PIP_QUIET=1 for a short log.
	$(BIN)/pip install --progress-bar=on -e '.[dev]'
	@touch $@

run: install
	$(BIN)/trainerdesk demo
	$(BIN)/trainerdesk serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/trainerdesk demo

serve: install
	$(BIN)/trainerdesk serve --host $(HOST) --port $(PORT)

# Playwright drives the system chromium; apt-get update runs only if the install fails.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		$(APT) install -y chromium || { $(APT) update && $(APT) install -y chromium; }; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# The django-stubs plugin loads the settings, which make a data directory (and secret
	@# key): a throwaway one, as in the tests. Checked modules: [tool.mypy] files.
	@d=$$(mktemp -d) && TRAINERDESK_DATA_DIR=$$d $(BIN)/mypy; rc=$$?; rm -rf $$d; exit $$rc
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# One pytest worker per core (pytest-xdist); a file's tests run together on one worker.
test: install browser lint
	$(BIN)/python -m pytest -n auto --dist loadfile

# Opt-in: a round trip through a running Label Studio (README, "Label Studio"); skipped,
# and says so, when none is reachable.
interop: install
	$(BIN)/python -m pytest -m interop -rs -s trainerdesk/workbench/tests/test_labelstudio_interop.py

bench: install
	@if [ -f bench/run_all.py ]; then $(BIN)/python bench/run_all.py; \
	else echo "bench/run_all.py not found: no benchmarks to run"; fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
