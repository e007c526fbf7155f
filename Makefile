# One command each, on a fresh machine with Python 3.11 and make: the venv is created and filled on demand.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: site serve test lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

site: $(STAMP)  ## build the site into site/ (strict: any warning fails)
	$(BIN)/mkdocs build --strict

serve: $(STAMP)  ## live preview on http://127.0.0.1:8000, regenerating on changes to data/ and gen/
	$(BIN)/mkdocs serve

lint: $(STAMP)
	$(BIN)/ruff check gen tests $(wildcard bench)
	$(BIN)/ruff format --check gen tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck  ## lint, type checks and every test (browser tests need /usr/bin/chromium)
	$(BIN)/pytest

bench: $(STAMP)  ## time the build on the real results next to the MkDocs floor
	$(BIN)/python bench/build.py

clean:
	rm -rf site .venv .pytest_cache .mypy_cache .ruff_cache
