"""Rule step_size_summary: every (base case, eta) job of the step-size experiment ->
results/step_size.csv and results/step_size.json (outcome fractions, tail exponent,
eta * lambda_max)."""

from scorematch.pipeline import load_results, rule_logger, save_csv, save_json, snakemake_provenance
from scorematch.seeding import STREAM_SAMPLING, run_generators, run_spawn_key
from scorematch.step_size import step_size_row

params = snakemake.params
logger = rule_logger(snakemake.log[0])
rows, seeds = [], []
for (base, eta, spec), path in zip(params.jobs, snakemake.input):
    # the bootstrap's own stream, keyed like a run: step_size/<base>/eta<eta>
    name = f"step_size/{base}/eta{eta:g}"
    rng = run_generators(params.root_seed, name, n_runs=1, stream=STREAM_SAMPLING)[0]
    seeds.append(run_spawn_key(name, 0, STREAM_SAMPLING))
    row = step_size_row(
        base,
        eta,
        spec,
        load_results(path),
        fit_settings=params.fit_settings,
        hessian_step=params.hessian_step,
        hessian_runs=params.hessian_runs,
        rng=rng,
    )
    logger.info("%s", row)
    rows.append(row)
provenance = snakemake_provenance(
    snakemake, experiment="step_size", section={"jobs": params.jobs, "fit": params.fit_settings}, run_seeds=seeds
)
save_csv(snakemake.output.csv, rows, columns=rows[0], provenance=provenance)
save_json(snakemake.output.json, {"rows": rows}, provenance=provenance)
