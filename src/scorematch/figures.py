"""Figures as matplotlib objects built from result arrays (no file I/O here)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "v", "D", "P", "X")
MARKERS_PER_LINE = 8
MAX_COLUMNS = 3  # panels per row: wider strips are unreadable at report size


def parameter_style(i, n_points):
    """Line style of parameter i: colour, dash and marker all differ, and the markers of
    different parameters sit at staggered points, so parameters on identical trajectories
    stay distinguishable (markers side by side on one line)."""
    every = max(n_points // MARKERS_PER_LINE, 1)
    return {
        "color": f"C{i % 10}",
        "ls": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
        "markevery": ((i * every) // len(MARKERS) % every, every),
        "markersize": 5,
        "markerfacecolor": "none",
        "label": f"$\\mu_{{{i + 1}}}$",
    }


def distance_panel(ax, tau, distance, *, title):
    """Distances ||mu_i - mu*|| of one run against iterations; tau (T,), distance (T, n)."""
    shown = tau > 0
    for i in range(distance.shape[-1]):
        ax.plot(tau[shown], distance[shown, i], **parameter_style(i, int(shown.sum())))
    ax.set_xscale("log")
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"$\|\mu_i - \mu^*\|$")
    ax.set_title(title)
    ax.legend(fontsize="small")


def loss_panel(ax, tau, loss, *, title, reference_slope=-1.0):
    """Log-log loss of one run with a reference power-law line; tau (T,), loss (T,)."""
    shown = (tau > 0) & (loss > 0)
    ax.loglog(tau[shown], loss[shown], label="population loss")
    anchor = np.flatnonzero(shown)[-1]
    ref = loss[anchor] * (tau[shown] / tau[anchor]) ** reference_slope
    ax.loglog(tau[shown], ref, "k--", lw=0.8, label=rf"$\propto \tau^{{{reference_slope:g}}}$")
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"$L(\tau)$")
    ax.set_title(title)
    ax.legend(fontsize="small")


def figure1(results, *, labels):
    """The paper's Figure 1: distances (top) and log-log loss (bottom) per case.

    results: list of result dicts (tau, distance (R, T, n), loss (R, T)); run 0 is shown.
    labels: one title per case.
    """
    fig, axes = plt.subplots(2, len(results), figsize=(5 * len(results), 8), squeeze=False)
    for column, (arrays, label) in enumerate(zip(results, labels)):
        distance_panel(axes[0, column], arrays["tau"], arrays["distance"][0], title=label)
        loss_panel(axes[1, column], arrays["tau"], arrays["loss"][0], title=label)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Theorem experiments


def _positive(tau, values):
    shown = (tau > 0) & np.isfinite(values) & (values > 0)
    return tau[shown], values[shown]


def thm2_1_figure(results, *, labels, thresholds, title):
    """Theorem 2.1: per noise scale t, the largest distance to mu*_t relative to its
    start, the loss, and sqrt(tau) L (run 0).  thresholds: t >= threshold per case."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(results)))
    for arrays, label, covered, colour in zip(results, labels, thresholds, colours):
        tau = arrays["tau"]
        largest = arrays["distance"][0].max(axis=-1)
        style = "-" if covered else ":"
        axes[0].loglog(*_positive(tau, largest / largest[0]), style, color=colour, label=label)
        axes[1].loglog(*_positive(tau, arrays["loss"][0]), style, color=colour, label=label)
        axes[2].loglog(*_positive(tau, np.sqrt(tau) * arrays["loss"][0]), style, color=colour, label=label)
    axes[0].set_ylabel(r"$\max_i\|\mu_i - \mu^*_t\| / \max_i\|\mu_i(0) - \mu^*_t\|$")
    axes[1].set_ylabel(r"$L(\tau)$")
    axes[2].set_ylabel(r"$\sqrt{\tau}\,L(\tau)$")
    for ax in axes:
        ax.set_xlabel(r"iteration $\tau$")
    axes[0].legend(fontsize="small", title="solid: covered by Thm 2.1")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def thm3_1_figure(a_grid, loss_grid, point, escape):
    """Theorem 3.1: L(a) along (0, a e1, -a e1) with a* marked; distances and loss of GD
    runs started near a* (escape: result dict)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    axes[0].plot(a_grid, loss_grid)
    axes[0].axvline(point["a_star"], color="k", ls="--", lw=0.8)
    axes[0].plot(
        [point["a_star"]],
        [point["loss"]],
        "ro",
        label=f"$a^* = {point['a_star']:.10f}$\n$L = {point['loss']:.6f}$ ({point['classification']})",
    )
    axes[0].set_xlabel("$a$")
    axes[0].set_ylabel(r"$L(0, a e_1, -a e_1)$")
    axes[0].legend(fontsize="small")
    tau = escape["tau"]
    runs, _, n = escape["distance"].shape
    for r in range(runs):
        run_style = LINESTYLES[r % len(LINESTYLES)]
        for i in range(n):
            axes[1].semilogx(
                tau[tau > 0],
                escape["distance"][r, tau > 0, i],
                color=f"C{i}",
                ls=run_style,
                alpha=0.8,
                label=f"$\\mu_{{{i + 1}}}$" if r == 0 else None,
            )
        axes[1].plot([], [], "k", ls=run_style, label=f"run {r}")
        axes[2].loglog(
            *_positive(tau, escape["loss"][r]), color=f"C{r}", label=f"run {r}: {escape['n_converged'][r]} converged"
        )
    axes[1].set_ylabel(r"$\|\mu_i - \mu^*\|$")
    axes[2].set_ylabel(r"$L(\tau)$")
    for ax in axes[1:]:
        ax.set_xlabel(r"iteration $\tau$")
        ax.legend(fontsize="small")
    axes[1].set_title(r"GD from $a^*$ plus a small random perturbation")
    fig.suptitle("Theorem 3.1: a stationary point with nonzero loss")
    fig.tight_layout()
    return fig


def thm3_2_figure(results, *, labels, spreads, title):
    """Theorem 3.2: per M0 (columns), distance of the cluster centre A(tau) to mu* (top)
    and the spread max_i ||mu_i - A|| (bottom), one line per run coloured by the
    initial spread.  spreads: per case, (R,) initial spreads."""
    fig, axes = plt.subplots(2, len(results), figsize=(5 * len(results) + 1, 8), squeeze=False, layout="constrained")
    all_levels = np.log10(np.concatenate([np.asarray(s, dtype=float) for s in spreads]))
    norm = matplotlib.colors.Normalize(all_levels.min(), all_levels.max() + 1e-9)
    for column, (arrays, label, spread0) in enumerate(zip(results, labels, spreads)):
        tau = arrays["tau"]
        levels = np.log10(spread0)
        centre_distance = np.linalg.norm(arrays["centre"] - arrays["target"], axis=-1)
        for r in range(len(spread0)):
            colour = plt.cm.plasma(norm(levels[r]))
            axes[0, column].loglog(*_positive(tau, centre_distance[r]), color=colour, alpha=0.8)
            axes[1, column].loglog(*_positive(tau, arrays["spread"][r]), color=colour, alpha=0.8)
        axes[0, column].set_title(label)
        axes[0, column].set_ylabel(r"$\|A(\tau) - \mu^*\|$")
        axes[1, column].set_ylabel(r"spread $\max_i\|\mu_i - A\|$")
        axes[1, column].set_xlabel(r"iteration $\tau$")
    sm = plt.cm.ScalarMappable(norm=norm, cmap="plasma")
    fig.colorbar(sm, ax=axes.ravel().tolist(), label="log10 initial spread")
    fig.suptitle(title)
    return fig


def thm3_4_figure(results, *, labels, title):
    """Theorem 3.4: distances ||mu_i - mu*|| of every parameter (run 0), per case."""
    columns = min(len(results), MAX_COLUMNS)
    rows = -(-len(results) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4.2 * rows), squeeze=False)
    for ax in axes.ravel()[len(results) :]:
        ax.set_visible(False)
    for ax, arrays, label in zip(axes.ravel(), results, labels):
        tau = arrays["tau"]
        for i in range(arrays["distance"].shape[-1]):
            ax.loglog(*_positive(tau, arrays["distance"][0, :, i]), **parameter_style(i, len(tau)))
        ax.set_title(label)
        ax.set_xlabel(r"iteration $\tau$")
        ax.set_ylabel(r"$\|\mu_i - \mu^*\|$")
        ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _fraction_text(row, outcome):
    f = row[outcome]
    return f"{outcome} = {f['fraction']:.3f} [{f['ci_lo']:.3f}, {f['ci_hi']:.3f}]"


def outcomes_figure(results, *, labels, summary, title):
    """Outcomes over seeds: distribution of n_converged per case with the fractions of
    'all' and 'one' outcomes and their intervals (left); loss curves (right: median,
    10-90% band, reference 1/tau).  summary: per case, n_converged_counts and for each
    outcome in ("all", "one") its :func:`scorematch.claims.fraction_with_interval`."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.8))
    ax = axes[0]
    width = 0.8 / max(len(results), 1)
    for c, (row, label) in enumerate(zip(summary, labels)):
        counts = np.asarray(row["n_converged_counts"], dtype=float)
        ax.bar(
            np.arange(len(counts)) + (c - (len(results) - 1) / 2) * width,
            counts / counts.sum(),
            width,
            label=f"{label}: " + ", ".join(_fraction_text(row, outcome) for outcome in ("all", "one")),
        )
    ax.set_xlabel("number of converged parameters")
    ax.set_ylabel("fraction of seeds")
    # below the axes: the bars reach 1, where a legend inside would hide them
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15))
    ax.set_title("outcomes (Clopper-Pearson intervals of 'all' and 'exactly one')")
    ax = axes[1]
    for c, (arrays, label) in enumerate(zip(results, labels)):
        tau = arrays["tau"]
        shown = tau > 0
        with np.errstate(divide="ignore"):
            logs = np.log10(arrays["loss"][:, shown])
        lo, mid, hi = np.percentile(logs, [10, 50, 90], axis=0)
        ax.loglog(tau[shown], 10**mid, color=f"C{c}", label=f"{label} (median)")
        ax.fill_between(tau[shown], 10**lo, 10**hi, color=f"C{c}", alpha=0.2)
        ref = 10 ** mid[-1] * tau[shown][-1] / tau[shown]
        ax.loglog(tau[shown], ref, "--", color=f"C{c}", lw=0.9)
    ax.plot([], [], "k--", lw=0.9, label=r"$\propto 1/\tau$ through each" "\n" "case's last median")
    ax.set_xlabel(r"iteration $\tau$")
    ax.set_ylabel(r"$L(\tau)$")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return fig
