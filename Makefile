# descend: `make demo` and `make test` create .venv themselves on a machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench loadtest fuzz lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# PyTorch is only a cross-check for the optimizer tests and benchmarks: installed when this
	@# machine holds a local CPU wheel (pip download --no-index never downloads), skipped otherwise.
	if $(BIN)/python -m pip download -q --no-index --no-deps 'torch==2.13.0' -d $(VENV)/wheels >/dev/null 2>&1; \
	  then $(BIN)/python -m pip install -q 'torch==2.13.0'; \
	  else echo "torch: no local wheel here, the PyTorch cross-checks will be skipped"; fi
	@# The lab's browser tests: playwright from pip, Debian's chromium (as root, with apt-get).
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install -q playwright \
	  || echo "playwright: not installed, the lab's browser tests will be skipped"
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -q && apt-get install -y -q chromium; } \
	  || echo "chromium: not installed, the lab's browser tests will be skipped"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/descend demo --out descend-demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

loadtest: $(STAMP)
	$(BIN)/python benchmarks/loadtest.py

# Fuzzes the expression parser for FUZZ_SECONDS: inputs tried, the slowest, foreign exceptions.
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz.py --seconds $(FUZZ_SECONDS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) descend-demo .pytest_cache .mypy_cache .ruff_cache
