# One command each; every workflow target runs under one config choice, CONFIG:
#   make rebuild                 paper scale (CONFIG=config.yaml)
#   make small                   the small config (CONFIG=workflow/configs/small.yaml)
#   make report                  report.html of the last run's config (recorded in RUN_CONFIG)
#   make figure TARGET=figures/fig1.pdf   one target under the last run's config
#   make slurm                   the workflow as Slurm jobs (workflow/profiles/slurm)
# Any of them takes CONFIG=FILE (or CONFIG="FILE1 FILE2", merged in order over config.yaml). A run killed half
# way resumes with the same command: a stale Snakemake lock is removed (only if no other
# make-started Snakemake runs here; flock tells) and incomplete outputs are rerun
# (the profiles set rerun-incomplete).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
CORES ?= 2
SMALL_CONFIG := workflow/configs/small.yaml
# The config of the last workflow run, so that `make report` after `make small`
# describes the small run.
RUN_CONFIG := results/.config
LAST_CONFIG = $(or $(shell cat $(RUN_CONFIG) 2>/dev/null),config.yaml)
PROFILE ?= workflow/profiles/default
SNAKEMAKE = $(BIN)/snakemake --cores $(CORES) --workflow-profile $(PROFILE)
RUN_LOCK := .snakemake/make.lock

# $(call run,CONFIG,ARGS): unlock if a killed run left a lock, record CONFIG, run ARGS.
define run
	@mkdir -p .snakemake results
	@$(BIN)/python -m scorematch.config config.yaml $(1)
	flock --nonblock --conflict-exit-code 75 $(RUN_LOCK) sh -c '\
	  if [ -n "$$(ls -A .snakemake/locks 2>/dev/null)" ]; then \
	    echo "removing the lock of an interrupted run"; $(SNAKEMAKE) --unlock; fi; \
	  echo "$(1)" > $(RUN_CONFIG); \
	  $(SNAKEMAKE) $(2) --configfile $(1)' \
	  || { rc=$$?; [ $$rc -ne 75 ] || echo "another make target runs Snakemake in this directory" >&2; exit $$rc; }
endef

.PHONY: setup rebuild small report figure slurm jobs timings test lint benchmark clean readme-results

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

rebuild: CONFIG ?= config.yaml
rebuild: setup
	$(call run,$(CONFIG),)

small: setup
	$(call run,$(SMALL_CONFIG),)

report: CONFIG ?= $(LAST_CONFIG)
report: setup
	$(call run,$(CONFIG),)
	$(call run,$(CONFIG),--report report.html)
	@echo "report.html describes the run with CONFIG=$(CONFIG)"

figure: CONFIG ?= $(LAST_CONFIG)
figure: setup
	@test -n "$(TARGET)" || { echo "usage: make figure TARGET=figures/fig1.pdf [CONFIG=...]" >&2; exit 2; }
	$(call run,$(CONFIG),$(TARGET) --force)

slurm: CONFIG ?= config.yaml
slurm: PROFILE = workflow/profiles/slurm
slurm: setup
	$(call run,$(CONFIG),)

jobs: CONFIG ?= $(LAST_CONFIG)
jobs: setup
	@$(BIN)/python -m scorematch.config config.yaml $(CONFIG)
	@$(BIN)/snakemake -n --forceall --quiet rules --configfile $(CONFIG) 2>&1 | sed -n '/^Job stats/,/^total/{p;/^total/q}'
	@echo "(a full run under CONFIG=$(CONFIG); the localrules listed in the Snakefile run on the submitting host, the rest are Slurm jobs under make slurm)"

timings: setup
	@$(BIN)/python -m scorematch.run_times

# the checks a reviewer runs come first: lint failures stop the suite
test: setup lint
	$(BIN)/python -m pytest -ra

PYTHON_SOURCES := src scripts tests benchmarks
lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)

# the README's "What the run measured" block from results/claims.json, naming the config
# those results were made with (the last run's, or CONFIG)
readme-results: CONFIG ?= $(LAST_CONFIG)
readme-results: setup
	$(BIN)/python scripts/readme_results.py --config "$(CONFIG)"

benchmark: setup
	$(BIN)/python benchmarks/gradient_cost.py --readme README.md

clean:
	rm -rf results figures logs .snakemake report.html
