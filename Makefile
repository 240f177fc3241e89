# 政务诚信公开平台: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi

.PHONY: run test install install-dev db content clean bench-search bench-web bench-abuse bench-log bench-hosts system-deps npm-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# What the quality harness needs from outside PyPI, installed when missing: Debian's chromium with
# CJK fonts (Playwright drives it; never a downloaded browser), Java for the Nu HTML Checker, wrk
# for bench-web; nginx, openssl and iproute2 for the two-host test (tests/deploy); axe-core and the big
# list of naughty strings from npm.
SYSTEM_PACKAGES := chromium fonts-noto-cjk default-jre-headless wrk nginx-light openssl iproute2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
	  if [ $$package = default-jre-headless ] && command -v java >/dev/null; then continue; fi; \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -q $$missing || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; }; \
	fi

tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --ignore-scripts
	touch $@
npm-deps: tests/e2e/node_modules/.installed

db: install
	$(BIN)/flask db upgrade

content: db
	PORT=$(PORT) $(BIN)/flask log init-key --development  # a signed log at once (kept if a key exists)
	$(BIN)/flask content import
	$(BIN)/flask search rebuild --if-missing
	$(BIN)/flask requests demo --if-empty

# Several workers share one count of each rate limit only through Redis: used when it answers.
run: content
	@if [ -z "$$RATELIMIT_STORAGE_URI" ] && $(BIN)/python -c "import redis; redis.Redis(socket_connect_timeout=0.5).ping()" 2>/dev/null; then \
	  echo "rate limits in Redis at 127.0.0.1:6379"; export RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379; fi; \
	PORT=$(PORT) $(BIN)/gunicorn -c python:portal.gunicorn_conf wsgi:app

test: install-dev system-deps npm-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The search benchmark (bench/README.md): N documents, default 100,000; `make bench-search N=20000`.
N ?= 100000
bench-search: install-dev
	$(BIN)/python -m bench.search.run --docs $(N)

# The load benchmark (bench/README.md): the demo portal and a hello app under the same gunicorn and wrk.
bench-web: install-dev system-deps
	$(BIN)/python -m bench.web.run

# The abuse benchmark (bench/README.md): /privacy alone and under upload and search floods.
bench-abuse: install-dev system-deps
	$(BIN)/python -m bench.abuse.run

# The publication log's benchmark (bench/README.md): its work at 1,000,000 leaves against 10,000.
bench-log: install-dev
	$(BIN)/python -m bench.log.run

# The multi-host benchmark (bench/README.md): two hosts behind nginx in network namespaces (root).
bench-hosts: install-dev system-deps
	$(BIN)/python -m bench.hosts.run

clean:
	rm -rf $(VENV) .pytest_cache
