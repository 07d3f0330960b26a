# Two commands for a newcomer: `make demo` and `make test`. CI runs `make test` (.ci/run).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch first, pinned: an unpinned resolve pulls the CUDA build and several GB of packages.
TORCH  := torch==2.13.0

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export NO_PROXY := 127.0.0.1,localhost
# The demo keeps its index inside the checkout unless you point it elsewhere.
export GUIDEPOST_DATA_DIR ?= $(CURDIR)/.guidepost/demo

DEMO_QUESTIONS := \
	"How do I run a choice board in 5th grade math?" \
	"How should I grade choice board work?" \
	"What does a K-2 read-aloud lesson look like?" \
	"How long should independent practice take?" \
	"What is the capital of Australia?"

.PHONY: install install-dev demo demo-next test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/guidepost ingest knowledge
	$(BIN)/guidepost ask $(DEMO_QUESTIONS)
	@$(MAKE) --no-print-directory -s demo-next

# How to go on from the demo: its index is not in the default data dir.
demo-next:
	@echo
	@echo "Ask the demo's index your own questions:"
	@echo "  source $(VENV)/bin/activate"
	@echo "  export GUIDEPOST_DATA_DIR=$(GUIDEPOST_DATA_DIR)"
	@echo '  guidepost ask "How do I introduce a choice board?"'
	@echo "Index your own documents (into the default data dir, ~/.local/share/guidepost, unless"
	@echo "GUIDEPOST_DATA_DIR is set): guidepost ingest PATH"

test: install-dev
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python bench/bench_ingest.py

clean:
	rm -rf .guidepost .pytest_cache
