# Reproducible artifact for "Convergence Dynamics of Over-Parameterized Score Matching
# for a Single Gaussian" (arXiv 2511.22069). Stages: simulate -> fit rates -> figures.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


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


rule all:
    default_target: True
    input:
        all_figures(),
        rate_targets(),
        theorem_targets(),
        beyond_targets(),
        "results/claims.csv",
        "results/claims.md",
        "results/claims.json",
        step_size_targets(),
        mixture_targets(),
        "results/provenance.csv",
