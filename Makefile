# One command each: `make rebuild` (set up + full paper-scale rebuild), `make test`
# (set up + the test suite, including a real single-node Slurm cluster), `make report`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup rebuild small report test lint benchmark clean readme-results

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

rebuild: setup
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default

small: setup
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default --configfile workflow/configs/small.yaml

report: setup
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default --report report.html

test: setup
	$(BIN)/python -m pytest -ra

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

# the README's "What the run measured" block from results/claims.json (CONFIG_NAME: the
# config those results were made with, e.g. workflow/configs/small.yaml)
CONFIG_NAME ?= config.yaml
readme-results: setup
	$(BIN)/python scripts/readme_results.py --config $(CONFIG_NAME)

benchmark: setup
	$(BIN)/python benchmarks/gradient_cost.py

clean:
	rm -rf results figures logs .snakemake report.html
