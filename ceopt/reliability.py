"""Structural reliability's formulation: the failure probability ``P(g(X) <= 0)`` of a limit
state ``g``, with the reliability index, the design point and importance factors.

Inputs given as ``scipy.stats`` marginals (a :class:`~ceopt.nataf.Nataf` model, or a list of
marginals for independent inputs) are handled in standard space: the estimate is
``P(-g(T(U)) >= 0)`` for ``U ~ N(0, I)``, ``T`` the Nataf map, by
:func:`ceopt.estimate_rare_event`. There the nominal density is exact, and the proposal that
the measurements favour (``benchmarks/results/rare_event.md``) is the default: a mixture of
full Gaussians fitted by the improved CE method, which follows failure domains of several
parts. Above :data:`MIXTURE_MAX_DIM` inputs a mixture's covariances cost more samples than a
budget has: the proposal is then a :class:`~ceopt.ShiftedNormal` ``N(mean, I)`` (the standard
normal moved towards failure), still by the improved CE method.

The design point is the most probable failure point in standard space, ``argmin |u|`` over
``g(T(u)) <= 0``. It is read off the samples the estimate evaluated (no extra evaluations):
the failing sample nearest the origin. The importance factors are its squared direction
cosines ``alpha_i^2 = u_i^2 / |u|^2``, one per standard variable; with correlated inputs
``U_i`` is the part of input ``i`` independent of inputs ``1..i-1`` (the Cholesky factor's
order), as in FORM.

A nominal that is a ceopt :class:`~ceopt.Distribution` (a Bernoulli, an Exponential, ...) is
used as it is, in its own space: then ``design_point`` is the failing sample of largest nominal
density and there is no standard space, so ``design_point_u`` and ``importance_factors`` are
None.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from .distributions import Distribution, Gaussian, Mixture, ShiftedNormal
from .nataf import Nataf
from .progress import BatchDisplay, check_disp
from .rare_event import RareEventResult, RareEventWarning, estimate_rare_event

#: Up to this many inputs the default proposal is a Gaussian mixture (improved CE).
MIXTURE_MAX_DIM = 10
#: Components the default mixture may use.
MAX_COMPONENTS = 8
#: The share of the default mixture's final stage drawn from it widened 1.5 times.
DEFENSIVE = 0.1
#: Samples per stage of the default mixture proposal.
MIXTURE_SAMPLES = 3000
#: Samples per stage of the default proposal above MIXTURE_MAX_DIM inputs.
SHIFT_SAMPLES = 2000


@dataclass(repr=False)
class FailureResult(RareEventResult):
    """What :func:`estimate_failure_probability` found: a :class:`RareEventResult` (its
    ``probability`` is ``P(g(X) <= 0)``; for the multilevel method ``levels`` are the values
    of ``g`` each level reached, falling to 0) and:

    ``beta``, the generalised reliability index ``-Phi^-1(probability)``; ``design_point``,
    the most probable failure point found, in the inputs' units, and ``design_point_u``, the
    same in standard space (its norm approximates FORM's beta); ``importance_factors``,
    ``design_point_u**2 / |design_point_u|**2`` (they sum to 1); ``g_min``, the smallest
    ``g`` evaluated.
    """

    beta: float = field(default=np.nan)
    design_point: NDArray | None = None
    design_point_u: NDArray | None = None
    importance_factors: NDArray | None = None
    g_min: float = field(default=np.nan)

    def __repr__(self) -> str:
        point = None if self.design_point is None else np.array2string(
            self.design_point, precision=4, threshold=8)
        return (f"FailureResult(probability={self.probability:.6g}, "
                f"rel_error={self.rel_error:.3g}, beta={self.beta:.4g}, nfev={self.nfev},\n"
                f"    design_point={point},\n    message={self.message!r})")


class _StandardScore:
    """``-g(T(u))``: the score whose event ``>= 0`` is failure (a class, so that process
    workers can pickle it)."""

    def __init__(self, g: Callable, inputs: Nataf | None, vectorized: bool):
        self.g, self.inputs, self.vectorized = g, inputs, vectorized

    def __call__(self, u: NDArray) -> Any:
        if self.inputs is None:
            return -np.asarray(self.g(u), dtype=float)
        if self.vectorized:
            return -np.asarray(self.g(self.inputs.to_physical(u)), dtype=float)
        return -float(self.g(self.inputs.to_physical(u[None, :])[0]))


class _DesignPoint:
    """Watches every scored batch for the likeliest failing sample (and shows the batch on
    ``display``, when given)."""

    def __init__(self, rank: Callable[[NDArray], NDArray], display: BatchDisplay | None = None):
        self.rank = rank  # larger is likelier
        self.display = display
        self.best: NDArray | None = None
        self.best_rank = -np.inf
        self.score_max = -np.inf

    def __call__(self, X: NDArray, S: NDArray) -> None:
        if self.display is not None:
            self.display(S)
        self.score_max = max(self.score_max, float(np.max(S, initial=-np.inf)))
        failed = S >= 0
        if failed.any():
            candidates = X[failed]
            rank = self.rank(candidates)
            i = int(np.argmax(rank))
            if rank[i] > self.best_rank:
                self.best, self.best_rank = candidates[i].copy(), float(rank[i])


def estimate_failure_probability(
        g: Callable, inputs: Nataf | Sequence | Distribution, *,
        proposal: Distribution | None = None, method: str | None = None,
        n_samples: int | None = None, final_samples: int = 100_000,
        max_evals: int | None = None, defensive: float | None = None, max_iter: int = 50,
        smoothing: float = 0.7, target_cov: float = 1.5,
        seed: int | np.random.Generator | None = None, vectorized: bool = True,
        workers: Any = None, chunksize: int | None = None, on_error: str = "raise",
        on_nan: str | None = None, retries: int = 2, timeout: float | None = None,
        disp: bool | int | None = None, verbose: bool | int | None = None) -> FailureResult:
    """Estimate ``P(g(X) <= 0)`` with its reliability index, design point and importance
    factors.

    Parameters
    ----------
    g : callable
        The limit state: ``g(X) -> (n,)`` for inputs ``X`` of shape ``(n, d)`` in their own
        units (``g(x)`` per point with ``vectorized=False``). Failure is ``g <= 0``.
    inputs : Nataf, sequence of frozen scipy.stats distributions, or Distribution
        The input model: a :class:`~ceopt.nataf.Nataf` (marginals and correlation), a list
        of marginals (independent inputs), or a ceopt family used as it is.
    proposal : Distribution, optional
        The starting proposal, in standard space for marginals (default: above).
    method : {"improved", "multilevel"}, optional
        As in :func:`estimate_rare_event`; default "improved" for the default proposals and
        "multilevel" for one you give or a ceopt family as the inputs.
    n_samples : int, optional
        Samples per stage; default :data:`MIXTURE_SAMPLES` for the mixture, else
        :func:`estimate_rare_event`'s.
    defensive : float, optional
        As in :func:`estimate_rare_event` (the share of the final stage drawn from the
        proposal widened 1.5 times); default :data:`DEFENSIVE` for the default mixture,
        0 otherwise.
    final_samples, max_evals, max_iter, smoothing, target_cov, seed :
        As in :func:`estimate_rare_event`.
    vectorized, workers, chunksize, on_error, retries, timeout :
        As in :func:`estimate_rare_event`.
    disp : bool or int
        Show the estimate as it goes, as :func:`estimate_rare_event` does, with the lowest
        ``g`` of each batch and the share that failed. ``verbose`` is a synonym.

    Returns
    -------
    FailureResult

    Warns
    -----
    RareEventWarning
        As :func:`estimate_rare_event`, and when no evaluated sample failed: the estimate is
        then 0 and says only that failure lies beyond the samples' reach (``g_min`` says how
        close they came).

    Example
    -------
    >>> import scipy.stats as st
    >>> inputs = [st.lognorm(0.1, scale=5.0), st.norm(2.0, 0.5)]   # resistance, load
    >>> res = estimate_failure_probability(lambda X: X[:, 0] - X[:, 1], inputs, seed=0)
    >>> f"{res.probability:.2e}, beta = {res.beta:.2f}"   # exact 2.754e-06 (an integral)
    '2.75e-06, beta = 4.54'
    """
    if not callable(g):
        raise TypeError(f"g must be callable, got {type(g).__name__}")
    if isinstance(inputs, Distribution):
        nominal, model = inputs, None
        q = proposal
        rank = nominal.log_prob
    else:
        model = inputs if isinstance(inputs, Nataf) else _as_model(inputs)
        d = model.dim
        nominal = Gaussian(np.zeros(d), np.eye(d))
        if proposal is not None:
            q = proposal
        elif d <= MIXTURE_MAX_DIM:
            q = Mixture([nominal], max_components=MAX_COMPONENTS)
            method = method or "improved"
            n_samples = MIXTURE_SAMPLES if n_samples is None else n_samples
            defensive = DEFENSIVE if defensive is None else defensive
        else:
            q = ShiftedNormal(np.zeros(d))
            method = method or "improved"
            n_samples = SHIFT_SAMPLES if n_samples is None else n_samples

        def rank(u: NDArray) -> NDArray:
            return -np.einsum("ij,ij->i", u, u)

    method = method or "multilevel"
    disp = check_disp(disp, verbose)
    display = BatchDisplay(disp, 0.0, max_evals, flip=True) if disp else None
    watch = _DesignPoint(rank, display)
    res = estimate_rare_event(
        _StandardScore(g, model, vectorized), nominal, 0.0, proposal=q, n_samples=n_samples,
        final_samples=final_samples, max_evals=max_evals,
        defensive=defensive or 0.0, max_iter=max_iter,
        smoothing=smoothing,
        method=method, target_cov=target_cov, seed=seed,
        vectorized=vectorized, workers=workers, chunksize=chunksize, on_error=on_error,
        on_nan=on_nan, retries=retries, timeout=timeout, callback=watch)
    if display is not None:
        display.close(res)
    found = {f.name: getattr(res, f.name) for f in fields(RareEventResult)}
    if method == "multilevel":
        found["levels"] = -res.levels  # the values of g reached
    out = FailureResult(**found, g_min=-watch.score_max)
    out.beta = float(-ndtri(res.probability)) if res.probability > 0 else np.inf
    if watch.best is None:
        warnings.warn(f"no evaluated sample failed (g <= 0) in {res.nfev} evaluations: the "
                      f"smallest g was {-watch.score_max:g}; failure is beyond the samples' "
                      f"reach, and the estimate 0 says only that", RareEventWarning,
                      stacklevel=2)
        return out
    if model is None:
        out.design_point = watch.best
        return out
    out.design_point_u = watch.best
    out.design_point = model.to_physical(watch.best[None, :])[0]
    norm2 = float(watch.best @ watch.best)
    if norm2 > 0:
        out.importance_factors = watch.best**2 / norm2
    return out


def _as_model(marginals: Sequence) -> Nataf:
    if isinstance(marginals, (str, bytes)) or not isinstance(marginals, Sequence):
        raise TypeError(f"inputs must be a Nataf model, a list of frozen scipy.stats "
                        f"distributions or a ceopt Distribution, got "
                        f"{type(marginals).__name__}")
    return Nataf(marginals)
