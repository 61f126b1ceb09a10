"""Rule plot_gradient_em: tail exponents of gradient EM and score matching from the same
initial parameters (results/gradient_em/{name}.json) and the side-by-side figure."""

import numpy as np

from scorematch.beyond import phase_outcomes
from scorematch.beyond_figures import gradient_em_figure
from scorematch.pipeline import load_results, rule_logger, save_figure, save_json, snakemake_provenance
from scorematch.rates import local_slopes, tail_fit, tail_window

settings = snakemake.params.settings
logger = rule_logger(snakemake.log[0])
em = load_results(snakemake.input.em)
sm = load_results(snakemake.input.sm)
runs = em["loss"].shape[0]
curves = {"score matching": sm["loss"][:runs], "gradient EM": em["loss"]}
tau = em["tau"]
lo, hi = tail_window(tau, decades=settings["tail_decades"], min_points=settings["min_tail_points"])
summary = {
    "case": snakemake.params.case,
    "runs": int(runs),
    "eta": snakemake.params.spec["eta"],
    "n_steps": int(tau[-1]),
    "tail_window": [float(lo), float(hi)],
    "methods": {},
}
slopes = {}
for name, loss in curves.items():
    _, exponent = tail_fit(tau, loss, lo=lo, hi=hi)
    finite = exponent[np.isfinite(exponent)]
    mean_curve = loss.mean(axis=0)
    _, mean_exponent = tail_fit(tau, mean_curve, lo=lo, hi=hi)
    centres, run_slopes = local_slopes(tau, loss, window_decades=settings["slope_window_decades"])
    slopes[name] = (centres, run_slopes)
    source = em if name == "gradient EM" else sm
    _, outcome = phase_outcomes(source["distance"][:runs, -1, :], **snakemake.params.outcome_tols)
    labels, counts = np.unique(outcome, return_counts=True)
    summary["methods"][name] = {
        "exponent_median": float(np.median(finite)),
        "exponent_q25_q75": [float(np.quantile(finite, 0.25)), float(np.quantile(finite, 0.75))],
        "exponent_mean": float(finite.mean()),
        "exponent_se": float(finite.std(ddof=1) / np.sqrt(finite.size)) if finite.size > 1 else None,
        "exponent_of_mean_curve": float(mean_exponent[0]),
        "runs_fitted": int(finite.size),
        "final_loss_median": float(np.median(loss[:, -1])),
        "outcomes": dict(zip(labels.tolist(), map(int, counts))),
    }
    logger.info("%s: %s", name, summary["methods"][name])
provenance = snakemake_provenance(
    snakemake, experiment=f"gradient_em/{snakemake.params.case}", section=settings, run_seeds=[]
)
save_json(snakemake.output.json, summary, provenance=provenance)
fig = gradient_em_figure(tau, curves, slopes, summary)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
