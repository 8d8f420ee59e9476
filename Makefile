# The two commands of the README:
#   make book    execute every notebook (PROFILE=full by default, PROFILE=quick for a fast pass)
#                and build the HTML with -W
#   make test    unit tests, a quick run of every notebook and a quick book build
# Both create .venv and install the pinned dependencies first when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= full
SEED ?= 0
# STUDENT=1 builds the students' edition (exercise solutions hidden) into _build/<profile>-student
STUDENT ?=
# The real data ship inside the package (midlib/data/files); $MIDLIB_DATA_DIR overrides them.

.PHONY: book test notebook env clean help

help:
	@echo "make book [PROFILE=full|quick] [STUDENT=1]   build the book (HTML in _build/<profile>/_build/html);"
	@echo "                                 STUDENT=1: solutions hidden, in _build/<profile>-student"
	@echo "make test                        run the tests (unit + quick notebooks + quick book)"
	@echo "make notebook NB=notebooks/X.ipynb [PROFILE=quick]   run one notebook"
	@echo "make env                         create .venv with the pinned dependencies"
	@echo "make clean                       remove _build (keeps .venv)"

env: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing the pinned dependencies into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@$(PY) -c "import midlib, torch, opacus, jupyter_book, papermill" || { echo "installation failed"; exit 1; }
	@touch $@

book: env
	$(PY) tools/book.py book --profile $(PROFILE) --seed $(SEED) $(if $(STUDENT),--student,)

notebook: env
	@test -n "$(NB)" || { echo "usage: make notebook NB=notebooks/<name>.ipynb [PROFILE=quick]"; exit 2; }
	$(PY) tools/book.py notebooks --profile $(PROFILE) --seed $(SEED) --only $(NB)

test: env
	$(PY) -m pytest -q

clean:
	rm -rf _build
