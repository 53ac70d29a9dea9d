# Two commands: `make run` and `make test`. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Development defaults for `make run`; production sets its own environment.
RUN_ENV := DEBUG=true
# Test processes in parallel (pytest-xdist), one per core of the 2-core machines we run on;
# TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= 2
# `make test` runs like production (DEBUG off) with a throwaway secret.
TEST_ENV := SECRET_KEY=test-only-secret-$(shell date +%s)-not-for-production DEBUG=false

.PHONY: run test coverage lint format bench install lock clean e2e-deps mutation lighthouse screenshots

# Every package pinned with its hashes (scripts/lock.py); `make lock` after a change of
# pyproject.toml's dependencies, and the install refuses a lock that is out of date.
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt

$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) scripts/lock.py --check
	$(PY) scripts/lock.py --pip
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) scripts/lock.py

run: $(STAMP)
	@mkdir -p var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	@test -f var/.seeded || ($(RUN_ENV) $(PY) manage.py seed_demo && touch var/.seeded)
	@echo
	@echo "  Handoff is running on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: demo): rep, rep2, pm, pm2, manager"
	@echo "  Stop with Ctrl-C."
	@echo
	$(RUN_ENV) $(PY) -m config.devserver --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

e2e-deps:
	@bash scripts/ensure-chromium.sh

test: $(STAMP) e2e-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r config meetings insights handoff deals projects feedback --severity-level medium
	$(VENV)/bin/lint-imports --no-cache
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) DEBUG=false HTTPS=true ALLOWED_HOSTS=handoff.example.com \
		SECRET_KEY='check-deploy-$(shell date +%s)-a-long-random-production-like-secret-value' \
		$(PY) manage.py check --deploy --fail-level WARNING
	$(TEST_ENV) $(VENV)/bin/pytest -p no:cacheprovider -n $(TEST_WORKERS) --durations=30 $(PYTEST_ARGS)

# The same suite measuring which lines it runs, with the report: about half as long again as
# `make test`, whose checks it does not repeat.
coverage: $(STAMP) e2e-deps
	$(TEST_ENV) $(VENV)/bin/pytest -p no:cacheprovider -n $(TEST_WORKERS) --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# Lighthouse (mobile) of the main pages on a production-like server with the demo data: gunicorn,
# DEBUG off, collected static files; the pinned Lighthouse of tools/lighthouse/ runs in Debian's
# Chromium. LIGHTHOUSE_ARGS=--runs=1 for a quick look.
lighthouse: $(STAMP) e2e-deps
	$(PY) scripts/lighthouse.py $(LIGHTHOUSE_ARGS)

# The main pages at 1366x900 and 390x844 and every email, into docs/screenshots/, from the same
# production-like server.
screenshots: $(STAMP) e2e-deps
	$(PY) scripts/screenshots.py $(SCREENSHOTS_ARGS)

# Mutation testing of the workflow (deals/services/, deals/rules/ and the gate in deals/models/), from
# scratch each time; not part of `make test`. Settings as for `make test`, on SQLite.
MUTATION_JOBS ?= 2
MUTATION_ENV := env -u DATABASE_URL -u REDIS_URL $(TEST_ENV)
mutation: $(STAMP)
	rm -rf mutants
	$(MUTATION_ENV) $(PY) scripts/mutation.py run --max-children $(MUTATION_JOBS)
	@$(MUTATION_ENV) $(PY) scripts/mutation.py summary

clean:
	rm -rf var .pytest_cache .coverage htmlcov
