"""Rule fit_rates: measured tail exponents (with CI), the log-corrected fit and local slopes
of one experiment's cases -> results/rates/{experiment}.json."""

from scorematch.pipeline import load_results, rule_logger, save_json, snakemake_provenance
from scorematch.rate_summary import fit_case
from scorematch.seeding import STREAM_SAMPLING, run_generators, run_spawn_key

experiment = snakemake.wildcards.experiment
settings = snakemake.params.settings
logger = rule_logger(snakemake.log[0])
logger.info("fitting %s cases %s with %s", experiment, snakemake.params.cases, settings)

fits, seeds = {}, []
for case, path in zip(snakemake.params.cases, snakemake.input):
    arrays = load_results(path)
    # the bootstrap's own stream, keyed like a run: rates/<experiment>/<case>
    name = f"rates/{experiment}/{case}"
    rng = run_generators(snakemake.params.root_seed, name, n_runs=1, stream=STREAM_SAMPLING)[0]
    seeds.append(run_spawn_key(name, 0, STREAM_SAMPLING))
    fits[case] = fit_case(arrays["tau"], arrays["loss"], rng=rng, **settings)
    fits[case]["n_converged"] = arrays["n_converged"].tolist()
    fits[case]["outcome"] = arrays["outcome"].tolist()
    logger.info(
        "%s/%s: exponent %s CI %s over %s (%d runs); log-corrected p %s; %s",
        experiment,
        case,
        fits[case]["exponent"],
        fits[case]["ci"],
        fits[case]["windows"]["tail"],
        fits[case]["n_runs"],
        fits[case]["log_corrected"]["p"],
        fits[case]["error"] or "",
    )

provenance = snakemake_provenance(snakemake, experiment=f"rates/{experiment}", section=settings, run_seeds=seeds)
save_json(
    snakemake.output[0],
    {"experiment": experiment, "settings": settings, "cases": fits},
    provenance=provenance,
)
