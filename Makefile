# Sightline: `make demo` runs it, `make test` tests it. Both set up everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements/lock.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test env lint typecheck suite browser lock clean help bench-notices bench-missing

help:
	@echo "make demo   - set up, load synthetic demo data and run Sightline on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   - set up, then lint, type-check and run the whole test suite"
	@echo "make lock   - re-lock dependencies after changing pyproject.toml"
	@echo "make bench-notices, make bench-missing - benchmarks (BENCH_ARGS=... for options)"

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Sightline needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

env: $(STAMP)

demo: env
	SIGHTLINE_MODE=demo $(BIN)/sightline demo

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SIGHTLINE_MODE=test DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

typecheck: env
	SIGHTLINE_MODE=test $(BIN)/mypy src config

suite: env
	$(BIN)/pytest

test: lint typecheck suite

# Benchmarks (not tests): each measures its baseline in the same run. See docs/benchmarks.md
# and docs/performance.md. Pass options with BENCH_ARGS="--placements 200".
bench-notices: env
	$(BIN)/python -m benchmarks.notices $(BENCH_ARGS)

bench-missing: env
	$(BIN)/python -m benchmarks.missing $(BENCH_ARGS)

lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
