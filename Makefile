# Two commands: `make lab` opens the course, `make test` runs every test.
# Instructors: `make instructor` opens JupyterLab with nbgrader's tools (guide: grading/README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab instructor test test-fast bench clean

# Learners' Jupyter configuration (jupyter_config/learner/README.md): nbgrader's menu, panels and
# server extensions off, the grading kernel not offered. Put first on JUPYTER_CONFIG_PATH, so the
# learner's own ~/.jupyter still applies; `make instructor` leaves it out.
LEARNER_CONFIG := $(CURDIR)/jupyter_config/learner
ALLOW_ROOT     := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS       ?=

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

# The course package compiled ahead (skips what is current): kernels then load bytecode instead of
# compiling ~36,000 lines each start, even where PYTHONDONTWRITEBYTECODE is set (about 1 s a notebook).
BYTECODE := $(BIN)/python -m compileall -q course_utils

lab: $(STAMP)
	$(BYTECODE)
	JUPYTER_CONFIG_PATH="$(LEARNER_CONFIG)$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))" \
	  $(BIN)/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS) notebooks/00_index.ipynb

# Started in grading/ (formgrader reads nbgrader_config.py from the working folder), serving the
# whole repository (the course folder must lie inside the served folder).
instructor: $(STAMP)
	$(BYTECODE)
	cd grading && "$(CURDIR)/$(BIN)/jupyter" lab $(ALLOW_ROOT) --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS)

test: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BYTECODE)
	$(BIN)/python benchmarks/bench_notebooks.py

clean:
	rm -rf $(VENV) build .pytest_cache

# A printable PDF of the key figures, exam tips and comparisons, by task statement (issue 21).
.PHONY: cheatsheet
cheatsheet: $(STAMP)
	$(BIN)/python -m course_utils cheatsheet -o build/dva-c03-cheatsheet.pdf
