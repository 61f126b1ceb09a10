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


def _styles(curves):
    """(colour, linestyle) per curve: one line style per experiment (the label's part
    before '/'), tab10 colours in order within an experiment."""
    experiments = [curve["label"].split("/")[0] for curve in curves]
    order = list(dict.fromkeys(experiments))
    dashes = ["-", "--", "-.", ":"]
    return [(f"C{experiments[:i].count(e) % 10}", dashes[order.index(e) % 4]) for i, e in enumerate(experiments)]


# local slopes are drawn in this range: the warm-up's steep transients would hide the tail
SLOPE_RANGE = (-3.0, 0.5)


def slope_panel(ax, curves, *, exponent_tol):
    """Local log-log slope of the seed-mean loss against tau, with the theory's slopes."""
    for curve, (colour, dash) in zip(curves, _styles(curves)):
        slopes = curve["fit"]["local_slopes"]
        ax.semilogx(
            _as_array(slopes["centres"]),
            _as_array(slopes["mean"]),
            color=colour,
            ls=dash,
            label=f"{curve['label']}: tail {_exponent_text(curve['fit'])}",
        )
        lo, hi = curve["fit"]["windows"]["tail"]
        if curve["fit"]["exponent"] is not None:
            ax.hlines(curve["fit"]["exponent"], lo, hi, colors=colour, lw=4, alpha=0.35)
    ax.axhline(-0.5, color="0.3", ls=":", lw=1, label=r"$-1/2$: Thm 2.1's $O(\tau^{-1/2})$")
    ax.axhline(-1.0, color="k", ls="--", lw=1, label=r"$-1$: Thm 3.5's $O(1/\tau)$")
    ax.axhspan(
        -1 - exponent_tol,
        -1 + exponent_tol,
        color="k",
        alpha=0.08,
        label=rf"$-1 \pm {exponent_tol:g}$ (Figure 1 slope)",
    )
    ax.set_ylim(*SLOPE_RANGE)
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"local slope $d \log L / d \log \tau$")


def rate_slopes_figure(curves, *, exponent_tol):
    """Local slope against tau, one panel per experiment (thick segment: the tail fit
    exponent over its window)."""
    experiments = list(dict.fromkeys(curve["label"].split("/")[0] for curve in curves))
    columns = min(2, len(experiments))
    rows = -(-len(experiments) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4.6 * rows), squeeze=False)
    for ax, experiment in zip(axes.flat, experiments):
        slope_panel(ax, [c for c in curves if c["label"].split("/")[0] == experiment], exponent_tol=exponent_tol)
        ax.set_title(experiment)
        ax.legend(fontsize="x-small", loc="lower right")
    for ax in axes.flat[len(experiments) :]:
        ax.axis("off")
    fig.suptitle(
        "Local log-log slope of the seed-mean loss (1/3-decade windows; thick: tail fit "
        f"exponent [interval]; range {SLOPE_RANGE[0]:g} to {SLOPE_RANGE[1]:g})"
    )
    fig.tight_layout()
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


def rate_scaled_figure(curves, *, panels):
    """tau^p L(tau) of the seed-mean curve, one panel per p that a claim reads.

    panels: [{power, title, experiments}] (scorematch.claims.scaled_loss_panels); a
    panel draws the curves of its experiments (the label's part before '/').  Bounded
    (flat or falling) for p = 1/2 is Theorem 2.1, for p = 1 Theorem 3.5; rising for
    p = 1 + eps is Theorem 3.7.  The p = 1 panel also draws the log-corrected fit
    C / (ln tau)**p over the tail window.
    """
    columns = 3
    rows = -(-len(panels) // columns)
    styles = dict(zip((c["label"] for c in curves), _styles(curves)))
    fig, axes = plt.subplots(rows, columns, figsize=(14, 4.4 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        power = panel["power"]
        for curve in curves:
            if curve["label"].split("/")[0] not in panel["experiments"]:
                continue
            colour, dash = styles[curve["label"]]
            tau = np.asarray(curve["tau"], dtype=np.float64)
            mean = seed_mean_curve(curve["loss"])
            shown = (tau > 0) & np.isfinite(mean)
            ax.loglog(tau[shown], tau[shown] ** power * mean[shown], color=colour, ls=dash, lw=1, label=curve["label"])
            lo, hi = curve["fit"]["windows"]["tail"]
            if lo is None:
                continue
            inside = shown & (tau >= lo) & (tau <= hi)
            ax.loglog(tau[inside], tau[inside] ** power * mean[inside], color=colour, ls=dash, lw=2.5)
            corrected = _log_corrected_curve(tau, mean, curve["fit"]) if power == 1.0 else None
            if corrected is not None:
                ax.loglog(*corrected, color="k", ls=(0, (2, 1)), lw=0.8)
        if power == 1.0:
            ax.plot([], [], color="k", ls=(0, (2, 1)), lw=0.8, label=r"log-corrected fit $C / (\ln \tau)^p$")
        ax.set_xlabel(r"iteration $\tau$")
        ax.set_ylabel(rf"$\tau^{{{power:g}}} L(\tau)$")
        ax.set_title(rf"$\tau^{{{power:g}}} L$ ({panel['title']})", fontsize="medium")
        ax.legend(fontsize="x-small", loc="best")
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    fig.suptitle(
        r"Scaled seed-mean loss $\tau^p L(\tau)$: bounded for Thms 2.1 ($p = 1/2$) and 3.5 "
        r"($p = 1$), growing for Thm 3.7 ($p = 1 + \epsilon$); thick: tail fit window"
    )
    fig.tight_layout()
    return fig


def minibatch_figure(curves, *, exponent_tol):
    """Exact against minibatch training from the same start: loss curves with the fitted
    tail power law (left) and local slopes (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
    for curve, (colour, dash) in zip(curves, _styles(curves)):
        tau = np.asarray(curve["tau"], dtype=np.float64)
        mean = seed_mean_curve(curve["loss"])
        shown = (tau > 0) & np.isfinite(mean)
        left.loglog(tau[shown], mean[shown], color=colour, ls=dash, label=curve["label"])
        fit = curve["fit"]
        lo, hi = fit["windows"]["tail"]
        if fit["exponent"] is None:
            continue
        inside = shown & (tau >= lo) & (tau <= hi)
        # fitted line through the window's geometric centre of the seed-mean curve
        x0 = np.exp(np.mean(np.log(tau[inside])))
        y0 = np.exp(np.mean(np.log(mean[inside])))
        t = tau[inside]
        left.loglog(t, y0 * (t / x0) ** fit["exponent"], color=colour, ls=(0, (1, 1)), lw=2)
    left.plot([], [], color="k", ls=(0, (1, 1)), lw=2, label="tail power-law fit")
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
        # a bootstrap percentile interval need not contain the seed-mean point: clip at 0
        bottom.errorbar(
            eta, exponent, yerr=[np.clip(lower, 0, None), np.clip(upper, 0, None)], fmt="o-", ms=4, capsize=2
        )
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
