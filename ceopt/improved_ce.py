"""The improved CE method's adaptive stage (Papaioannou, Geyer & Straub, 2019): the proposal is
fitted to a *smoothed* indicator of the event instead of to elites.

For the event ``S(x) >= level``, write ``G = level - S`` (the event is ``G <= 0``). The
indicator ``1{G <= 0}`` is approximated by ``Phi(-G / sigma)``, which is positive everywhere
and tends to the indicator as ``sigma -> 0``. Each stage:

1. draw ``n`` samples from the proposal ``q`` and score them;
2. stop when the indicator is close enough to the last smooth approximation: the coefficient
   of variation of ``1{G <= 0} / Phi(-G / sigma_prev)`` over the samples is at most
   ``target_cov``;
3. otherwise take the ``sigma < sigma_prev`` at which the weights
   ``w = Phi(-G / sigma) p(x) / q(x)`` have a coefficient of variation of ``target_cov``;
4. refit ``q`` by weighted MLE on *all* the samples with these weights, and smooth it.

Every sample contributes to every fit, and the weights' spread is held at ``target_cov`` by
construction, so their effective sample size stays near ``n / (1 + target_cov^2)``: the
failure mode of the multilevel method, where the elites' likelihood ratios degenerate, does
not arise in the same way. This is what lets a :class:`~ceopt.Mixture` proposal follow a
failure domain made of several parts (measured in ``benchmarks/results/rare_event.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import log_ndtr

from .distributions import Distribution
from .distributions._base import effective_sample_size

#: Widths below this fraction of the scores' spread count as the indicator itself.
MIN_RELATIVE_SIGMA = 1e-9


def climb_improved(scores: Callable, nominal: Distribution, q: Distribution, level: float,
                   n: int, target_cov: float, max_iter: int, smoothing: float,
                   rng: np.random.Generator, warn: Callable[[str], None]):
    """The adaptive stage: ``(proposal, sigmas, stage_ess, nfev, shortfall)``; ``shortfall`` is
    "" when the stopping rule was met, else why not."""
    sigmas: list[float] = []
    stage_ess: list[float] = []
    sigma, nfev = np.inf, 0
    for _ in range(max_iter):
        X = q.sample(n, rng)
        G = level - scores(X)
        nfev += n
        log_lr = nominal.log_prob(X) - q.log_prob(X)
        # Is the indicator close enough to the smooth approximation the proposal was fitted
        # to? (The likelihood ratio is left out: it is the same in both.)
        if _cov_of_log(np.where(G <= 0, -_log_phi(G, sigma), -np.inf)) <= target_cov:
            return q, sigmas, stage_ess, nfev, ""
        sigma = _next_sigma(G, log_lr, sigma, target_cov)
        log_w = _log_phi(G, sigma) + log_lr
        if not np.isfinite(log_w).any():
            raise ValueError("every sample of a stage failed or has nominal probability 0: no "
                             "proposal can be fitted (see on_error and on_nan)")
        w = np.exp(log_w - log_w.max())
        ess = float(effective_sample_size(w))
        sigmas.append(sigma)
        stage_ess.append(ess)
        if ess < max(q.min_fit_samples, 2):
            warn(f"stage {len(sigmas)} (sigma = {sigma:g}): the weights have an effective "
                 f"sample size of {ess:.1f}; the proposal is degenerating (give more n_samples)")
        q = q.smooth(q.fit(X, w), smoothing)
    return q, sigmas, stage_ess, nfev, (
        f"the smoothed indicator did not reach the event in {max_iter} stages (the last "
        f"width was {sigma:g})")


def _log_phi(G: NDArray, sigma: float) -> NDArray:
    """``log Phi(-G / sigma)``; at ``sigma = inf``, ``log 1/2`` everywhere (G finite)."""
    if np.isinf(sigma):
        return np.where(np.isfinite(G), np.log(0.5), -np.inf)
    with np.errstate(invalid="ignore"):
        return log_ndtr(-G / sigma)


def _cov_of_log(log_w: NDArray) -> float:
    """Coefficient of variation of ``exp(log_w)`` (zeros included); inf when all are 0."""
    top = log_w.max()
    if not np.isfinite(top):
        return np.inf
    w = np.exp(log_w - top)
    return float(w.std() / w.mean())


def _next_sigma(G: NDArray, log_lr: NDArray, sigma_prev: float, target: float) -> float:
    """The width at which the weights' coefficient of variation is ``target``, below
    ``sigma_prev``; the coefficient grows as the width shrinks."""
    finite = G[np.isfinite(G)]
    if finite.size == 0:
        raise ValueError("every sample of a stage failed: no width can be set (see on_error "
                         "and on_nan)")
    spread = float(np.std(finite))
    high = sigma_prev if np.isfinite(sigma_prev) else 1e3 * max(spread, np.abs(finite).max())
    low = MIN_RELATIVE_SIGMA * max(spread, np.finfo(float).tiny)

    def excess(log_sigma: float) -> float:
        return _cov_of_log(_log_phi(G, np.exp(log_sigma)) + log_lr) - target

    if excess(np.log(high)) >= 0:
        return high  # already as sharp as the samples allow: refit at the same width
    if excess(np.log(low)) <= 0:
        return low
    return float(np.exp(brentq(excess, np.log(low), np.log(high), xtol=1e-6)))
