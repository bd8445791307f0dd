# The two commands that matter: `make demo` and `make test`.
# Each creates or updates .venv on first use; a fresh Debian machine with Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest bench mosquitto nats-server postgresql chromium systemd-analyze clean

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

# History is also tested on PostgreSQL: the machine's server on 127.0.0.1:5432, else a private
# one the tests start with Debian's initdb/pg_ctl. Install the server when missing and root.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; \
	  else \
	    echo "postgresql is not installed and we are not root: install it (apt-get install postgresql)"; exit 1; \
	  fi; \
	fi

# The hub's MQTT is tested against a second broker: NATS's MQTT support.
nats-server:
	@if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nats-server; \
	  else \
	    echo "nats-server is not installed and we are not root: install it (apt-get install nats-server)"; exit 1; \
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

pytest: $(STAMP) mosquitto nats-server postgresql chromium systemd-analyze
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/miio_roundtrip.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
