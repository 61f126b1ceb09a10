# Stage 2: convergence-rate fits of the simulated loss curves (config section `rates`;
# quantities in src/scorematch/rate_summary.py). The claims read these fits.


include: "rates_common.smk"


rule fit_rates:
    input:
        lambda wc: [
            f"results/{wc.experiment}/{c}.npz" for c in case_names(wc.experiment)
        ],
    output:
        "results/rates/{experiment}.json",
    log:
        "logs/rates/fit/{experiment}.log",
    benchmark:
        "results/benchmarks/rates/fit/{experiment}.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        cases=lambda wc: case_names(wc.experiment),
        settings={key: RATES[key] for key in RATE_FIT_KEYS},
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/fit_rates.py"


rule gather_rates:
    input:
        expand("results/rates/{experiment}.json", experiment=rate_experiments()),
    output:
        "results/rates.csv",
    log:
        "logs/rates/gather.log",
    benchmark:
        "results/benchmarks/rates/gather.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        section=RATES,
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/gather_rates.py"


rule plot_rates:
    input:
        results=[f"results/{name}.npz" for name in rate_figure_cases()],
        fits=expand("results/rates/{experiment}.json", experiment=rate_experiments()),
    output:
        slopes_pdf="figures/rates_slopes.pdf",
        slopes_png=report(
            "figures/rates_slopes.png",
            caption="../report/rates_slopes.rst",
            category="Convergence rates",
        ),
        scaled_pdf="figures/rates_scaled.pdf",
        scaled_png=report(
            "figures/rates_scaled.png",
            caption="../report/rates_scaled.rst",
            category="Convergence rates",
        ),
    log:
        "logs/plot/rates.log",
    benchmark:
        "results/benchmarks/plot/rates.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=RATES,
        kind="rates",
        exponent_tol=CLAIMS["thresholds"]["exponent_tol"],
        panels=scaled_loss_panels(eps=CLAIMS["thresholds"]["eps"]),
        names=rate_figure_cases(),
        fit_files=[_fit_file(name) for name in rate_figure_cases()],
        command=lambda wc, output: regenerate_command(output.slopes_pdf),
    script:
        "../../scripts/plot_rates.py"


rule plot_rates_minibatch:
    input:
        results=[f"results/{name}.npz" for name in minibatch_figure_cases()],
        fits=sorted({_fit_file(name) for name in minibatch_figure_cases()}),
    output:
        minibatch_pdf="figures/rates_minibatch.pdf",
        minibatch_png=report(
            "figures/rates_minibatch.png",
            caption="../report/rates_minibatch.rst",
            category="Convergence rates",
        ),
    log:
        "logs/plot/rates_minibatch.log",
    benchmark:
        "results/benchmarks/plot/rates_minibatch.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=RATES,
        kind="minibatch",
        exponent_tol=CLAIMS["thresholds"]["exponent_tol"],
        names=minibatch_figure_cases(),
        fit_files=[_fit_file(name) for name in minibatch_figure_cases()],
        specs=[case_spec(*name.split("/", 1)) for name in minibatch_figure_cases()],
        command=lambda wc, output: regenerate_command(output.minibatch_pdf),
    script:
        "../../scripts/plot_rates.py"
