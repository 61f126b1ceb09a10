# The step-size experiment (past the paper): base cases rerun across eta from the same
# starts, one job per (base case, eta) with the seeds batched; a summary table and figure.
# No claim is attached: the paper states none about large steps.
from scorematch.step_size import sweep_spec

STEP_SIZE = config.get("step_size", {})


def step_size_base(base):
    """'experiment--case' (a file-name form) -> 'experiment/case'."""
    return base.replace("--", "/", 1)


def step_size_spec(base, eta):
    name = step_size_base(base)
    return sweep_spec(
        case_spec(*name.split("/", 1)),
        base_name=name,
        eta=float(eta),
        runs=STEP_SIZE["runs"],
        n_steps=STEP_SIZE["n_steps"],
        n_records=STEP_SIZE["n_records"],
    )


def step_size_results():
    return [
        f"results/step_size/{name.replace('/', '--')}/eta{eta:g}.npz"
        for name in STEP_SIZE.get("base_cases", [])
        for eta in STEP_SIZE["etas"]
    ]


def step_size_targets():
    if not STEP_SIZE:
        return []
    return ["results/step_size.csv"] + expand(
        "figures/step_size.{ext}", ext=["pdf", "png"]
    )


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
        "../../environment.yml"
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
        csv=report(
            "results/step_size.csv", caption="../report/step_size.rst", category="Tables"
        ),
        json="results/step_size.json",
    log:
        "logs/step_size/summary.log",
    benchmark:
        "results/benchmarks/step_size/summary.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=20,
        mem_mb=2000,
    params:
        jobs=[
            (name, eta, step_size_spec(name.replace("/", "--"), eta))
            for name in STEP_SIZE.get("base_cases", [])
            for eta in STEP_SIZE.get("etas", [])
        ],
        fit_settings={key: RATES[key] for key in RATE_FIT_KEYS},
        hessian_step=CLAIMS["step_size"]["hessian_step"],
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
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        theorem_eta=CLAIMS["step_size"]["eta"],
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/plot_step_size.py"
