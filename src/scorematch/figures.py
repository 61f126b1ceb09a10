"""Figures as matplotlib objects built from result arrays (no file I/O here)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def distance_panel(ax, tau, distance, *, title):
    """Distances ||mu_i - mu*|| of one run against iterations; tau (T,), distance (T, n)."""
    shown = tau > 0
    for i in range(distance.shape[-1]):
        ax.plot(tau[shown], distance[shown, i], label=f"$\\mu_{{{i + 1}}}$")
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
