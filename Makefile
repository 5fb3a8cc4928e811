# Two commands: `make lab` opens the course, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test test-fast bench clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -c 'import matplotlib.font_manager'  # font cache built once, not in the first chart
	# nbstripout --install ignores --keep-id: set the filter itself, so commits keep cell ids
	if [ -d .git ]; then $(BIN)/nbstripout --install --attributes .git/info/attributes && \
	  git config filter.nbstripout.clean '"$(CURDIR)/$(BIN)/python" -m nbstripout --keep-id' && \
	  git config diff.ipynb.textconv '"$(CURDIR)/$(BIN)/python" -m nbstripout --keep-id -t'; fi
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_index.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_notebooks.py

clean:
	rm -rf $(VENV) build .pytest_cache
