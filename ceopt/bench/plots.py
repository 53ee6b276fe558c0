"""The runtime ECDF plots of a BBOB run: one figure per dimension, a panel per function group.
matplotlib (the ``bench`` extra) is imported only when a figure is drawn."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .measure import GROUPS, budget_per_dim, ranking, select

# -- the curves ----------------------------------------------------------------------------------
STYLE = {  # ceopt in solid, heavy lines; the peers thinner and dashed
    "ceopt": dict(color="tab:red", lw=2.6, ls="-"),
    "ceopt-diag": dict(color="tab:orange", lw=2.2, ls="-"),
    "ceopt-bipop": dict(color="tab:red", lw=1.8, ls=":"),
    "ceopt-textbook-diag": dict(color="tab:pink", lw=2.0, ls="--"),
    "ceopt-textbook-full": dict(color="tab:cyan", lw=2.0, ls="--"),
    "cma-ipop": dict(color="black", lw=1.6, ls="-"),
    "de": dict(color="tab:blue", lw=1.4, ls="--"),
    "dual-annealing": dict(color="tab:green", lw=1.4, ls="--"),
    "direct": dict(color="tab:purple", lw=1.4, ls="-."),
    "nelder-mead": dict(color="tab:brown", lw=1.4, ls=":"),
    "powell": dict(color="tab:olive", lw=1.4, ls=(0, (5, 1, 1, 1, 1, 1))),
}


def ecdf_curve(runs, evals_per_dim: float) -> tuple[np.ndarray, np.ndarray]:
    """Steps of the runtime ECDF: x = log10(evaluations / dim), y = fraction reached."""
    x = np.sort([math.log10(h / r["dim"]) for r in runs for h in r["hits"] if h == h])
    n = sum(len(r["hits"]) for r in runs)
    top = math.log10(evals_per_dim)
    x = np.concatenate([[0.0], x, [top]])
    y = np.concatenate([[0.0], np.arange(1, x.size - 1) / n, [(x.size - 2) / n]])
    return x, y


def label_panels(axes) -> None:
    """The axis labels and the legend of a 2 x 3 grid of ECDF panels (the legend in the first,
    "all functions"): what every runtime-ECDF figure of the benchmarks shares."""
    for ax in axes[1]:
        ax.set_xlabel("log10(evaluations / dimension)")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of (f, instance, target) reached")
    axes.flat[0].legend(loc="upper left", fontsize=8.5, framealpha=0.9)


def plot_dim(runs, dim: int, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    full = budget_per_dim(runs)
    panels = {"all functions": range(1, 25), **GROUPS}
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True, sharey=True)
    order = [s for s, _ in ranking(select(runs, dim=dim), full)]
    for ax, (title, fs) in zip(axes.flat, panels.items(), strict=True):
        if not select(runs, dim=dim, functions=fs):
            ax.set_visible(False)  # a group none of whose functions was run
            continue
        for solver in order:
            x, y = ecdf_curve(select(runs, solver, dim, fs), full)
            ax.step(x, y, where="post", label=solver, **STYLE.get(solver, {}))
        ax.axvline(math.log10(full / 10), color="0.6", lw=0.8)
        ax.set_title(title, fontsize=11)
        ax.set_xlim(0, math.log10(full))
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    label_panels(axes)  # the "all functions" panel, which holds the legend, is never empty
    n_inst = len({r["instance"] for r in runs})
    fig.suptitle(f"BBOB, d={dim}: runtime ECDF over targets 1e1…1e-8, {n_inst} instances "
                 f"(grey line: a tenth of the budget)", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
