# SalesDesk: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint format system-deps install messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	./scripts/system-deps

demo: install system-deps
	$(BIN)/salesdesk migrate --verbosity 0
	$(BIN)/salesdesk demo
	$(BIN)/salesdesk serve

test: install system-deps
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	cd src/salesdesk && ../../$(BIN)/salesdesk makemessages -l zh_Hans --no-obsolete --no-location && ../../$(BIN)/salesdesk compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
