# One command each, on a fresh machine with Python 3.11 and make: the venv is created and filled on demand.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1
# mike runs `mkdocs build` from PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: site serve test lint typecheck bench deploy pdf clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

site: $(STAMP)  ## build the site into site/ (strict: any warning fails)
	$(BIN)/mkdocs build --strict

pdf: site  ## every chart of the built site as PDF, in site/charts-pdf/
	$(BIN)/python -m gen.export_pdf site site/charts-pdf

serve: $(STAMP)  ## live preview on http://127.0.0.1:8000, regenerating on changes to data/ and gen/
	$(BIN)/mkdocs serve

lint: $(STAMP)
	$(BIN)/ruff check gen tests $(wildcard bench)
	$(BIN)/ruff format --check gen tests $(wildcard bench)
	$(BIN)/actionlint .github/workflows/*.yml

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck  ## lint, type checks and every test (browser tests need /usr/bin/chromium)
	$(BIN)/pytest

bench: $(STAMP)  ## time ingest, builds, rebuilds and serve at three sizes next to their floors; writes bench/RESULTS.md
	$(BIN)/python bench/run.py

# PUSH (from the command line or the environment): 1, yes, true or on, in any case, pushes; unset, empty, 0, no, false
# or off does not; anything else stops before building, rather than quietly not pushing.
deploy: $(STAMP)  ## publish VERSION (and ALIAS, which becomes the default) to gh-pages with mike; pushes only with PUSH=1
	@test -n "$(VERSION)" || { echo "usage: make deploy VERSION=v1 [ALIAS=latest] [PUSH=1]"; exit 2; }
	@case "$$(printf '%s' "$$PUSH" | tr '[:upper:]' '[:lower:]')" in \
	  1|yes|true|on) push=--push ;; \
	  ''|0|no|false|off) push= ;; \
	  *) echo "PUSH=$$PUSH is not understood: PUSH=1 (or yes, true, on) pushes gh-pages; unset (or 0, no, false, off) does not" >&2; \
	     exit 2 ;; \
	esac; \
	set -x; \
	$(BIN)/mike deploy --update-aliases $$push $(VERSION) $(ALIAS) && \
	{ test -z "$(ALIAS)" || $(BIN)/mike set-default $$push $(ALIAS); }

clean:
	rm -rf site .venv .pytest_cache .mypy_cache .ruff_cache
