"""Rare-event estimation with the multilevel CE method and likelihood-ratio weights.

To estimate ``l = P_p(S(X) >= level)`` for a rare event (Rubinstein & Kroese; see
``docs/ce-method.md``, "Rare-event estimation"):

1. Level ``t``: draw ``n_samples`` from the proposal ``q_t``; ``gamma_t = min(level, the
   (1 - elite_frac) quantile of S)``; the elites are every sample with ``S >= gamma_t`` (ties
   included).
2. Refit by weighted MLE with the likelihood ratios ``W = p(x) / q_t(x)`` of the elites, and
   smooth: ``q_{t+1} = smooth(q_t, fit(elites, W))``. Gaussian families fit their spread
   about the previous mean, as the optimiser's default does: the plain fit's spread is an
   importance-sampling estimate from a proposal narrower than the target, biased low, and in
   one dimension it collapses before P(X >= 8) (measured: 0 of 3 seeds reach it, against
   3 of 3 out to P(X >= 37) = 6e-300 with the anchored fit).
3. Once ``gamma_t = level``, draw ``final_samples`` from the last proposal ``q`` and estimate

       l_hat = mean(1{S(x) >= level} p(x) / q(x)),

   unbiased whatever ``q`` is (as long as it covers the nominal's support); the proposal only
   decides its variance. Weights are computed in log space, ``log p - log q``.

The danger is silent degeneracy: in many dimensions, with too few samples per fitted
parameter, the likelihood ratio is dominated by a handful of points, the proposal collapses
onto them and the estimate is wrong by orders of magnitude while its standard error looks
fine. Hence the sample size grows with the number of fitted parameters, the proposal is
smoothed, and the effective sample size ``(sum W)^2 / sum W^2`` of every level and of the
final stage is checked: below the thresholds a :class:`RareEventWarning` says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import fraction, generator, integer, real
from .distributions import Distribution, LocationScale, Mixture, UnsupportedOperation
from .distributions._base import effective_sample_size
from .evaluation import Evaluator
from .improved_ce import climb_improved
from .progress import BatchDisplay, check_disp

#: Samples per level: this many per fitted parameter (and at least ``MIN_SAMPLES``).
SAMPLES_PER_PARAM = 100
MIN_SAMPLES = 1000
#: Times a stalled level (too few samples above the last one) is redrawn with twice the
#: samples before the multilevel stage stops.
STALL_RETRIES = 3
#: With ``max_evals``: the share of it the adaptive stages may take at most.
STAGE_SHARE = 0.5
#: Below this effective sample size of the final terms, the standard error is not trusted.
MIN_FINAL_ESS = 100
#: A level warns when its elites' effective sample size is below the number of fitted
#: parameters, or below this for families with very few.
MIN_LEVEL_ESS = 5


class RareEventWarning(UserWarning):
    """The estimate should not be trusted as it stands (degenerate weights, level not reached,
    no hit in the final stage)."""


@dataclass(repr=False)
class RareEventResult:
    """What :func:`estimate_rare_event` found.

    ``probability`` is the importance-sampling estimate, ``std_error`` its standard error
    (from the sample variance of the final terms), ``rel_error = std_error / probability``.
    ``levels`` are the thresholds gamma_t, ``level_ess`` the effective sample size of each
    level's elite weights, ``ess`` that of the final stage's non-zero terms. ``converged``
    says whether the last level reached the target level. ``log_probability`` is the
    estimate's logarithm, computed in log space: it stays exact below 1e-308, where
    ``probability`` underflows. ``method`` and ``level`` are the arguments the estimate was
    made with.
    """

    probability: float
    std_error: float
    rel_error: float
    levels: NDArray
    proposal: Distribution
    n_iter: int
    nfev: int
    ess: float
    level_ess: NDArray
    converged: bool
    message: str
    log_probability: float = field(default=np.nan)
    final_samples: int = field(default=0)
    nfail: int = field(default=0)
    failures: list = field(default_factory=list)
    method: str = field(default="multilevel")
    level: float = field(default=np.nan)

    def __repr__(self) -> str:
        return (f"RareEventResult(probability={self.probability:.6g}, "
                f"std_error={self.std_error:.3g}, rel_error={self.rel_error:.3g}, "
                f"n_iter={self.n_iter}, nfev={self.nfev}, ess={self.ess:.4g},\n"
                f"    levels={np.array2string(self.levels, precision=4, threshold=8)},\n"
                f"    message={self.message!r})")


def default_n_samples(proposal: Distribution) -> int:
    """``max(MIN_SAMPLES, SAMPLES_PER_PARAM * n_params)``: 10 000 for 100 Bernoulli bits."""
    return max(MIN_SAMPLES, SAMPLES_PER_PARAM * proposal.n_params)


def estimate_rare_event(score: Callable, nominal: Distribution, level: float, *,
                        proposal: Distribution | None = None, n_samples: int | None = None,
                        elite_frac: float = 0.1, final_samples: int = 100_000,
                        max_iter: int = 50, smoothing: float = 0.7,
                        method: str = "multilevel", target_cov: float = 1.5,
                        max_evals: int | None = None, defensive: float = 0.0,
                        defensive_scale: float = 1.5,
                        seed: int | np.random.Generator | None = None,
                        vectorized: bool = True, workers: Any = None,
                        chunksize: int | None = None, on_error: str = "raise",
                        on_nan: str | None = None, retries: int = 2,
                        timeout: float | None = None,
                        callback: Callable[[NDArray, NDArray], Any] | None = None,
                        disp: bool | int | None = None, verbose: bool | int | None = None
                        ) -> RareEventResult:
    """Estimate ``P(score(X) >= level)`` for ``X ~ nominal`` by multilevel CE.

    Parameters
    ----------
    score : callable
        ``score(X) -> (n,)`` for a batch ``X`` of shape ``(n, dim)`` (or ``score(x)`` per row
        with ``vectorized=False``). An exception or a non-finite score is a failure, handled
        as ``on_error`` says.
    nominal : Distribution
        The distribution ``p`` of X.
    level : float
        The threshold gamma of the event ``score(X) >= gamma``.
    proposal : Distribution, optional
        The starting proposal (default: ``nominal``); its family is the one fitted.
    n_samples : int, optional
        Samples per level; default ``max(1000, 100 * proposal.n_params)``.
    elite_frac : float in (0, 1)
        rho: each level is the (1 - rho) quantile of the scores.
    final_samples : int
        Samples of the final importance-sampling stage.
    max_iter : int
        Levels at most.
    smoothing : float in (0, 1]
        Weight of each new fit against the previous proposal.
    method : {"multilevel", "improved"}
        How the proposal is adapted. ``"multilevel"``: to the elites above rising levels
        (above). ``"improved"``: the improved CE method (:mod:`ceopt.improved_ce`), fitted to
        all samples weighted by a smoothed indicator of the event; then ``levels`` holds the
        smoothing widths and ``level_ess`` the stages' effective sample sizes.
        ``elite_frac`` is not used.
    target_cov : float
        ``"improved"`` only: the coefficient of variation the stages' weights are held at
        (1.5, the method's authors' choice).
    max_evals : int, optional
        A total budget instead of ``final_samples``: the adaptive stages stop within
        ``STAGE_SHARE`` (half) of it, fewer than ``max_iter`` if need be, and the final stage
        takes the rest (at least ``n_samples``; a multilevel stage redrawn after a stall may
        push the total past ``max_evals`` by that much).
    defensive : float in [0, 1)
        The share of the final stage drawn from the last proposal widened
        ``defensive_scale`` times (a defensive mixture: the final proposal is
        ``(1 - defensive) q + defensive q.scaled(defensive_scale)``, and its density is the
        one in the weights, so the estimate stays unbiased). Wider tails bound the likelihood
        ratio where the fit covers the event too tightly: the rare huge weight that otherwise
        makes one run's error several times its siblings'. Needs a proposal with
        ``scaled`` (the Gaussians, and mixtures of them).
    defensive_scale : float >= 1
    seed : int, numpy.random.Generator or None
    vectorized : bool
    workers, chunksize, on_error, on_nan, retries, timeout :
        Where scores are computed and what a failure does, as in :func:`ceopt.minimize`.
        A failed sample scores -inf: it never reaches a level, so failures that would have
        been hits bias the estimate low (``nfail`` and ``failures`` say how many and why).
    callback : callable, optional
        ``callback(X, S)`` with every batch of samples and their scores, in the order they
        were drawn (the levels', then the final stage's): to keep the samples, or to look for
        the likeliest hit as :func:`ceopt.estimate_failure_probability` does.
    disp : bool or int
        Show the estimate as it goes (:mod:`ceopt.progress`): with ``max_evals`` a progress
        bar, else a log line per batch of samples (evaluations so far, the batch's highest
        score, the share that reached ``level``), and the estimate at the end. Default:
        silent. ``verbose`` is a synonym.

    Returns
    -------
    RareEventResult

    Raises
    ------
    ValueError
        Bad arguments, too few elites for the proposal's fit, a score that returns non-finite
        values under ``on_nan="raise"``, or a proposal (given or fitted) that gives
        probability 0 where the nominal does not (the estimate would be biased).

    Warns
    -----
    RareEventWarning
        When a level's elite weights have an effective sample size below
        ``max(n_params, MIN_LEVEL_ESS)`` (5); when the final stage's is below 100, it
        has no hit, or the probability is below float64's range (read ``log_probability``);
        when the level was not reached within ``max_iter`` or stopped rising (after
        ``STALL_RETRIES`` redraws with twice the samples). The estimate is then still the
        unbiased one from the last proposal, with ``converged=False``.

    Example
    -------
    >>> import numpy as np
    >>> from ceopt import DiagGaussian
    >>> res = estimate_rare_event(lambda X: X.sum(axis=1), DiagGaussian(np.zeros(10), 1.0),
    ...                           level=15.0, seed=0)   # exact: 1 - Phi(15 / sqrt(10)) = 1.05e-6
    >>> f"{res.probability:.3e} ± {res.std_error:.0e}"
    '1.043e-06 ± 8e-09'
    """
    if not callable(score):
        raise TypeError(f"score must be callable, got {type(score).__name__}")
    if not isinstance(nominal, Distribution):
        raise TypeError(f"nominal must be a ceopt Distribution, got {type(nominal).__name__}")
    rng = generator(seed)
    q = nominal if proposal is None else proposal
    _check_support(nominal, q, rng)
    level = real("level", level)
    n = default_n_samples(q) if n_samples is None else integer("n_samples", n_samples, 2)
    rho = fraction("elite_frac", elite_frac)
    needed = max(q.min_fit_samples, 2)
    if int(np.ceil(rho * n)) < needed:
        raise ValueError(f"n_samples * elite_frac = {rho * n:g} elites cannot fit a "
                         f"{type(q).__name__} (it needs {needed}): raise n_samples or "
                         f"elite_frac")
    final_samples = integer("final_samples", final_samples, 2)
    max_iter = integer("max_iter", max_iter, 1)
    defensive = fraction("defensive", defensive, low_open=False)
    defensive_scale = real("defensive_scale", defensive_scale, minimum=1.0)
    if defensive > 0:
        # Tried now, before any evaluation: the fitted proposal is of the same family.
        try:
            _defensive(q, defensive, defensive_scale)
        except (AttributeError, UnsupportedOperation):
            raise ValueError(f"defensive needs a proposal with scaled() (a Gaussian, or a "
                             f"Mixture of them), not a {type(q).__name__}: leave it at "
                             f"0") from None
    if max_evals is not None:
        max_evals = integer("max_evals", max_evals, 2 * n)
        max_iter = max(1, min(max_iter, int(STAGE_SHARE * max_evals) // n))
    smoothing = fraction("smoothing", smoothing, high_open=False)
    if method not in ("multilevel", "improved"):
        raise ValueError(f"method must be 'multilevel' or 'improved', got {method!r}")
    target_cov = real("target_cov", target_cov)
    if target_cov <= 0:
        raise ValueError(f"target_cov must be positive, got {target_cov}")

    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    disp = check_disp(disp, verbose)
    display = BatchDisplay(disp, level, max_evals) if disp else None
    evaluator = Evaluator(score, vectorized=vectorized, workers=workers, chunksize=chunksize,
                          on_error=on_error, on_nan=on_nan, retries=retries, worst=-np.inf,
                          timeout=timeout)
    with evaluator as scores:
        scored = _reporting(scores, callback, display)
        if method == "improved":
            q, levels, level_ess, nfev, shortfall = climb_improved(
                scored, nominal, q, level, n, target_cov, max_iter, smoothing, rng, _warn)
        else:
            q, levels, level_ess, nfev, shortfall = _climb(scored, nominal, q, level, n, rho,
                                                           max_iter, smoothing, rng)
        if max_evals is not None:
            final_samples = max(max_evals - nfev, n)
        if defensive > 0:
            q = _defensive(q, defensive, defensive_scale)
        # The final importance-sampling stage: unbiased from any proposal covering the event.
        X = q.sample(final_samples, rng)
        S = scored(X)
    nfev += final_samples
    converged = not shortfall
    hit = S >= level
    log_terms = nominal.log_prob(X[hit]) - q.log_prob(X[hit])
    log_prob, rel, ess = _importance_estimate(log_terms[np.isfinite(log_terms)], final_samples)
    prob = float(np.exp(log_prob))
    std = prob * rel if np.isfinite(rel) else np.nan
    if converged:
        stages = "levels" if method == "multilevel" else "stages"
        message = f"level {level:g} reached after {len(levels)} {stages}"
    else:
        message = shortfall + "; the estimate uses the last proposal"
        _warn(message)
    if not hit.any():
        _warn(f"no final sample reached the level {level:g}: the estimate is 0 and says "
              f"nothing")
    elif ess < MIN_FINAL_ESS:
        _warn(f"the final estimate rests on an effective {ess:.1f} samples of "
              f"{int(hit.sum())} hits: its standard error is not to be trusted")
    if hit.any() and prob < np.finfo(float).tiny:
        _warn(f"the probability, exp({log_prob:.1f}), is below float64's range: read "
              f"log_probability")
    result = RareEventResult(probability=prob, std_error=std, rel_error=rel,
                             levels=np.array(levels), proposal=q, n_iter=len(levels),
                             nfev=nfev, ess=ess, level_ess=np.array(level_ess),
                             converged=converged, message=message, log_probability=log_prob,
                             final_samples=final_samples, nfail=scores.n_failed,
                             failures=list(scores.messages), method=method, level=level)
    if display is not None:
        display.close(result)
    return result


def _climb(scores: Callable, nominal: Distribution, q: Distribution, level: float, n: int,
           rho: float, max_iter: int, smoothing: float, rng: np.random.Generator):
    """The multilevel stage: ``(proposal, levels, level_ess, nfev, shortfall)``; ``shortfall``
    is "" when the level was reached, else why not."""
    levels: list[float] = []
    level_ess: list[float] = []
    nfev, stalls, base_n = 0, 0, n
    # A level stepped past ties needs a tenth of a normal elite set at least, or its weights
    # degenerate (the whole set asks for sample sizes a coarse score never reaches).
    min_elites = max(q.min_fit_samples, int(np.ceil(rho * n / 10)))
    while len(levels) < max_iter:
        X = q.sample(n, rng)
        S = scores(X)
        nfev += n
        # An attained score ("inverted_cdf"), so integer scores give integer levels.
        gamma = min(level, float(np.quantile(S, 1 - rho, method="inverted_cdf")))
        if gamma == -np.inf:
            raise ValueError(f"at least {1 - rho:.0%} of a level's {n} scores failed: no "
                             f"level can be set (see on_error and on_nan)")
        if levels and gamma <= levels[-1]:
            # Ties hold the quantile on the last level (a discrete score): step to the next
            # attained value above it once as many samples as a normal elite set got there;
            # until then draw twice as many.
            above = S[S > levels[-1]]
            if above.size >= min_elites:
                gamma = min(level, float(above.min()))
            else:
                stalls += 1
                if stalls > STALL_RETRIES:
                    return q, levels, level_ess, nfev, (
                        f"the level stopped rising at {levels[-1]:g} (target {level:g}): "
                        f"{STALL_RETRIES} retries with up to {n} samples got fewer than "
                        f"{min_elites} above it")
                n *= 2
                continue
        stalls, n = 0, base_n
        elite = S >= gamma
        log_w = nominal.log_prob(X[elite]) - q.log_prob(X[elite])
        if not np.isfinite(log_w).any():
            raise ValueError(f"the proposal's elites at level {gamma:g} all have nominal "
                             f"probability 0: it samples where the nominal has no mass")
        w = np.exp(log_w - log_w.max())  # the fit is invariant to the weights' scale
        ess = float(effective_sample_size(w))
        levels.append(gamma)
        level_ess.append(ess)
        threshold = max(q.n_params, MIN_LEVEL_ESS)
        if ess < threshold:
            _warn(f"level {len(levels)} (gamma = {gamma:g}): the likelihood-ratio weights of "
                  f"{int(elite.sum())} elites have an effective sample size of {ess:.1f}, "
                  f"below {threshold:g}; the proposal is degenerating (give more n_samples)")
        if isinstance(q, LocationScale):
            fitted = q.fit(X[elite], w, center=q.mean)
        else:
            fitted = q.fit(X[elite], w)
        q = q.smooth(fitted, smoothing)
        _check_support(nominal, q, rng, fitted=True)
        if gamma >= level:
            return q, levels, level_ess, nfev, ""
    last = f"{levels[-1]:g}" if levels else "none"
    return q, levels, level_ess, nfev, (f"level {level:g} not reached in {max_iter} levels "
                                        f"(the last was {last})")


def _defensive(q: Distribution, share: float, scale: float) -> Mixture:
    """``(1 - share) q + share q.scaled(scale)``, one flat mixture."""
    parts = q if isinstance(q, Mixture) else Mixture([q])
    comps = parts.components + parts.scaled(scale).components
    return Mixture(comps, np.concatenate([(1 - share) * parts.weights, share * parts.weights]),
                   max_components=len(comps))


def _reporting(scores: Callable, callback: Callable | None,
               display: BatchDisplay | None) -> Callable:
    """``scores``, telling the callback and the display about every batch."""
    if callback is None and display is None:
        return scores

    def scored(X: NDArray) -> NDArray:
        S = scores(X)
        if callback is not None:
            callback(X, S)
        if display is not None:
            display(S)
        return S
    return scored


def _warn(message: str) -> None:
    warnings.warn(message, RareEventWarning, stacklevel=3)


def _importance_estimate(log_terms: NDArray, n: int) -> tuple[float, float, float]:
    """``(log of the mean, relative standard error, effective sample size)`` of ``n`` terms
    of which ``log_terms`` are the non-zero ones, all in log space: the probability may be
    below float64's range, and its relative error does not depend on the scale."""
    if log_terms.size == 0:
        return -np.inf, np.inf, 0.0
    top = log_terms.max()
    t = np.exp(log_terms - top)
    mean = t.sum() / n
    var = (np.sum((t - mean) ** 2) + (n - t.size) * mean**2) / (n - 1)
    ess = float(effective_sample_size(t))
    return float(top + np.log(mean)), float(np.sqrt(var / n) / mean), ess


def _check_support(nominal: Distribution, proposal: Distribution, rng: np.random.Generator,
                   fitted: bool = False) -> None:
    """The proposal must be positive wherever the nominal is, or the estimate is biased.

    Checked from the families' ``support()`` where both declare one (a Bernoulli or
    categorical value with probability 0, an exponential proposal for a nominal on the whole
    line), and by sampling the nominal otherwise.
    """
    what = "the fitted proposal" if fitted else f"the {type(proposal).__name__} proposal"
    if nominal.dim != proposal.dim:
        raise ValueError(f"nominal and proposal dimensions differ: {nominal.dim} vs "
                         f"{proposal.dim}")
    if nominal.discrete != proposal.discrete:
        raise ValueError(f"a {type(proposal).__name__} proposal cannot express the support of "
                         f"a {type(nominal).__name__} nominal (discrete vs continuous)")
    nominal_support, proposal_support = nominal.support(), proposal.support()
    if (nominal_support is not None and proposal_support is not None
            and nominal_support.shape == proposal_support.shape):
        if np.any(nominal_support & ~proposal_support):
            raise ValueError(f"{what} gives probability 0 to values the "
                             f"{type(nominal).__name__} nominal can take: the estimate would "
                             f"be biased (a floor such as min_prob > 0 prevents this)")
        return
    if fitted:
        return  # sampling every level would cost as much as the level itself
    x = nominal.sample(1000, np.random.default_rng(rng.integers(2**63)))
    if not np.all(np.isfinite(proposal.log_prob(x))):
        raise ValueError(f"{what} gives probability 0 to points the {type(nominal).__name__} "
                         f"nominal can draw: the estimate would be biased")
