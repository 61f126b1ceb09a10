# Every claim of the registry (src/scorematch/claims.py) evaluated in one job:
# results/claims.{csv,md,json}, the single source of the measured verdicts.


include: "claims_common.smk"


rule claims:
    input:
        results=[f"results/{name}.npz" for name in claim_gd_cases()],
        fits=expand("results/rates/{experiment}.json", experiment=rate_experiments()),
        stationary="results/thm3_1/stationary_point.json",
    output:
        csv="results/claims.csv",
        md="results/claims.md",
        json="results/claims.json",
    log:
        "logs/claims.log",
    benchmark:
        "results/benchmarks/claims.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=30,
        mem_mb=4000,
    params:
        settings=CLAIMS,
        case_names=claim_gd_cases(),
        specs=claim_case_specs(),
        claim_cases=claim_cases(),
        command=lambda wc, output: regenerate_command(output.csv),
    script:
        "../../scripts/evaluate_claims.py"
