# The step-size experiment (past the paper): base cases rerun across eta from the same
# starts, one job per (base case, eta) with the seeds batched; a summary table and figure.
# No claim is attached: the paper states none about large steps.


include: "step_size_common.smk"


rule simulate_step_size:
    output:
        "results/step_size/{base}/eta{eta}.npz",
    log:
        "logs/step_size/{base}/eta{eta}.log",
    benchmark:
        "results/benchmarks/step_size/{base}/eta{eta}.tsv"
    wildcard_constraints:
        base="[A-Za-z0-9_.-]+--[A-Za-z0-9_.-]+",
        eta="[0-9.e+-]+",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=120,
        mem_mb=4000,
    params:
        spec=lambda wc: step_size_spec(wc.base, wc.eta),
        name=lambda wc: f"step_size/{wc.base}/eta{wc.eta}",
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/simulate.py"


rule step_size_summary:
    input:
        step_size_results(),
    output:
        csv="results/step_size.csv",
        json="results/step_size.json",
    log:
        "logs/step_size/summary.log",
    benchmark:
        "results/benchmarks/step_size/summary.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=20,
        mem_mb=2000,
    params:
        jobs=step_size_jobs(),
        fit_settings={key: RATES[key] for key in RATE_FIT_KEYS},
        hessian_step=CLAIMS["step_size"]["hessian_step"],
        hessian_runs=CLAIMS["step_size"]["hessian_runs"],
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output.csv),
    script:
        "../../scripts/step_size_summary.py"


rule plot_step_size:
    input:
        "results/step_size.json",
    output:
        pdf="figures/step_size.pdf",
        png=report(
            "figures/step_size.png",
            caption="../report/step_size_figure.rst",
            category="Step size",
        ),
    log:
        "logs/plot/step_size.log",
    benchmark:
        "results/benchmarks/plot/step_size.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        theorem_eta=CLAIMS["step_size"]["eta"],
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/plot_step_size.py"
