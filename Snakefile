# Reproducible artifact for "Convergence Dynamics of Over-Parameterized Score Matching
# for a Single Gaussian" (arXiv 2511.22069). Stages: simulate -> fit rates -> figures.
from snakemake.utils import min_version

from scorematch.config import validate_config

min_version("9.0")


configfile: "config.yaml"


# one line naming the key path and what is allowed there (not the whole schema)
validate_config(config)


# the landing page: workflow/report/workflow.rst, the claims table and the figure list
# (rule landing_page); built by every run and by `make report`
report: "results/report/landing.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/rates.smk"
include: "workflow/rules/theorems.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/step_size.smk"
include: "workflow/rules/beyond.smk"
include: "workflow/rules/mixture.smk"
include: "workflow/rules/report.smk"


# Post-processing takes seconds: on a cluster it runs on the submitting host rather
# than as one tiny batch job each; only the simulations become cluster jobs.
localrules:
    all,
    fit_rates,
    gather_rates,
    plot_rates,
    plot_rates_minibatch,
    plot_fig1,
    plot_theorem,
    plot_thm3_1,
    phase_summary,
    plot_gradient_em,
    plot_alternatives,
    claims,
    plot_step_size,
    provenance_table,
    landing_page,
    table_page,


# results/benchmarks/runs.jsonl: this run's wall time and jobs (`make timings`)
onsuccess:
    record_run_time()


rule all:
    default_target: True
    input:
        stage_targets(),
        "results/claims.csv",
        "results/claims.md",
        "results/claims.json",
        "results/provenance.csv",
        REPORT_PAGES,
