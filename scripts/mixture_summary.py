"""Rule mixture_summary: one kind's cases -> results/{section}/{kind}.json (fractions with
Clopper-Pearson intervals, students per component, loss tail exponents, sigma* law, the
integration rule's accuracy at the recorded states)."""

from scorematch.mixture import MIXTURE_KINDS, kind_summary
from scorematch.pipeline import load_results, rule_logger, save_json, snakemake_provenance
from scorematch.seeding import STREAM_SAMPLING, run_generators

section = snakemake.params.section
name, kind = snakemake.wildcards.section, snakemake.wildcards.kind
logger = rule_logger(snakemake.log[0])
cases = [load_results(path) for path in snakemake.input]
rng = run_generators(snakemake.params.root_seed, f"{name}/{kind}/bootstrap", n_runs=1, stream=STREAM_SAMPLING)[0]
summary = kind_summary(
    kind,
    [(int(c["n_components"]), float(c["separation"]), c) for c in cases],
    level=section["level"],
    split_level=section[kind].get("level"),
    tail=snakemake.params.tail,
    rng=rng,
)
summary["settings"] = {k: v for k, v in section.items() if k not in MIXTURE_KINDS}
summary["settings"][kind] = section[kind]
for row in summary["cases"]:
    logger.info("%s", row)
provenance = snakemake_provenance(snakemake, experiment=f"{name}/{kind}", section=section, run_seeds=[])
save_json(snakemake.output[0], summary, provenance=provenance)
