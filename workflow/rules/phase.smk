# The intermediate-regime phase diagrams (config `phase`, one per entry of `diagrams`).
# One job per (diagram, n, M) column: every sigma x seed of the column in one batch.


rule phase_column:
    output:
        "results/phase/{diagram}/n{n}_M{M}.npz",
    log:
        "logs/phase/{diagram}/n{n}_M{M}.log",
    benchmark:
        "results/benchmarks/phase/{diagram}/n{n}_M{M}.tsv"
    wildcard_constraints:
        diagram="[A-Za-z0-9_.-]+",
        n="[0-9]+",
        M="[0-9.e+-]+",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=lambda wc: phase_column_settings(wc.diagram),
        sigmas=lambda wc: log_grid(PHASE_DIAGRAMS[wc.diagram]["sigma_log10"]),
        distance=lambda wc: labelled_value(
            PHASE_DIAGRAMS[wc.diagram]["distances"],
            wc.M,
            key=f"phase/diagrams/{wc.diagram}/distances",
        ),
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/phase_column.py"


rule phase_summary:
    input:
        phase_columns(),
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
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=PHASE,
        diagrams=PHASE_DIAGRAMS,
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/phase_summary.py"
