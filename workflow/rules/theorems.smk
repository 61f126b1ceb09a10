# Theorem experiments: their figures. The GD experiments (thm2_1, thm3_2, thm3_4,
# thm3_5) simulate through rule `simulate`; Theorem 3.1 has its own stationary-point and
# escape rules. Their claims are evaluated by rule `claims` (workflow/rules/claims.smk).


include: "theorems_common.smk"


rule plot_theorem:
    input:
        lambda wc: case_results(wc.theorem),
    output:
        pdf="figures/{theorem}.pdf",
        png=report(
            "figures/{theorem}.png",
            caption="../report/theorem.rst",
            category="Theorems",
            subcategory="{theorem}",
        ),
    log:
        "logs/plot/{theorem}.log",
    benchmark:
        "results/benchmarks/plot/{theorem}.tsv"
    wildcard_constraints:
        theorem="|".join(THEOREM_FIGURES) or "NO_THEOREM",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=2000,
    params:
        cases=lambda wc: case_names(wc.theorem),
        specs=lambda wc: theorem_specs(wc.theorem),
        drawing=lambda wc: EXPERIMENT_FIGURES[wc.theorem][0],
        title=lambda wc: EXPERIMENT_FIGURES[wc.theorem][2],
        level=CLAIMS["thresholds"]["level"],
        caption=lambda wc: theorem_caption(wc.theorem),
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/plot_theorem.py"


rule thm3_1_stationary:
    output:
        point="results/thm3_1/stationary_point.json",
    log:
        "logs/thm3_1/stationary.log",
    benchmark:
        "results/benchmarks/thm3_1/stationary.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=config.get("thm3_1"),
        command=lambda wc, output: regenerate_command(output.point),
    script:
        "../../scripts/thm3_1_stationary.py"


rule thm3_1_escape:
    input:
        "results/thm3_1/stationary_point.json",
    output:
        "results/thm3_1/escape.npz",
    log:
        "logs/thm3_1/escape.log",
    benchmark:
        "results/benchmarks/thm3_1/escape.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=config.get("thm3_1"),
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/thm3_1_escape.py"


rule plot_thm3_1:
    input:
        point="results/thm3_1/stationary_point.json",
        escape="results/thm3_1/escape.npz",
    output:
        pdf="figures/thm3_1.pdf",
        png=report(
            "figures/thm3_1.png",
            caption="../report/thm3_1.rst",
            category="Theorems",
            subcategory="thm3_1",
        ),
    log:
        "logs/plot/thm3_1.log",
    benchmark:
        "results/benchmarks/plot/thm3_1.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=config.get("thm3_1"),
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/plot_thm3_1.py"
