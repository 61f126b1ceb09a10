# Helpers of the step-size experiment (workflow/rules/step_size.smk).
from scorematch.step_size import case_of_file_base, file_base, sweep_spec

STEP_SIZE = config.get("step_size", {})


def step_size_spec(base, eta):
    name = case_of_file_base(base)
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
        f"results/step_size/{file_base(name)}/eta{eta:g}.npz"
        for name, eta, _ in step_size_jobs()
    ]


def step_size_targets():
    if not STEP_SIZE:
        return []
    return ["results/step_size.csv"] + expand(
        "figures/step_size.{ext}", ext=["pdf", "png"]
    )


def step_size_jobs():
    """(base case name, eta, run specification) of every sweep job, in file order."""
    return [
        (name, eta, step_size_spec(file_base(name), eta))
        for name in STEP_SIZE.get("base_cases", [])
        for eta in STEP_SIZE.get("etas", [])
    ]
