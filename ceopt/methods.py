"""The three update methods of :class:`ceopt.CrossEntropy` and the presets each one implies.

| method | for | weights | scale control | keep_best | tol_fun | separable | elites | smoothing |
|---|---|---|---|---|---|---|---|---|
| ``"adaptive"`` | Gaussians (default) | rank | on | on | 1e-11 | tested | 1/2 | 1 |
| ``"ce"`` | any (default otherwise) | equal | off | off | 0 | off | 0.1 | 0.7 |
| ``"textbook"`` | any | equal | off | off | 0 | off | 0.1 | 0.7 |

The population: under ``"adaptive"`` 2(d+1) for a full Gaussian and 4+3 ln d for a diagonal
one (:func:`ceopt.adaptation.adaptive_popsize`), otherwise :func:`default_popsize`.

Every preset can be overridden on its own (the ablation in ``benchmarks/bbob.py`` does);
:func:`resolve` checks the user's values and fills in the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._checks import flag, fraction, integer, real
from .adaptation import TOL_FUN, adaptive_popsize
from .distributions import DiagGaussian, Distribution, Gaussian
from .selection import default_n_elite, default_popsize

METHODS = ("adaptive", "ce", "textbook")
WEIGHTS = ("rank", "equal")


@dataclass(frozen=True)
class Preset:
    """What a run of :class:`ceopt.CrossEntropy` uses, after the defaults are filled in."""

    method: str
    weights: str
    scale_control: bool
    keep_best: bool
    tol_fun: float
    #: Coordinate sweeps (:mod:`ceopt.coordinate`): None = test the objective first.
    separable: bool | None
    smoothing: float
    popsize: int
    n_elite: int


def resolve(dist: Distribution, *, method: str | None, weights: str | None,
            scale_control: bool | None, keep_best: bool | None, tol_fun: float | None,
            separable: bool | None, elite_frac: float | None, smoothing: float | None,
            popsize: int | None, n_elite: int | None) -> Preset:
    """The method's presets for ``dist``, with the given values checked and kept."""
    gaussian = isinstance(dist, (Gaussian, DiagGaussian))
    if method is None:
        method = "adaptive" if gaussian else "ce"
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    adaptive = method == "adaptive"
    if adaptive and not gaussian:
        raise ValueError(f"method 'adaptive' adapts a Gaussian's spread; a "
                         f"{type(dist).__name__} takes method 'ce'")
    weights = ("rank" if adaptive else "equal") if weights is None else weights
    if not isinstance(weights, str) or weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    scale_control = flag("scale_control", adaptive if scale_control is None else scale_control)
    if scale_control and not gaussian:
        raise ValueError("scale_control applies to Gaussian distributions only")
    keep_best = flag("keep_best", adaptive if keep_best is None else keep_best)
    if keep_best and not gaussian:
        raise ValueError("keep_best moves a Gaussian's mean; it applies to Gaussians only")
    if keep_best and method == "textbook":
        raise ValueError("keep_best is part of the previous-mean update of methods "
                         "'adaptive' and 'ce', not of 'textbook'")
    if separable is not None:
        separable = flag("separable", separable)
        if separable and not adaptive:
            raise ValueError("coordinate sweeps (separable) are part of method 'adaptive'")
    elif not adaptive or dist.dim == 1:  # one coordinate: the Gaussian is the 1-D search
        separable = False
    tol_fun = real("tol_fun", (TOL_FUN if adaptive else 0.0) if tol_fun is None else tol_fun,
                   minimum=0.0)
    elite_frac = fraction("elite_frac", (0.5 if adaptive else 0.1)
                          if elite_frac is None else elite_frac)
    smoothing = fraction("smoothing", (1.0 if adaptive else 0.7)
                         if smoothing is None else smoothing, high_open=False)
    if popsize is None and adaptive:  # enough for the elites to fit the family
        popsize = max(adaptive_popsize(dist), math.ceil(dist.min_fit_samples / elite_frac))
    elif popsize is None:
        popsize = default_popsize(dist, elite_frac)
    else:
        popsize = integer("popsize", popsize, 2)
    if n_elite is None:
        n_elite = default_n_elite(popsize, elite_frac)
    else:
        n_elite = integer("n_elite", n_elite, 1)
        if n_elite >= popsize:
            raise ValueError(f"n_elite must be smaller than popsize={popsize}, got {n_elite}")
    if n_elite < dist.min_fit_samples:
        hint = " (or use a DiagGaussian: dist='diag')" if isinstance(dist, Gaussian) else ""
        raise ValueError(
            f"{n_elite} elites cannot fit a {type(dist).__name__} in {dist.dim} dimensions, "
            f"which needs {dist.min_fit_samples}: raise popsize or elite_frac{hint}")
    return Preset(method, weights, scale_control, keep_best, tol_fun, separable, smoothing,
                  popsize, n_elite)
