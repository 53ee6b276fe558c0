"""``plot(result)``: a picture of a run, or of a rare-event estimate (extra ``plot``).

matplotlib is imported when :func:`plot` is called, never by ``import ceopt``.

- An optimisation (:func:`ceopt.minimize`, :func:`ceopt.maximize`, :func:`ceopt.resume`,
  ``CrossEntropy.result()``): the best value so far and the elite threshold against the
  evaluations, the distribution's spread below, and a dashed vertical line at every restart
  (read from ``history["search"]``); the feasible fraction too when a population was not
  wholly feasible.
- A policy search (:mod:`ceopt.rl`): the population's best and mean return, the elite
  threshold and the proposal's check return, with the spread (or the episode-level loss).
- A rare-event estimate (:func:`ceopt.estimate_rare_event`,
  :func:`ceopt.estimate_failure_probability`): the level of each stage, the effective sample
  size of its weights, and the estimate with a +-2 standard error bar.

Every line drawn from the data has a ``gid`` naming what it shows ("best", "gamma",
"spread", "restart", "levels", ...), so a program (or a test) can find it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .rare_event import RareEventResult
from .reliability import FailureResult

if TYPE_CHECKING:  # matplotlib is optional: only its types are named here
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: The interval drawn around a rare-event estimate, in standard errors.
ERROR_BAR_SE = 2.0

RESULT_KINDS = ("the result of ceopt.minimize, maximize, resume, CrossEntropy.result(), "
                "ceopt.rl.policy_search, estimate_rare_event or estimate_failure_probability")


def plot(result: Any, path: str | os.PathLike | None = None, *,
         fig: Figure | SubFigure | None = None, title: str | None = None) -> Figure:
    """Draw a run's history, or a rare-event estimate's stages, and return the figure.

    Values are drawn in the user's sign (a maximisation's rise). Their axis is logarithmic
    when every value drawn is positive, else symmetric-logarithmic (linear near 0, which
    the axis label gives): either way the numbers on it are the values themselves. To see
    the approach to a non-zero optimum, plot ``history["best"] - res.fun`` yourself.

    Parameters
    ----------
    result : OptimizeResult or RareEventResult
        What :func:`ceopt.minimize`, :func:`ceopt.maximize`, :func:`ceopt.resume`,
        ``CrossEntropy.result()`` or :func:`ceopt.rl.policy_search` returned (or a callback
        got), or a :class:`ceopt.RareEventResult` / :class:`ceopt.FailureResult`.
    path : str or path-like, optional
        Save the figure there; the suffix gives the format (``.png``, ``.pdf``, ``.svg``...).
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw in. By default a new one is made: through pyplot when no
        ``path`` is given (so ``plt.show()`` and notebooks show it), else a bare Figure that
        pyplot does not keep open, so that saving many plots in a loop holds no memory.
    title : str, optional
        The figure's title; by default a summary of the result; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn (``fig``'s own figure when ``fig`` is a SubFigure).
    """
    _import_matplotlib()
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    if path is not None:
        path = _check_path(path)
    if isinstance(result, RareEventResult):
        layout = _RARE_EVENT_LAYOUT
    else:
        history = _history_of(result)
        layout = _history_layout(history)
    target, figure = _figure(fig, path, layout["figsize"])
    axes = target.subplots(**layout["subplots"])
    if isinstance(result, RareEventResult):
        default_title = _draw_rare_event(result, axes)
    else:
        default_title = _draw_history(result, history, axes)
    if title is None:
        title = default_title
    if title:
        target.suptitle(title, fontsize="medium")
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure


# -- arguments ---------------------------------------------------------------------------------
def _import_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError('ceopt.plot needs matplotlib: pip install matplotlib (or pip '
                          'install ".[plot]" in the ceopt checkout)') from exc


def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path), got "
                        f"{type(path).__name__}")
    path = Path(path)
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ValueError(f"path {str(path)!r} must end in a format matplotlib writes "
                         f"(.{', .'.join(sorted(formats))}); got {path.suffix or 'no suffix'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save the plot to {str(path)!r}: its folder "
                                f"{str(path.parent)!r} does not exist")
    return path


def _history_of(result: Any) -> dict[str, NDArray]:
    """``result``'s history as float arrays of one length, checked."""
    from .cross_entropy import CrossEntropy

    if isinstance(result, CrossEntropy):
        raise TypeError("result must be a result, not the CrossEntropy solver: pass "
                        "solver.result()")
    history = result.get("history") if isinstance(result, Mapping) else None
    if not isinstance(history, Mapping):
        raise TypeError(f"result must be {RESULT_KINDS}; got a {type(result).__name__} "
                        f"without a history")
    needed = ("nfev", "best", "gamma")
    missing = [name for name in needed if name not in history]
    if missing:
        raise ValueError(f"result.history lacks {', '.join(missing)}: result must be "
                         f"{RESULT_KINDS}")
    columns = {name: np.asarray(values, dtype=float) for name, values in history.items()}
    n = len(columns["nfev"])
    if any(column.shape != (n,) for column in columns.values()):
        raise ValueError("result.history's arrays must be one-dimensional and of one length "
                         "(one entry per iteration)")
    if n == 0:
        raise ValueError("result.history is empty: the run made no iteration, there is "
                         "nothing to plot")
    return columns


def _figure(fig: Any, path: Path | None, figsize: tuple[float, float]
            ) -> tuple[Figure | SubFigure, Figure]:
    """(where to draw, the whole figure)."""
    from matplotlib.figure import Figure, FigureBase

    if fig is None:
        if path is not None:
            made = Figure(figsize=figsize, layout="constrained")
        else:
            import matplotlib.pyplot as plt

            made = plt.figure(figsize=figsize, layout="constrained")
        return made, made
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or SubFigure, got "
                        f"{type(fig).__name__}")
    if fig.axes:
        raise ValueError(f"fig must be empty; it has {len(fig.axes)} axes already: pass a new "
                         f"Figure, or a SubFigure (fig.subfigures())")
    return fig, fig.figure


# -- a run's history ---------------------------------------------------------------------------
_RESTART_STYLE = dict(color="0.45", linestyle="--", linewidth=0.9, gid="restart")


def _history_layout(history: Mapping[str, NDArray]) -> dict[str, Any]:
    constrained = "feasible" in history and bool(np.any(history["feasible"] < 1))
    ratios = [2.2, 1.0] + ([0.8] if constrained else [])
    return {"figsize": (7.0, 3.0 + 1.6 * len(ratios)),
            "subplots": {"nrows": len(ratios), "sharex": True,
                         "gridspec_kw": {"height_ratios": ratios}}}


def restarts_at(history: Mapping[str, Any]) -> NDArray:
    """The evaluations at which the history shows a restart: ``nfev`` of the last iteration
    before each (one entry per restart). Iterations whose ``search`` is not known (-1, from
    an older checkpoint) place none; a history without ``search`` places none."""
    if "search" not in history:
        return np.array([])
    search = np.asarray(history["search"])
    nfev = np.asarray(history["nfev"])
    steps = np.diff(search)
    known = (search[:-1] >= 0) & (search[1:] >= 0)
    ends = np.flatnonzero(known & (steps > 0))
    return np.repeat(nfev[ends], steps[ends].astype(int)).astype(float)


def _draw_history(result: Mapping[str, Any], history: dict[str, NDArray], axes: NDArray
                  ) -> str:
    nfev = history["nfev"]
    ax_value, ax_spread = axes[0], axes[1]
    episodes = "loss" in history  # the episode-level method: nfev counts episodes
    if "policy_return" in history:  # a policy search: returns, maximised, drawn as they are
        checked = "greedy policy's evaluation" if episodes else "proposal's check return"
        drawn = [("best", "population's best", "C0"), ("mean", "population's mean", "C7"),
                 ("gamma", "elite threshold γ", "C1"), ("policy_return", checked, "C3")]
        for name, label, color in drawn:
            # Markers too: the episode-level method evaluates its policy now and then (NaN
            # between), and a point between gaps draws no line.
            marker = "o" if name == "policy_return" else None
            ax_value.plot(nfev, _finite(history[name]), color=color, label=label, gid=name,
                          marker=marker, markersize=3)
        ax_value.set_ylabel("episode return")
    else:
        ax_value.plot(nfev, _finite(history["best"]), color="C0", label="best so far",
                      gid="best")
        ax_value.plot(nfev, _finite(history["gamma"]), color="C1", linewidth=0.9,
                      label="elite threshold γ", gid="gamma")
        ax_value.set_ylabel("objective value" + _value_scale(
            ax_value, np.concatenate([history["best"], history["gamma"]])))

    if "spread" in history:
        lower = ("spread" + _positive_scale(ax_spread, history["spread"]), "spread", "C2")
    else:  # the episode-level CE method fits a network: its loss is what it has
        lower = ("cross-entropy loss", "loss", "C4")
    label, name, color = lower
    if name in history:
        ax_spread.plot(nfev, _finite(history[name]), color=color, gid=name)
    ax_spread.set_ylabel(label)
    if len(axes) > 2:
        axes[2].plot(nfev, history["feasible"], color="C3", gid="feasible")
        axes[2].set_ylim(-0.05, 1.05)
        axes[2].set_ylabel("feasible fraction")

    restarts = restarts_at(history)
    for ax in axes:
        for x in restarts:
            ax.axvline(x, **_RESTART_STYLE)
        ax.grid(True, which="major", alpha=0.3)
    if restarts.size:  # one legend entry for all of them
        ax_value.plot([], [], **{**_RESTART_STYLE, "gid": None}, label="restart")
    ax_value.legend(fontsize="small")
    axes[-1].set_xlabel("episodes (nfev)" if episodes else "evaluations (nfev)")
    return _history_title(result, history, restarts.size)


def _history_title(result: Mapping[str, Any], history: Mapping[str, NDArray],
                   marked: int) -> str:
    nfev = int(result.get("nfev", history["nfev"][-1]))
    nit = int(result.get("nit", len(history["nfev"])))
    if "policy_return" in history:
        head = f"{result['env_id']}: " if "env_id" in result else ""
        if "eval_return" in result:
            verdict = "solved" if result.get("success") else "not solved"
            head += f"evaluation return {result['eval_return']:.4g} ({verdict}), "
    else:
        best = result.get("fun_best_sample", result.get("fun", history["best"][-1]))
        head = f"best {best:.6g}, "
    text = f"{head}{nit} iterations, {nfev} evaluations"
    nrestarts = result.get("nrestarts")
    if nrestarts:
        text += f", {nrestarts} restart{'s' if nrestarts > 1 else ''}"
        if marked < nrestarts:
            text += f" ({nrestarts - marked} not marked: the history does not place them)"
    return text


def _finite(values: NDArray) -> NDArray:
    """``values`` with infinities as NaN (a gap), which the axes' limits then ignore."""
    return np.where(np.isfinite(values), values, np.nan)


def _value_scale(ax: Axes, values: NDArray) -> str:
    """Set ``ax``'s y scale for objective values; the axis label's note on it."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.all(finite == 0):
        return ""
    if np.all(finite > 0):
        ax.set_yscale("log")
        return " (log scale)"
    # Symmetric log: orders of magnitude on both sides of 0, linear within +-linthresh, set
    # at the smallest non-zero magnitude so that no value drawn falls in the linear part
    # unless it is 0.
    linthresh = float(np.abs(finite[finite != 0]).min())
    ax.set_yscale("symlog", linthresh=linthresh)
    return f" (symlog scale: linear within ±{linthresh:.2g})"


def _positive_scale(ax: Axes, values: NDArray) -> str:
    """A log y scale when every finite value is positive; the axis label's note on it."""
    finite = values[np.isfinite(values)]
    if finite.size and np.all(finite > 0):
        ax.set_yscale("log")
        return " (log scale)"
    return ""


# -- a rare-event estimate ---------------------------------------------------------------------
_RARE_EVENT_LAYOUT = {"figsize": (11.0, 3.8),
                      "subplots": {"ncols": 3, "gridspec_kw": {"width_ratios": [3, 3, 1.2]}}}


def _draw_rare_event(result: RareEventResult, axes: NDArray) -> str:
    from matplotlib.ticker import MaxNLocator

    ax_level, ax_ess, ax_estimate = axes
    levels = np.asarray(result.levels, dtype=float)
    stages = np.arange(1, levels.size + 1)
    failure = isinstance(result, FailureResult)
    method = result.method
    ax_level.plot(stages, levels, "o-", color="C0", gid="levels")
    ax_level.set_ylabel(_level_label(method, failure))
    if method == "improved" and levels.size and np.all(levels > 0):
        ax_level.set_yscale("log")
    target = _target_level(result, method, failure)
    if target is not None:
        ax_level.axhline(target, color="C3", linestyle="--", linewidth=1, gid="target",
                         label="failure: g = 0" if failure else "target level")
        ax_level.legend(fontsize="small")
    if levels.size == 0:
        ax_level.text(0.5, 0.5, "no adaptive stage:\nthe starting proposal was used",
                      ha="center", va="center", transform=ax_level.transAxes)
    ax_ess.plot(stages, result.level_ess, "o-", color="C2", gid="level_ess")
    ax_ess.set_ylim(0, 1.1 * max(np.max(result.level_ess, initial=0), 1))
    ax_ess.set_ylabel("effective sample size of the weights")
    for ax in (ax_level, ax_ess):
        ax.set_xlabel("stage")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
    _draw_estimate(ax_estimate, result)
    return _rare_event_title(result, failure)


def _level_label(method: str, failure: bool) -> str:
    if method == "improved":
        return "smoothing width σ of the indicator"
    return "g reached (failure: g ≤ 0)" if failure else "score threshold γ"


def _target_level(result: RareEventResult, method: str, failure: bool) -> float | None:
    """The level the multilevel stages climb to (g = 0 for a failure probability), where
    known; the improved method's stages are widths, with no level to reach."""
    if method == "improved":
        return None
    if failure:
        return 0.0
    if np.isfinite(result.level):
        return float(result.level)
    if result.converged and len(result.levels):  # a result made without its level:
        return float(result.levels[-1])  # the last level reached the target, clipped to it
    return None


def _draw_estimate(ax: Axes, result: RareEventResult) -> None:
    p, se = float(result.probability), float(result.std_error)
    ax.set_xticks([])
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"estimate ±{ERROR_BAR_SE:g} SE")
    ax.set_ylabel("probability")
    ax.grid(True, axis="y", alpha=0.3)
    if p > 0 and np.isfinite(se):
        # A probability is not negative: the interval's lower end stops at 0.
        low, high = max(p - ERROR_BAR_SE * se, 0.0), p + ERROR_BAR_SE * se
        bar = ax.errorbar([0], [p], yerr=[[p - low], [high - p]], fmt="o", color="C0",
                          capsize=6)
        bar.lines[0].set_gid("estimate")
        ax.set_ylim(0, 1.15 * high)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        return
    if p > 0:
        note = f"{p:.3g}\n(no standard error)"
    elif np.isfinite(result.log_probability):
        note = f"exp({result.log_probability:.1f}):\nbelow float64's range"
    else:
        note = "0: no final sample\nreached the event"
    ax.plot([0], [p], "o", color="C0", gid="estimate")
    ax.text(0, 0.5, note, ha="center", va="center", fontsize="small",
            transform=ax.get_xaxis_transform())


def _rare_event_title(result: RareEventResult, failure: bool) -> str:
    p, se = result.probability, result.std_error
    if p == 0 and np.isfinite(result.log_probability):
        head = f"P = exp({result.log_probability:.1f})"
    elif np.isfinite(se):
        head = (f"P = {p:.3g} ± {ERROR_BAR_SE * se:.2g} ({ERROR_BAR_SE:g} SE, relative "
                f"error {result.rel_error:.2g})")
    else:
        head = f"P = {p:.3g}"
    if failure and np.isfinite(result.beta):
        head += f", β = {result.beta:.3g}"
    text = f"{head}; {result.n_iter} stages, {result.nfev} evaluations"
    return text if result.converged else text + "; not converged"
