"""Rule gradient_em: population gradient EM (the first term of the score-matching
gradient only) from the initial parameters of a score-matching case, same eta and step
grid -> results/gradient_em/{experiment}--{case}.npz."""

from scorematch.experiment import descend_and_classify
from scorematch.other_dynamics import GRADIENT_EM
from scorematch.outcomes import value_counts
from scorematch.pipeline import load_results, rule_logger, run_logging, save_run_results
from scorematch.seeding import case_seed_name

spec = snakemake.params.spec
runs = min(snakemake.params.runs, spec["runs"])
logger = rule_logger(snakemake.log[0])
source = load_results(snakemake.input[0])
logger.info("gradient EM from %s: %d runs, eta=%g, %d steps", snakemake.params.case, runs, spec["eta"], spec["n_steps"])
arrays = descend_and_classify(
    source["initial"][:runs],
    source["target"],
    spec,
    dynamics=GRADIENT_EM,
    **run_logging(logger, n_steps=spec["n_steps"]),
)
logger.info("outcomes: %s", value_counts(arrays["outcome"]))
seed_name = case_seed_name(spec, snakemake.params.case)
save_run_results(
    snakemake,
    arrays,
    experiment=f"gradient_em/{snakemake.params.case}",
    section={"spec": spec, "runs": runs},
    seed_name=seed_name,
    runs=runs,
)
