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
    for curve in curves:
        slopes = curve["fit"]["local_slopes"]
        line = ax.semilogx(
            _as_array(slopes["centres"]),
            _as_array(slopes["mean"]),
            label=f"{curve['label']}: tail {_exponent_text(curve['fit'])}",
        )[0]
        lo, hi = curve["fit"]["windows"]["tail"]
        if curve["fit"]["exponent"] is not None:
            ax.hlines(curve["fit"]["exponent"], lo, hi, colors=line.get_color(), lw=3, alpha=0.4)
    ax.axhline(-0.5, color="0.3", ls=":", lw=1, label=r"$-1/2$: Thm 2.1's $O(\tau^{-1/2})$")
    ax.axhline(-1.0, color="k", ls="--", lw=1, label=r"$-1$: Thm 3.5's $O(1/\tau)$")
    ax.axhspan(-1 - exponent_tol, -1 + exponent_tol, color="k", alpha=0.08,
               label=rf"$-1 \pm {exponent_tol:g}$ (Figure 1 slope)")
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"local slope $d \log L / d \log \tau$")


def _legend_below(fig, ax, *, ncol):
    """One legend under the axes, outside them (never over the data)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize="small", frameon=False)


def rate_slopes_figure(curves, *, exponent_tol):
    """Local slope against tau for every fitted case (thick segment: tail fit and window)."""
    rows = len(curves) + 3
    fig, ax = plt.subplots(figsize=(9, 5 + 0.22 * rows))
    slope_panel(ax, curves, exponent_tol=exponent_tol)
    ax.set_title("Local log-log slope of the seed-mean loss (thick: tail fit over its window)")
    _legend_below(fig, ax, ncol=2)
    fig.tight_layout(rect=(0, 0.11 * rows / 6 + 0.05, 1, 1))
    return fig


def _log_corrected_curve(tau, mean, fit):
    """C / (ln tau)**p over the tail window (the log-corrected fit of tau L), or None.

    C is the least-squares intercept: log C = mean over the window of
    log(tau L) + p log(ln tau)."""
    corrected = fit["log_corrected"]
    if corrected["p"] is None:
        return None
    lo, hi = fit["windows"]["tail"]
    inside = (tau >= lo) & (tau <= hi) & (tau > 1) & np.isfinite(mean) & (mean > 0)
    t = tau[inside]
    log_c = np.mean(np.log(t * mean[inside]) + corrected["p"] * np.log(np.log(t)))
    return t, np.exp(log_c) / np.log(t) ** corrected["p"]


def rate_scaled_figure(curves, *, eps):
    """tau^p L(tau) of the seed-mean curve for p = 1/2, 1 and 1 + eps (one panel per p).

    Bounded (flat or falling) for p = 1/2 is Theorem 2.1; bounded for p = 1 is Theorem
    3.5; rising for p = 1 + eps is Theorem 3.7.  The tau L panel also draws the
    log-corrected fit C / (ln tau)**p over the tail window (dashed).
    """
    powers = [(0.5, r"$\tau^{1/2} L$: bounded (Thm 2.1)"), (1.0, r"$\tau L$: bounded (Thm 3.5)")] + [
        (1.0 + e, rf"$\tau^{{{1 + e:g}}} L$: grows (Thm 3.7)") for e in eps
    ]
    columns = 3
    rows = -(-len(powers) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(13, 3.9 * rows + 1.2), squeeze=False)
    for ax, (power, name) in zip(axes.flat, powers):
        for curve in curves:
            tau = np.asarray(curve["tau"], dtype=np.float64)
            mean = seed_mean_curve(curve["loss"])
            shown = (tau > 0) & np.isfinite(mean)
            line = ax.loglog(tau[shown], tau[shown] ** power * mean[shown], lw=1, label=curve["label"])[0]
            lo, hi = curve["fit"]["windows"]["tail"]
            if lo is None:
                continue
            inside = shown & (tau >= lo) & (tau <= hi)
            ax.loglog(tau[inside], tau[inside] ** power * mean[inside], color=line.get_color(), lw=2.5)
            corrected = _log_corrected_curve(tau, mean, curve["fit"]) if power == 1.0 else None
            if corrected is not None:
                ax.loglog(*corrected, color="k", ls="--", lw=0.8)
        ax.set_xlabel(r"iteration $\tau$")
        ax.set_title(name, fontsize="medium")
    for ax in axes.flat[len(powers):]:
        ax.axis("off")
    tau_l = axes.flat[1]
    tau_l.plot([], [], color="k", ls="--", lw=0.8, label=r"log-corrected fit $C / (\ln \tau)^p$")
    handles, labels = tau_l.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize="small", frameon=False)
    fig.suptitle(r"Scaled seed-mean loss $\tau^p L(\tau)$ (thick: tail fit window)")
    fig.tight_layout(rect=(0, 0.04 + 0.025 * (len(curves) // 3 + 1), 1, 1))
    return fig


def minibatch_figure(curves, *, exponent_tol):
    """Exact against minibatch training from the same start: loss curves with the fitted
    tail power law (left) and local slopes (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
    for curve in curves:
        tau = np.asarray(curve["tau"], dtype=np.float64)
        mean = seed_mean_curve(curve["loss"])
        shown = (tau > 0) & np.isfinite(mean)
        line = left.loglog(tau[shown], mean[shown], label=curve["label"])[0]
        fit = curve["fit"]
        lo, hi = fit["windows"]["tail"]
        if fit["exponent"] is None:
            continue
        inside = shown & (tau >= lo) & (tau <= hi)
        # fitted line through the window's geometric centre of the seed-mean curve
        x0 = np.exp(np.mean(np.log(tau[inside])))
        y0 = np.exp(np.mean(np.log(mean[inside])))
        t = tau[inside]
        left.loglog(t, y0 * (t / x0) ** fit["exponent"], color=line.get_color(), ls="--", lw=1)
    left.plot([], [], color="k", ls="--", lw=1, label="tail power-law fit")
    left.set_xlabel(r"iteration $\tau$")
    left.set_ylabel(r"population loss $L(\tau)$")
    left.set_title("Exact vs minibatch gradients (same start)")
    left.legend(fontsize="small")
    slope_panel(right, curves, exponent_tol=exponent_tol)
    right.set_title("Local slopes")
    right.legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    return fig


def step_size_figure(rows, *, theorem_eta):
    """The step-size experiment: outcome fractions (top) and tail exponent (bottom)
    against eta, one column per base case.  rows: results/step_size.json rows."""
    bases = list(dict.fromkeys(row["base"] for row in rows))
    fig, axes = plt.subplots(2, len(bases), figsize=(3.6 * len(bases) + 1, 6.5), squeeze=False, sharex=True)
    styles = {"all": "o-", "one": "s-", "other": "^-", "diverged": "x-"}
    for column, base in enumerate(bases):
        mine = sorted((r for r in rows if r["base"] == base), key=lambda r: r["eta"])
        eta = np.array([r["eta"] for r in mine])
        top, bottom = axes[0, column], axes[1, column]
        for outcome, style in styles.items():
            top.plot(eta, [r[f"fraction_{outcome}"] for r in mine], style, ms=4, label=outcome)
        exponent = _as_array([r["exponent"] for r in mine])
        lower = exponent - _as_array([r["ci_lo"] for r in mine])
        upper = _as_array([r["ci_hi"] for r in mine]) - exponent
        bottom.errorbar(eta, exponent, yerr=[lower, upper], fmt="o-", ms=4, capsize=2)
        bottom.axhline(-1.0, color="k", ls="--", lw=0.8)
        stable = [r["lambda_max"] for r in mine if r["lambda_max"]]
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.axvline(theorem_eta, color="0.4", ls=":", lw=1)
            if stable:
                ax.axvline(2.0 / stable[0], color="C3", ls="--", lw=1)
        top.set_title(base, fontsize="medium")
        top.set_ylim(-0.05, 1.05)
        bottom.set_xlabel(r"step size $\eta$")
    axes[0, 0].set_ylabel("fraction of runs")
    axes[1, 0].set_ylabel(r"tail exponent of $L(\tau)$")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles += [
        plt.Line2D([], [], color="0.4", ls=":"),
        plt.Line2D([], [], color="C3", ls="--"),
        plt.Line2D([], [], color="k", ls="--", lw=0.8),
    ]
    labels += [r"theorem experiments' $\eta$", r"stability limit $2/\lambda_{\max}$", "exponent $-1$"]
    fig.legend(handles, labels, loc="lower center", ncol=7, fontsize="small", frameon=False)
    fig.suptitle("Step-size experiment: outcomes and tail exponent against $\\eta$")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
