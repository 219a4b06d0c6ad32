# The two commands of the README: `make run` and `make test`. Each sets up what it needs first.
PYTHON := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup setup-dev bench

# The settings are production-safe by default (DEBUG off); `make run` is the development setup.
run: export DEBUG ?= true
run: setup
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py collectstatic --noinput -v 0
	exec $(PYTHON) manage.py runplatform --load-demo --host $(HOST) --port $(PORT)

test: setup-dev lint
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# Benchmarks print JSON; each compares against a baseline measured in the same run.
bench: setup-dev
	.venv/bin/pip install -q --disable-pip-version-check --no-deps invisible-watermark==0.2.0
	mkdir -p bench/results
	for name in moderation_text moderation_images watermark clip lipsync feed queue load; do \
		$(PYTHON) -m bench.$$name > bench/results/$$name.json || exit 1; echo "bench/results/$$name.json"; done

lint: setup-dev
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	.venv/bin/lint-imports
	$(PYTHON) -m mypy

setup:
	scripts/bootstrap

setup-dev:
	scripts/bootstrap --dev
