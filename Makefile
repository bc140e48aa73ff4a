# The two commands a user needs: `make serve` and `make test` (both install first, idempotently).
VENV ?= .venv
PORT ?= 3000

.PHONY: install serve test test-fast lint clean

install:
	bash scripts/install.sh

serve: install
	$(VENV)/bin/ais serve --port $(PORT)

test: install
	$(VENV)/bin/python -m pytest

test-fast: install
	$(VENV)/bin/python -m pytest -m "not slow and not server"

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .venv-checkov .pytest_cache runs
