# Noise scale (config `noise_scale`): all-converge fraction against t from a far start.
rule noise_scale:
    output:
        "results/noise_scale/fractions.npz",
    log:
        "logs/noise_scale/run.log",
    benchmark:
        "results/benchmarks/noise_scale/run.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=NOISE_SCALE,
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/noise_scale.py"


rule noise_scale_summary:
    input:
        "results/noise_scale/fractions.npz",
    output:
        json="results/noise_scale/fractions.json",
        pdf="figures/noise_scale.pdf",
        png=report(
            "figures/noise_scale.png",
            caption="../report/noise_scale.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/noise_scale/summary.log",
    benchmark:
        "results/benchmarks/noise_scale/summary.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=NOISE_SCALE,
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/noise_scale_summary.py"
