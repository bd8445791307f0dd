# The two commands that matter: `make demo` and `make test`.
# Each creates or updates .venv on first use; a fresh Debian machine with Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest bench mosquitto chromium systemd-analyze clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  [ "$$(id -u)" = 0 ] && apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv && \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The tests start private Mosquitto brokers; install it when missing and we are root.
mosquitto:
	@if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mosquitto; \
	  else \
	    echo "mosquitto is not installed and we are not root: install it (apt-get install mosquitto)"; exit 1; \
	  fi; \
	fi

# The phone page is tested in a real headless Chromium (Debian's; playwright drives it).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	  else \
	    echo "chromium is not installed and we are not root: install it (apt-get install chromium)"; exit 1; \
	  fi; \
	fi

# `mihub service install`'s unit is checked with systemd-analyze (Debian's systemd package).
systemd-analyze:
	@if ! command -v systemd-analyze >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd; \
	  else \
	    echo "systemd-analyze is not installed and we are not root: install it (apt-get install systemd)"; exit 1; \
	  fi; \
	fi

demo: $(STAMP)
	$(BIN)/mihub demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict hub firmware_sim

pytest: $(STAMP) mosquitto chromium systemd-analyze
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/miio_roundtrip.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
