# Helpers of the claims rule (workflow/rules/claims.smk).
from scorematch.claims import measured_on, registry


def claim_cases():
    """{claim id: case names it is measured on}, checked against the config."""
    return {
        claim.id: measured_on(
            claim,
            (
                case_names(claim.experiment)
                if claim.experiment in GD_EXPERIMENTS
                else ["stationary"]
            ),
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


def claim_case_specs():
    return {name: case_spec(*name.split("/", 1)) for name in claim_gd_cases()}
