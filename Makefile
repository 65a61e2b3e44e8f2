# Sightline: `make demo` runs it, `make test` tests it. Both set up everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements/lock.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test env lint typecheck suite browser lock clean help bench-notices bench-missing bench-returns bench-evidence bench-record bench-links audit

help:
	@echo "make demo   - set up, load synthetic demo data and run Sightline on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   - set up, then lint, type-check and run the whole test suite"
	@echo "make lock   - re-lock dependencies after changing pyproject.toml"
	@echo "make bench-notices, make bench-missing, make bench-returns, make bench-evidence, make bench-record, make bench-links - benchmarks (BENCH_ARGS=... for options)"

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
	$(BIN)/lint-imports --no-logo --no-cache
	SIGHTLINE_MODE=test DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

# Known vulnerabilities in the locked dependencies (PyPI's advisory data; needs the network).
# Known vulnerabilities in the locked dependencies, from PyPI's per-release data. Where that
# data cannot be reached (some sandboxes answer 404 for every release), say so plainly rather
# than fail on a network problem; a reachable service with a finding fails the build.
AUDIT_PROBE := https://pypi.org/pypi/django/5.2/json
audit: env
	@if curl -sf -o /dev/null --max-time 15 $(AUDIT_PROBE); then \
		$(BIN)/pip-audit -r requirements/lock.txt --no-deps --disable-pip --strict --progress-spinner off; \
	else \
		echo "make audit: NOT RUN - PyPI's vulnerability data ($(AUDIT_PROBE)) cannot be reached from this machine."; \
	fi

typecheck: env
	SIGHTLINE_MODE=test $(BIN)/mypy src config

suite: env
	SIGHTLINE_MODE=test $(BIN)/pytest

test: lint typecheck suite

# Benchmarks (not tests): each measures its baseline in the same run. See docs/benchmarks.md
# and docs/performance.md. Pass options with BENCH_ARGS="--placements 200".
bench-notices: env
	$(BIN)/python -m benchmarks.notices $(BENCH_ARGS)

bench-missing: env
	$(BIN)/python -m benchmarks.missing $(BENCH_ARGS)

bench-returns: env
	$(BIN)/python -m benchmarks.returns $(BENCH_ARGS)

bench-evidence: env
	$(BIN)/python -m benchmarks.evidence $(BENCH_ARGS)

bench-record: env
	$(BIN)/python -m benchmarks.child_record $(BENCH_ARGS)

bench-links: env
	$(BIN)/python -m benchmarks.links $(BENCH_ARGS)

lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
