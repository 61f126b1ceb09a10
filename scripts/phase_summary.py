"""Rule phase_summary: per diagram (d, eta) and n the critical spread sigma*(M) and the law
of ln sigma* against M; the joint law across diagrams (results/phase/critical_spread.json)
and the figure."""

from scorematch.beyond_figures import phase_diagram_figure
from scorematch.outcomes import OUTCOME_LABELS
from scorematch.phase import critical_spread_laws, joint_law
from scorematch.pipeline import load_results, rule_logger, save_figure, save_json, snakemake_provenance

section = snakemake.params.section
# diagrams by dimension, then step size from the largest: the first is the joint law's reference
diagrams = dict(sorted(snakemake.params.diagrams.items(), key=lambda item: (item[1]["dim"], -item[1]["eta"])))
level = section["level"]
logger = rule_logger(snakemake.log[0])
columns = [load_results(path) for path in snakemake.input]
summary = {
    "definition": (
        f"sigma* = largest initial spread sigma with all-converge fraction >= {level}, "
        "interpolated linearly in log sigma to the next grid sigma; fit: least squares of "
        "ln sigma* on M over the M with sigma* inside the grid (at least 3 of them)"
    ),
    "step_rule": f"the same GD time at every eta: n_steps = gd_time / eta, gd_time = {section['gd_time']}",
    "converge_tol": section["converge_tol"],
    "diverge_radius": section["diverge_radius"],
    "level": level,
    "diagrams": {},
}
points = []
for name, settings in diagrams.items():
    laws = critical_spread_laws([c for c in columns if str(c["diagram"]) == name], level=level, labels=OUTCOME_LABELS)
    summary["diagrams"][name] = {
        "dim": settings["dim"],
        "eta": settings["eta"],
        "n_steps": settings["n_steps"],
        "runs_per_cell": settings["runs"],
        "hermite_nodes": settings["hermite_nodes"],
        "by_n": laws,
    }
    for n, entry in laws.items():
        fit = entry["fit_ln_sigma_vs_M"]
        if fit:
            logger.info(
                "%s n=%s: ln sigma* = %.3f (+-%.3f) + %.3f (+-%.3f) M",
                name,
                n,
                fit["intercept"],
                fit["intercept_se"],
                fit["slope"],
                fit["slope_se"],
            )
        else:
            logger.info("%s n=%s: fewer than 3 columns with sigma* inside the grid: no fit", name, n)
        points += [
            {"n": int(n), "M": r["M"], "eta": settings["eta"], "dim": settings["dim"], "sigma_star": r["sigma_star"]}
            for r in entry["columns"]
            if r["status"] == "ok"
        ]
reference = next(iter(diagrams.values()))
try:
    summary["joint_fit"] = joint_law(points, reference_eta=reference["eta"], reference_dim=reference["dim"])
    logger.info("joint law %s: %s", summary["joint_fit"]["model"], summary["joint_fit"]["coefficients"])
except ValueError as error:
    # too few sigma* inside the grid for the joint model's terms (e.g. a very coarse grid)
    summary["joint_fit"] = None
    logger.info("no joint law: %s", error)
provenance = snakemake_provenance(snakemake, experiment="phase", section=section, run_seeds=[])
save_json(snakemake.output.json, summary, provenance=provenance)
fig = phase_diagram_figure(columns, summary)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
