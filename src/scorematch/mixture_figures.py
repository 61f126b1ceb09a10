"""Figures of the mixture ground-truth experiments (matplotlib objects, no file I/O)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _errorbar(ax, x, entries, **style):
    """Fractions with their confidence intervals (entries: fraction_with_interval dicts)."""
    fraction = np.array([e["fraction"] for e in entries])
    lower = fraction - np.array([e["ci_lo"] for e in entries])
    upper = np.array([e["ci_hi"] for e in entries]) - fraction
    ax.errorbar(x, fraction, yerr=[lower, upper], capsize=3, marker="o", **style)


def _loss_panel(ax, cases, label_of):
    """Median loss over seeds against tau (log-log), one line per case, slope -1 guide;
    the line style changes with n so that equal curves of different n stay visible."""
    styles = ["-", "--", "-.", ":"]
    ns = sorted({int(c["n_components"]) for c in cases})
    for case in cases:
        tau, loss = case["tau"][1:], np.median(case["loss"][:, 1:], axis=0)
        positive = loss > 0
        style = styles[ns.index(int(case["n_components"])) % len(styles)]
        ax.loglog(tau[positive], loss[positive], style, label=label_of(case))
    tau = cases[0]["tau"][1:]
    ax.loglog(tau, 0.5 / tau, color="0.5", lw=0.8, label=r"$\propto 1/\tau$")
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel("median mixture loss")
    ax.legend(fontsize=7)


def _stability_panel(ax, x, cases, eta, *, xlabel):
    for xi, case in zip(x, cases):
        values = eta * case["hessian_max"]
        ax.plot(np.full(values.shape, xi), values, ".", alpha=0.4, color="tab:blue")
    ax.axhline(2.0, color="tab:red", ls="--", label=r"stability edge $\eta\lambda_{max} = 2$")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$\eta\,\lambda_{max}$ of the Hessian at the end state")
    ax.legend(fontsize=7)


def _title(summary, extra):
    s = summary["settings"]
    return (
        f"Mixture truth, K = {s['components']} ({s['layout']}), d = {s['dim']}, start {s['start_distance']:g} e1, "
        f"eta = {s['eta']}, {s['n_steps']} steps; {extra}"
    )


def exact_figure(summary, cases):
    rows = summary["cases"]
    cases = sorted(cases, key=lambda c: float(c["separation"]))
    separations = [r["separation"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    _errorbar(axes[0], separations, [r["recovered"] for r in rows], label="every component recovered")
    stalled = [np.mean(c["at_mixture_mean"] > 0) for c in cases]
    diverging = [np.mean(c["diverging"] > 0) for c in cases]
    axes[0].plot(separations, stalled, "s--", label="a student stalled at the mixture mean")
    axes[0].plot(separations, diverging, "^--", label="a student diverging")
    axes[0].set_xlabel(r"separation $\Delta$")
    axes[0].set_ylabel(f"fraction of {rows[0]['runs']} seeds (95% Clopper-Pearson)")
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(fontsize=7)
    _loss_panel(axes[1], cases, lambda c: rf"$\Delta$ = {float(c['separation']):g}")
    _stability_panel(axes[2], separations, cases, summary["settings"]["eta"], xlabel=r"separation $\Delta$")
    fig.suptitle(_title(summary, f"n = K students, sigma = {summary['settings']['exact']['sigma']}"))
    return fig


def over_figure(summary, cases):
    rows = summary["cases"]
    separations = sorted({r["separation"] for r in rows})
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    for k, delta in enumerate(separations):
        sub = [r for r in rows if r["separation"] == delta]
        ns = np.array([r["n"] for r in sub]) + 0.08 * (k - (len(separations) - 1) / 2)
        _errorbar(axes[0], ns, [r["recovered"] for r in sub], label=rf"$\Delta$ = {delta:g}")
        mean_diverging = [
            np.mean(c["diverging"])
            for c in sorted(cases, key=lambda c: int(c["n_components"]))
            if float(c["separation"]) == delta
        ]
        axes[1].plot([r["n"] for r in sub], mean_diverging, "o-", label=rf"$\Delta$ = {delta:g}")
    axes[0].set_xlabel("students n")
    axes[0].set_ylabel("fraction recovering every component (95% CP)")
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("students n")
    axes[1].set_ylabel("mean number of diverging students")
    axes[1].legend(fontsize=7)
    _loss_panel(
        axes[2],
        sorted(cases, key=lambda c: (int(c["n_components"]), float(c["separation"]))),
        lambda c: rf"n = {int(c['n_components'])}, $\Delta$ = {float(c['separation']):g}",
    )
    fig.suptitle(_title(summary, f"n > K students, sigma = {summary['settings']['over']['sigma']}"))
    return fig


def small_init_figure(summary, cases):
    rows = summary["cases"]
    level = summary["settings"]["small_init"]["level"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for row in rows:
        sigmas = [e["sigma"] for e in row["by_sigma"]]
        fraction = [e["fraction"] for e in row["by_sigma"]]
        lo = [e["ci_lo"] for e in row["by_sigma"]]
        hi = [e["ci_hi"] for e in row["by_sigma"]]
        (line,) = axes[0].semilogx(sigmas, fraction, "o-", label=rf"n = {row['n']}, $\Delta$ = {row['separation']:g}")
        axes[0].fill_between(sigmas, lo, hi, color=line.get_color(), alpha=0.15)
    axes[0].axhline(level, color="k", ls=":", label=f"sigma* level {level}")
    axes[0].set_xlabel(r"initial spread $\sigma$")
    axes[0].set_ylabel(f"fraction split (95% CP, {rows[0]['by_sigma'][0]['runs']} seeds)")
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(fontsize=7)
    found = [r for r in rows if r["sigma_star"] is not None]
    if found:
        axes[1].semilogy([r["separation"] for r in found], [r["sigma_star"] for r in found], "o")
    for n, law in summary["laws"].items():
        if law:
            delta = np.linspace(min(r["separation"] for r in rows), max(r["separation"] for r in rows), 50)
            axes[1].semilogy(
                delta,
                np.exp(law["intercept"] + law["slope"] * delta),
                "--",
                label=f"n = {n}: ln sigma* = {law['intercept']:.2f} {law['slope']:+.2f} Delta",
            )
    statuses = ", ".join(f"{r['separation']:g}: {r['sigma_star_status']}" for r in rows)
    axes[1].set_title(f"sigma* per Delta ({statuses})", fontsize=8)
    axes[1].set_xlabel(r"separation $\Delta$")
    axes[1].set_ylabel(r"critical spread $\sigma^*$")
    if any(summary["laws"].values()):
        axes[1].legend(fontsize=7)
    fig.suptitle(_title(summary, "split = every student converged and every component reached"), fontsize=10)
    return fig


def mixture_figure(kind, summary, cases):
    """The figure of one experiment kind ("exact", "over" or "small_init")."""
    figures = {"exact": exact_figure, "over": over_figure, "small_init": small_init_figure}
    if kind not in figures:
        raise ValueError(f"mixture figure: unknown kind {kind!r} (allowed: {', '.join(figures)})")
    return figures[kind](summary, cases)
