# 協働マッチ — two commands: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := kyodo_match

.PHONY: run test install install-test browser-deps node-deps vendor db demo bench eval lint translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations browser-deps node-deps

# Compile the English catalogue (the .mo is built, never committed).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d kyodo_match/translations

# After changing user-facing strings: refresh the catalogue, then translate the new English entries.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o kyodo_match/translations/messages.pot .
	$(BIN)/pybabel update -i kyodo_match/translations/messages.pot -d kyodo_match/translations --no-fuzzy-matching

# Debian's chromium and Japanese fonts for the real-browser tests (installed when missing and running as root).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium / fonts-noto-cjk missing: browser tests will be skipped (run as root to install)"; fi; \
	fi

# htmx and axe-core from the npm registry into the git-ignored node_modules/.
node-deps: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# For networks that block CDNs (KYODO_HTMX_SOURCE=local): copy htmx and Leaflet from the npm packages into static/vendor/.
vendor: node-deps
	mkdir -p static/vendor/leaflet && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-reference

demo: db
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask seed-demo && touch instance/.demo-loaded; fi

run: demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install-test
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .

# Pages and the matcher at 10,000 and 100,000 synthetic profiles, one table (about 2–4 minutes on 2 cores;
# KYODO_BENCH_SIZES=10000 for a quick run). Temporary instance folders only, never instance/.
bench: install
	$(BIN)/python -m tests.bench

# The matcher's quality on the labelled development set (nDCG@10, recall@10) against two baselines.
# `make eval` scores the development set; `make eval EVAL_FILE=other.json` scores another labelled set.
eval: install
	$(BIN)/python -m tests.eval_matcher $(EVAL_FILE)

clean:
	rm -rf $(VENV) node_modules static/vendor
