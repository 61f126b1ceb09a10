"""Figures of the "past the paper" experiments (matplotlib objects, no file I/O)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _edges(values, *, log):
    """Cell edges around sorted centres (geometric midpoints when log)."""
    v = np.log10(values) if log else np.asarray(values, dtype=float)
    mid = 0.5 * (v[1:] + v[:-1])
    first = v[0] - (mid[0] - v[0]) if len(v) > 1 else v[0] - 0.5
    last = v[-1] + (v[-1] - mid[-1]) if len(v) > 1 else v[-1] + 0.5
    return np.concatenate([[first], mid, [last]])


def fit_label(intercept, slope):
    """Legend text of the fitted line ln sigma* = intercept + slope M, signs written once."""
    sign = "-" if slope < 0 else "+"
    return rf"fit: $\ln\sigma^* = {intercept:.2f} {sign} {abs(slope):.2f}\,M$"


def phase_diagram_figure(columns, summary):
    """One row per diagram (d, eta), one panel per n: heatmaps of the all-converge fraction
    over (M, log10 sigma) with the critical spread sigma* and its fitted line; a last row
    with sigma*(M) of every diagram and the fitted slopes b against eta."""
    diagrams = summary["diagrams"]
    ns = sorted({n for entry in diagrams.values() for n in entry["by_n"]}, key=int)
    n_cols = max(len(ns), 2)
    fig, axes = plt.subplots(
        len(diagrams) + 1,
        n_cols,
        figsize=(4.4 * n_cols, 3.3 * (len(diagrams) + 1)),
        squeeze=False,
        constrained_layout=True,
    )
    for row, (name, entry) in zip(axes, diagrams.items()):
        for ax, n in zip(row, ns):
            if n not in entry["by_n"]:
                ax.set_axis_off()
                continue
            cols = sorted(
                (c for c in columns if str(c["diagram"]) == name and str(int(c["n_components"])) == n),
                key=lambda c: float(c["distance"]),
            )
            _phase_heatmap(ax, cols, entry["by_n"][n])
            ax.set_title(f"{name}: d = {entry['dim']}, eta = {entry['eta']:g}, n = {n}", fontsize=10)
        for ax in row[len(ns) :]:
            ax.set_axis_off()
        row[0].legend(loc="lower left", fontsize=7)
    _phase_laws(axes[-1][0], axes[-1][1], diagrams)
    for ax in axes[-1][2:]:
        ax.set_axis_off()
    fig.suptitle(
        f"Phase diagrams: fraction of seeds where all parameters converge (distance < {summary['converge_tol']})\n"
        f"{summary['step_rule']}"
    )
    return fig


def _phase_heatmap(ax, cols, entry):
    """All-converge fraction of one (diagram, n) over (M, log10 sigma), sigma* and its law."""
    distances = np.array([float(c["distance"]) for c in cols])
    sigmas = cols[0]["sigmas"]
    grid = np.stack([c["fraction_all"] for c in cols], axis=1)
    mesh = ax.pcolormesh(
        _edges(distances, log=False), _edges(sigmas, log=True), grid, vmin=0, vmax=1, cmap="viridis", shading="flat"
    )
    ok = [r for r in entry["columns"] if r["status"] == "ok"]
    if ok:
        ax.plot(
            [r["M"] for r in ok],
            np.log10([r["sigma_star"] for r in ok]),
            "o",
            color="tab:red",
            mec="white",
            label=r"$\sigma^*$ (all-converge $\geq$ 1/2)",
        )
    fit = entry["fit_ln_sigma_vs_M"]
    if fit:
        m = np.linspace(distances.min(), distances.max(), 50)
        ax.plot(
            m,
            (fit["intercept"] + fit["slope"] * m) / np.log(10),
            "--",
            color="tab:red",
            label=fit_label(fit["intercept"], fit["slope"]),
        )
    ax.set_ylim(np.log10(sigmas[0]) - 0.5, np.log10(sigmas[-1]) + 0.5)
    ax.set_xlabel(r"distance $M = \|\mu^* - \mathbb{E}\,\mu_i(0)\|$")
    ax.set_ylabel(r"$\log_{10}\sigma$")
    plt.colorbar(mesh, ax=ax, label="all converge")


def _phase_laws(ax_sigma, ax_slope, diagrams):
    """sigma*(M) of every (diagram, n) with its fitted line; the slopes b (+- 1 s.e.) against eta."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    markers = ["o", "s", "^", "D", "v"]
    ns = sorted({n for entry in diagrams.values() for n in entry["by_n"]}, key=int)
    dims = sorted({entry["dim"] for entry in diagrams.values()})
    for color, (name, entry) in zip(colors, diagrams.items()):
        for n, law in entry["by_n"].items():
            ok = [r for r in law["columns"] if r["status"] == "ok"]
            marker = markers[ns.index(n) % len(markers)]
            ax_sigma.plot(
                [r["M"] for r in ok], np.log10([r["sigma_star"] for r in ok]), marker, color=color, ls="none", ms=4
            )
            fit = law["fit_ln_sigma_vs_M"]
            if fit:
                m = np.array([ok[0]["M"], ok[-1]["M"]])
                ax_sigma.plot(m, (fit["intercept"] + fit["slope"] * m) / np.log(10), "-", color=color, lw=1)
        ax_sigma.plot([], [], "-", color=color, label=name)
    for n in ns:
        ax_sigma.plot([], [], markers[ns.index(n) % len(markers)], color="grey", ls="none", label=f"n = {n}")
    ax_sigma.set_xlabel("M")
    ax_sigma.set_ylabel(r"$\log_{10}\sigma^*$")
    ax_sigma.set_title(r"$\sigma^*(M)$ of every diagram, fitted lines", fontsize=10)
    ax_sigma.legend(fontsize=7, ncol=2)
    for n, dim in ((n, dim) for n in ns for dim in dims):
        pts = [
            (entry["eta"], entry["by_n"][n]["fit_ln_sigma_vs_M"])
            for entry in diagrams.values()
            if entry["dim"] == dim and n in entry["by_n"] and entry["by_n"][n]["fit_ln_sigma_vs_M"]
        ]
        if pts:
            pts.sort(key=lambda p: p[0])
            ax_slope.errorbar(
                [p[0] for p in pts],
                [p[1]["slope"] for p in pts],
                yerr=[p[1]["slope_se"] for p in pts],
                marker=markers[ns.index(n) % len(markers)],
                color=colors[ns.index(n) % len(colors)],
                ls="-" if dim == dims[0] else "--",
                capsize=3,
                label=f"n = {n}, d = {dim}",
            )
    etas = sorted({entry["eta"] for entry in diagrams.values()})
    ax_slope.set_xscale("log")
    ax_slope.set_xticks(etas, [f"{eta:g}" for eta in etas])
    ax_slope.minorticks_off()
    ax_slope.set_xlabel(r"step size $\eta$")
    ax_slope.set_ylabel(r"slope $b$ of $\ln\sigma^* = a + bM$")
    ax_slope.set_title(r"rate in $M$ against $\eta$ ($\pm$ 1 s.e.)", fontsize=10)
    ax_slope.legend(fontsize=7)


def method_comparison_figure(tau, curves, slopes, summary, *, title):
    """Loss curves (median and quartiles over runs) and local log-log slopes of several
    methods from the same initial parameters.

    curves: {method: loss (R, T)}; slopes: {method: (centres, slopes (R, W))};
    summary: {"tail_window": (lo, hi), "methods": {method: {"exponent_median": ...}}}.
    """
    fig, (ax_loss, ax_slope) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    positive = tau > 0
    lo, hi = summary["tail_window"]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (name, loss), color in zip(curves.items(), colors):
        median = summary["methods"][name]["exponent_median"]
        q25, q50, q75 = np.quantile(loss[:, positive], [0.25, 0.5, 0.75], axis=0)
        ax_loss.loglog(
            tau[positive],
            q50,
            color=color,
            label=f"{name}: tail exponent median {median:.3f}" if median is not None else name,
        )
        ax_loss.fill_between(tau[positive], q25, q75, color=color, alpha=0.25)
        centres, run_slopes = slopes[name]
        ax_slope.semilogx(centres, np.nanmedian(run_slopes, axis=0), color=color, label=name)
    for power, style in [(-0.5, ":"), (-1.0, "--")]:
        ax_slope.axhline(power, color="grey", ls=style, lw=1, label=f"slope {power}")
    ax_loss.axvspan(lo, hi, color="grey", alpha=0.1, label="tail fit window")
    ax_loss.set_xlabel(r"iteration $\tau$")
    ax_loss.set_ylabel("population score-matching loss (median, quartiles)")
    ax_loss.legend(fontsize=8)
    ax_slope.set_xlabel(r"iteration $\tau$")
    ax_slope.set_ylabel(r"local slope $d\log L / d\log\tau$ (median over runs)")
    ax_slope.set_ylim(-3, 0.5)
    ax_slope.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def noise_scale_figure(ts, all_converged, threshold, section):
    """Fraction of all-converge runs against t with 95% Wilson intervals and the paper's
    sufficient threshold log n + log M + 2."""
    runs = all_converged.shape[1]
    p = all_converged.mean(axis=1)
    z = 1.96
    centre = (p + z**2 / (2 * runs)) / (1 + z**2 / runs)
    half = z * np.sqrt(p * (1 - p) / runs + z**2 / (4 * runs**2)) / (1 + z**2 / runs)
    fig, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
    ax.errorbar(
        ts,
        p,
        yerr=[p - (centre - half), (centre + half) - p],
        fmt="o-",
        capsize=3,
        label=f"all converge ({runs} seeds per t, 95% Wilson)",
    )
    ax.axvline(threshold, color="tab:red", ls="--", label=f"sufficient: log n + log M + 2 = {threshold:.2f}")
    ax.set_xlabel(r"noise scale $t$")
    ax.set_ylabel("fraction of runs where all parameters converge")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(
        f"n = {section['n_components']}, d = {section['dim']}, start M = {section['distance']} "
        f"+ N(0, {section['perturbation']}^2), eta = {section['eta']}, {section['n_steps']} steps",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="center right")
    return fig
