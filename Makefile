# 政务诚信公开平台: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi

.PHONY: run test install install-dev db content clean bench-search

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

db: install
	$(BIN)/flask db upgrade

content: db
	$(BIN)/flask content import
	$(BIN)/flask search rebuild --if-missing

run: content
	PORT=$(PORT) $(BIN)/gunicorn -c python:portal.gunicorn_conf wsgi:app

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The search benchmark (bench/README.md): N documents, default 100,000; `make bench-search N=20000`.
N ?= 100000
bench-search: install-dev
	$(BIN)/python -m bench.search.run --docs $(N)

clean:
	rm -rf $(VENV) .pytest_cache
