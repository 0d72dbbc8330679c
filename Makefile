# One task runner. `make run` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench eval clean cluster

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

# Two instances behind nginx on 127.0.0.1:8080 (see README, "Betrieb hinter nginx").
cluster: $(STAMP)
	PYTHON=$(PY) deploy/cluster.sh

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check assistant tests bench app.py
	$(VENV)/bin/ruff format --check assistant tests bench app.py
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/ingest.py
	$(PY) bench/query.py
	$(PY) bench/load.py
	$(PY) bench/hostile.py

eval: $(STAMP)
	$(PY) -m assistant ingest ../shared/devset/docs corpus --index index-devset --quiet
	$(PY) -m assistant eval ../shared/devset/questions.jsonl --index index-devset

clean:
	rm -rf $(VENV) index index-devset tests/artifacts .pytest_cache
