# The two commands a fresh machine needs: `make demo` and `make test`.
# Both create .venv and install the project first (a stamp file skips that
# when pyproject.toml has not changed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and exact: the CPU wheel on disk; a looser spec pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/voc demo --out data/demo
	$(BIN)/voc run --config config/demo.toml --out out/demo

test: $(STAMP)
	$(BIN)/ruff check voc flows tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check voc flows tests bench
	$(BIN)/ruff format --check voc flows tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) out data/demo data/*.duckdb data/*.duckdb.status.json
