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
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        section=NOISE_SCALE,
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/noise_scale.py"
