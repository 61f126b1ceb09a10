"""Rule phase_summary: critical spread sigma*(M) per n, the fitted law of log sigma*
against M (results/phase/critical_spread.json) and the heatmap figure."""

import numpy as np

from scorematch.beyond_figures import phase_diagram_figure
from scorematch.outcomes import OUTCOME_LABELS
from scorematch.phase import critical_spread, fit_line
from scorematch.pipeline import load_results, rule_logger, save_figure, save_json, snakemake_provenance

section = snakemake.params.section
level = section["level"]
logger = rule_logger(snakemake.log[0])
columns = [load_results(path) for path in snakemake.input]
summary = {
    "definition": (
        f"sigma* = largest initial spread sigma with all-converge fraction >= {level}, "
        "interpolated linearly in log sigma to the next grid sigma; fit: least squares of "
        "ln sigma* on M over the M with sigma* inside the grid (at least 3 of them)"
    ),
    "eta": section["eta"],
    "n_steps": section["n_steps"],
    "runs_per_cell": section["runs"],
    "dim": section["dim"],
    "converge_tol": section["converge_tol"],
    "diverge_radius": section["diverge_radius"],
    "by_n": {},
}
for n in sorted({int(c["n_components"]) for c in columns}):
    cols = sorted((c for c in columns if int(c["n_components"]) == n), key=lambda c: float(c["distance"]))
    rows = []
    for c in cols:
        value, status = critical_spread(c["sigmas"], c["fraction_all"], level=level)
        rows.append(
            {
                "M": float(c["distance"]),
                "sigma_star": None if np.isnan(value) else value,
                "status": status,
                **{f"fraction_{label}": c[f"fraction_{label}"].tolist() for label in OUTCOME_LABELS},
            }
        )
    ok = [r for r in rows if r["status"] == "ok"]
    entry = {"sigmas": cols[0]["sigmas"].tolist(), "columns": rows}
    # three columns at least: a line through two points has no uncertainty to report
    if len(ok) >= 3:
        m = np.array([r["M"] for r in ok])
        y = np.log([r["sigma_star"] for r in ok])
        entry["fit_ln_sigma_vs_M"] = fit_line(m, y)
        # the theorem's bound has M^3 in the exponent: the same fit against M^3 for comparison
        entry["fit_ln_sigma_vs_M3"] = fit_line(m**3, y)
        logger.info(
            "n=%d: ln sigma* = %.3f (+-%.3f) + %.3f (+-%.3f) M",
            n,
            entry["fit_ln_sigma_vs_M"]["intercept"],
            entry["fit_ln_sigma_vs_M"]["intercept_se"],
            entry["fit_ln_sigma_vs_M"]["slope"],
            entry["fit_ln_sigma_vs_M"]["slope_se"],
        )
    else:
        entry["fit_ln_sigma_vs_M"] = None
        entry["fit_ln_sigma_vs_M3"] = None
        logger.info("n=%d: %d columns with sigma* inside the grid, fewer than 3: no fit", n, len(ok))
    summary["by_n"][str(n)] = entry
provenance = snakemake_provenance(snakemake, experiment="phase", section=section, run_seeds=[])
save_json(snakemake.output.json, summary, provenance=provenance)
fig = phase_diagram_figure(columns, summary)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
