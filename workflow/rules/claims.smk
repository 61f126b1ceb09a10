# Every claim of the registry (src/scorematch/claims.py) evaluated in one job:
# results/claims.{csv,md,json}, the single source of the measured verdicts.
from scorematch.claims import measured_on, registry


def claim_cases():
    """{claim id: case names it is measured on}, checked against the config."""
    return {
        claim.id: measured_on(
            claim,
            case_names(claim.experiment) if claim.experiment in GD_EXPERIMENTS else ["stationary"],
        )
        for claim in registry(eps=CLAIMS["thresholds"]["eps"])
        if claim.experiment in config
    }


def claim_gd_cases():
    """experiment/case names of every GD case a claim is measured on, in registry order."""
    names = []
    for claim in registry(eps=CLAIMS["thresholds"]["eps"]):
        if claim.experiment in GD_EXPERIMENTS:
            for case in claim_cases()[claim.id]:
                if f"{claim.experiment}/{case}" not in names:
                    names.append(f"{claim.experiment}/{case}")
    return names


rule claims:
    input:
        results=[f"results/{name}.npz" for name in claim_gd_cases()],
        fits=expand("results/rates/{experiment}.json", experiment=rate_experiments()),
        stationary="results/thm3_1/stationary_point.json",
    output:
        csv=report(
            "results/claims.csv", caption="../report/claims.rst", category="Claims"
        ),
        md="results/claims.md",
        json="results/claims.json",
    log:
        "logs/claims.log",
    benchmark:
        "results/benchmarks/claims.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=30,
        mem_mb=4000,
    params:
        settings=CLAIMS,
        case_names=claim_gd_cases(),
        specs={name: case_spec(*name.split("/", 1)) for name in claim_gd_cases()},
        claim_cases=claim_cases(),
        command=lambda wc, output: regenerate_command(output.csv),
    script:
        "../../scripts/evaluate_claims.py"
