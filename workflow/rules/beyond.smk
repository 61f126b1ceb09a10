# Issue 7, "past the paper": the intermediate-regime phase diagram (config `phase`).
# One job per (n, M) column: every sigma x seed of the column in one batch.


include: "beyond_common.smk"


rule phase_column:
    output:
        "results/phase/n{n}_M{M}.npz",
    log:
        "logs/phase/n{n}_M{M}.log",
    benchmark:
        "results/benchmarks/phase/n{n}_M{M}.tsv"
    wildcard_constraints:
        n="[0-9]+",
        M="[0-9.e+-]+",
    conda:
        "../../environment.yml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=phase_column_settings() if PHASE else {},
        sigmas=phase_sigmas() if PHASE else [],
        distance=lambda wc: phase_distance(wc.M),
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/phase_column.py"


rule phase_summary:
    input:
        phase_columns() if PHASE else [],
    output:
        json="results/phase/critical_spread.json",
        pdf="figures/phase_diagram.pdf",
        png=report(
            "figures/phase_diagram.png",
            caption="../report/phase_diagram.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/phase/summary.log",
    benchmark:
        "results/benchmarks/phase/summary.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=PHASE,
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/phase_summary.py"


# Gradient EM baseline (config `gradient_em`): the first term of the score-matching gradient
# only, from the initial parameters of a score-matching case.
rule gradient_em:
    input:
        f"results/{GRADIENT_EM['case']}.npz" if GRADIENT_EM else [],
    output:
        "results/gradient_em/trajectories.npz",
    log:
        "logs/gradient_em/run.log",
    benchmark:
        "results/benchmarks/gradient_em/run.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        case=GRADIENT_EM["case"] if GRADIENT_EM else "",
        spec=source_case_spec(GRADIENT_EM) if GRADIENT_EM else {},
        runs=GRADIENT_EM["runs"] if GRADIENT_EM else 0,
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/gradient_em.py"


rule plot_gradient_em:
    input:
        sm=f"results/{GRADIENT_EM['case']}.npz" if GRADIENT_EM else [],
        methods=["results/gradient_em/trajectories.npz"],
    output:
        json="results/gradient_em/summary.json",
        pdf="figures/gradient_em.pdf",
        png=report(
            "figures/gradient_em.png",
            caption="../report/gradient_em.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/gradient_em/plot.log",
    benchmark:
        "results/benchmarks/gradient_em/plot.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        experiment="gradient_em",
        title="Gradient EM vs score matching",
        case=GRADIENT_EM["case"] if GRADIENT_EM else "",
        spec=source_case_spec(GRADIENT_EM) if GRADIENT_EM else {},
        methods=["gradient EM"],
        method_settings={},
        outcome_tols=outcome_tolerances(GRADIENT_EM) if GRADIENT_EM else {},
        settings=method_fit_settings(),
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/plot_methods.py"


# Noise scale (config `noise_scale`): all-converge fraction against t from a far start.
rule noise_scale:
    output:
        npz="results/noise_scale/fractions.npz",
        json="results/noise_scale/fractions.json",
        pdf="figures/noise_scale.pdf",
        png=report(
            "figures/noise_scale.png",
            caption="../report/noise_scale.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/noise_scale/run.log",
    benchmark:
        "results/benchmarks/noise_scale/run.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=NOISE_SCALE,
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/noise_scale.py"


# Time-averaged loss and optimizers (config `alternatives`): one job per method, all runs
# of a method batched, from the initial parameters of a score-matching case.
rule alternative:
    input:
        f"results/{ALTERNATIVES['case']}.npz" if ALTERNATIVES else [],
    output:
        "results/alternatives/{method}.npz",
    log:
        "logs/alternatives/{method}.log",
    benchmark:
        "results/benchmarks/alternatives/{method}.tsv"
    wildcard_constraints:
        method="[A-Za-z0-9_.-]+",
    conda:
        "../../environment.yml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        case=ALTERNATIVES["case"] if ALTERNATIVES else "",
        spec=source_case_spec(ALTERNATIVES) if ALTERNATIVES else {},
        method=lambda wc: ALTERNATIVES["methods"][wc.method],
        runs=ALTERNATIVES["runs"] if ALTERNATIVES else 0,
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/alternative.py"


rule plot_alternatives:
    input:
        sm=f"results/{ALTERNATIVES['case']}.npz" if ALTERNATIVES else [],
        methods=alternative_results() if ALTERNATIVES else [],
    output:
        json="results/alternatives/summary.json",
        pdf="figures/alternatives.pdf",
        png=report(
            "figures/alternatives.png",
            caption="../report/alternatives.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/alternatives/plot.log",
    benchmark:
        "results/benchmarks/alternatives/plot.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        experiment="alternatives",
        title="Time-averaged loss, SGD and Adam vs GD",
        case=ALTERNATIVES["case"] if ALTERNATIVES else "",
        spec=source_case_spec(ALTERNATIVES) if ALTERNATIVES else {},
        methods=list(ALTERNATIVES["methods"]) if ALTERNATIVES else [],
        method_settings=ALTERNATIVES["methods"] if ALTERNATIVES else {},
        outcome_tols=outcome_tolerances(ALTERNATIVES) if ALTERNATIVES else {},
        settings=method_fit_settings(),
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/plot_methods.py"
