"""Figures of the convergence-rate stage, as matplotlib objects (no file I/O here).

Every function takes `curves`: a list of dicts, one per fitted case, with
    label   legend text
    tau     (T,) recorded iterations
    loss    (runs, T) population loss
    fit     the case's entry of results/rates/{experiment}.json (see rate_summary.fit_case)
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from scorematch.rate_summary import seed_mean_curve  # noqa: E402


def _as_array(values):
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _exponent_text(fit):
    b, (lo, hi) = fit["exponent"], fit["ci"]
    if b is None:
        return "exponent n/a"
    ci = "" if lo is None or hi is None else f" [{lo:.3f}, {hi:.3f}]"
    return f"{b:.3f}{ci}"


def slope_panel(ax, curves, *, exponent_tol):
    """Local log-log slope of the seed-mean loss against tau, with the theory's slopes."""
    for index, curve in enumerate(curves):
        slopes = curve["fit"]["local_slopes"]
        line = ax.semilogx(
            _as_array(slopes["centres"]),
            _as_array(slopes["mean"]),
            label=f"{curve['label']}: tail {_exponent_text(curve['fit'])}",
        )[0]
        lo, hi = curve["fit"]["windows"]["tail"]
        if curve["fit"]["exponent"] is not None:
            ax.hlines(curve["fit"]["exponent"], lo, hi, colors=line.get_color(), lw=3, alpha=0.4)
    ax.axhline(-0.5, color="0.3", ls=":", lw=1, label=r"$-1/2$ (Thm 2.1 bound)")
    ax.axhline(-1.0, color="k", ls="--", lw=1, label=r"$-1$ (Thm 3.5)")
    ax.axhspan(-1 - exponent_tol, -1 + exponent_tol, color="k", alpha=0.08)
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"local slope $d\log L / d\log\tau$ (1/3 decade)")
    ax.legend(fontsize="x-small")


def rate_slopes_figure(curves, *, exponent_tol):
    """Local slope against tau for every fitted case (thick segment: tail fit and window)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    slope_panel(ax, curves, exponent_tol=exponent_tol)
    ax.set_title("Measured convergence rates (shaded band: $-1 \\pm$ tolerance)")
    fig.tight_layout()
    return fig


def rate_scaled_figure(curves, *, eps):
    """tau^p L(tau) of the seed-mean curve for p = 1/2, 1 and 1 + eps (one panel per p).

    Bounded (flat or falling) for p = 1/2 is Theorem 2.1; flat for p = 1 is Theorem 3.5;
    rising for p = 1 + eps is Theorem 3.7.
    """
    powers = [(0.5, r"$\tau^{1/2} L$"), (1.0, r"$\tau L$")] + [
        (1.0 + e, rf"$\tau^{{{1 + e:g}}} L$") for e in eps
    ]
    fig, axes = plt.subplots(1, len(powers), figsize=(3.6 * len(powers), 3.8), squeeze=False)
    for ax, (power, name) in zip(axes[0], powers):
        for curve in curves:
            tau = np.asarray(curve["tau"], dtype=np.float64)
            mean = seed_mean_curve(curve["loss"])
            shown = (tau > 0) & np.isfinite(mean)
            line = ax.loglog(tau[shown], tau[shown] ** power * mean[shown], label=curve["label"])[0]
            lo, hi = curve["fit"]["windows"]["tail"]
            inside = shown & (tau >= lo) & (tau <= hi)
            ax.loglog(tau[inside], tau[inside] ** power * mean[inside], color=line.get_color(), lw=2.5)
        windows = {tuple(curve["fit"]["windows"]["tail"]) for curve in curves}
        for lo, hi in windows:
            ax.axvspan(lo, hi, color="k", alpha=0.06 / len(windows))
        ax.set_xlabel(r"iteration $\tau$")
        ax.set_title(name)
    axes[0, 0].legend(fontsize="x-small")
    fig.suptitle(r"Scaled loss $\tau^p L(\tau)$ (shaded, thick: tail fit window)")
    fig.tight_layout()
    return fig


def minibatch_figure(curves, *, exponent_tol):
    """Exact against minibatch training from the same start: loss curves with the fitted
    tail power law (left) and local slopes (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for curve in curves:
        tau = np.asarray(curve["tau"], dtype=np.float64)
        mean = seed_mean_curve(curve["loss"])
        shown = (tau > 0) & np.isfinite(mean)
        line = left.loglog(tau[shown], mean[shown], label=curve["label"])[0]
        fit = curve["fit"]
        lo, hi = fit["windows"]["tail"]
        inside = shown & (tau >= lo) & (tau <= hi)
        if fit["exponent"] is not None and inside.any():
            # fitted line through the window's geometric centre of the seed-mean curve
            x0 = np.exp(np.mean(np.log(tau[inside])))
            y0 = np.exp(np.mean(np.log(mean[inside])))
            t = tau[inside]
            left.loglog(
                t,
                y0 * (t / x0) ** fit["exponent"],
                color=line.get_color(),
                ls="--",
                lw=1,
                label=f"fit {_exponent_text(fit)}",
            )
    left.set_xlabel(r"iteration $\tau$")
    left.set_ylabel(r"population loss $L(\tau)$")
    left.set_title("Exact vs minibatch gradients (same initial parameters)")
    left.legend(fontsize="x-small")
    slope_panel(right, curves, exponent_tol=exponent_tol)
    right.set_title("Local slopes")
    fig.tight_layout()
    return fig
