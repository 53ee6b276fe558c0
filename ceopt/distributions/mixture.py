"""A finite mixture of any ceopt family, fitted by weighted EM: the CE update for proposals
with several modes (a failure domain in several parts, an objective with several basins).

    q(x) = sum_k pi_k q_k(x)

The weighted MLE has no closed form, so ``fit`` runs expectation–maximisation, which only
asks each component for what every family already has: ``log_prob`` (the E-step) and the
weighted ``fit`` (the M-step, with weights ``w_i r_ik``, ``r_ik`` the responsibilities).

The number of components is chosen from the samples: K = 1, 2, ... up to ``max_components`` is
fitted (until two K in a row fail to improve) and the one with the smallest BIC kept,

    BIC(K) = -2 n sum_i w_i log q_K(x_i) + p_K log n,    p_K = K p_component + K - 1,

where ``n`` is the weights' effective sample size ``1 / sum w_i^2`` (the likelihood-ratio
weights of a rare-event level count for fewer samples than there are).  K = 1 is the family's
own fit; larger K start from a deterministic weighted k-means++ seeding refined by a few k-means
steps, and K equal to the current mixture's starts from the current components (a warm start,
so that successive CE levels move the same components along).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp

from ._base import (
    Distribution,
    UnsupportedOperation,
    check_alpha,
    check_same_family,
    check_samples,
    effective_sample_size,
    normalized_weights,
    short,
)

#: EM stops when the weighted mean log-likelihood gains less than this per iteration.
EM_TOL = 1e-5
EM_MAX_ITER = 100
#: The search over K stops after this many K in a row that did not lower the BIC.
BIC_PATIENCE = 2
KMEANS_STEPS = 10


class Mixture(Distribution):
    """``sum_k weights[k] * components[k]``, components of one family.

    Parameters
    ----------
    components : sequence of Distribution
        Of one family and dimension. Their floors (``min_std``, ...) carry over to the fit.
    weights : array (K,), optional
        Mixing probabilities (default: equal).
    max_components : int, optional
        The most components :meth:`fit` may choose (default 4, and at least ``K``).

    Example
    -------
    >>> import numpy as np
    >>> from ceopt import Gaussian
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(-5, 1, (500, 2)), rng.normal(5, 1, (500, 2))])
    >>> m = Mixture([Gaussian(np.zeros(2), np.eye(2))]).fit(x)
    >>> len(m.components), np.round(sorted(c.mean[0] for c in m.components)).tolist()
    (2, [-5.0, 5.0])
    """

    __slots__ = ("_components", "_weights", "_max_components")

    def __init__(self, components: list[Distribution] | tuple[Distribution, ...],
                 weights: ArrayLike | None = None, *, max_components: int | None = None):
        components = tuple(components)
        if not components:
            raise ValueError("components must hold at least one distribution")
        first = components[0]
        for i, c in enumerate(components):
            if not isinstance(c, Distribution):
                raise TypeError(f"components[{i}] must be a ceopt Distribution, got "
                                f"{type(c).__name__}")
            if type(c) is not type(first) or c.dim != first.dim:
                raise ValueError(f"components must share one family and dimension: "
                                 f"components[{i}] is a {c.dim}-d {type(c).__name__}, "
                                 f"components[0] a {first.dim}-d {type(first).__name__}")
        k = len(components)
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (k,) or not np.all(np.isfinite(weights) & (weights >= 0)) \
                or weights.sum() <= 0:
            raise ValueError(f"weights must be {k} non-negative numbers, not all zero, got "
                             f"{weights}")
        if max_components is None:
            max_components = max(4, k)
        if int(max_components) != max_components or max_components < 1:
            raise ValueError(f"max_components must be a positive integer, got {max_components}")
        self._components = components
        self._weights = weights / weights.sum()
        self._weights.setflags(write=False)
        self._max_components = int(max_components)

    # -- what the mixture is ---------------------------------------------------------------
    @property
    def components(self) -> tuple[Distribution, ...]:
        return self._components

    @property
    def weights(self) -> NDArray[np.float64]:
        return self._weights

    @property
    def max_components(self) -> int:
        return self._max_components

    @property
    def dim(self) -> int:
        return self._components[0].dim

    @property
    def discrete(self) -> bool:  # type: ignore[override]
        return self._components[0].discrete

    @property
    def spread(self) -> float:
        return max(c.spread for c in self._components)

    @property
    def n_params(self) -> int:
        k = len(self._components)
        return k * self._components[0].n_params + k - 1

    @property
    def min_fit_samples(self) -> int:
        return self._components[0].min_fit_samples  # K = 1 is always a candidate

    @property
    def mode(self) -> NDArray:
        """The likeliest of the components' modes (the mixture's own mode has no closed
        form; with separated components it is one of these)."""
        modes = np.array([c.mode for c in self._components])
        return modes[np.argmax(self.log_prob(modes))]

    def support(self) -> NDArray[np.bool_] | None:
        supports = [c.support() for c in self._components]
        if any(s is None for s in supports):
            return None
        return np.logical_or.reduce(supports)

    # -- sampling and density --------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> NDArray:
        which = rng.choice(len(self._components), size=n, p=self._weights)
        out = None
        for k, c in enumerate(self._components):
            rows = np.flatnonzero(which == k)
            if rows.size == 0:
                continue
            draws = c.sample(rows.size, rng)
            if out is None:
                out = np.empty((n, self.dim), dtype=draws.dtype)
            out[rows] = draws
        return out if out is not None else np.empty((0, self.dim))

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        x = check_samples(x, self.dim)
        return logsumexp(self._joint(x), axis=1)

    def _joint(self, x: NDArray) -> NDArray[np.float64]:
        """``log pi_k + log q_k(x_i)``, shape ``(n, K)``."""
        with np.errstate(divide="ignore"):
            log_w = np.log(self._weights)
        return np.column_stack([c.log_prob(x) for c in self._components]) + log_w

    # -- the CE update ---------------------------------------------------------------------
    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Mixture:
        """Weighted EM for every K up to ``max_components``; the smallest BIC wins."""
        x = check_samples(x, self.dim)
        w = normalized_weights(weights, x.shape[0])
        n_eff = 1.0 / np.sum(w * w)
        template = self._components[0]
        best, best_bic, worse = None, np.inf, 0
        for k in range(1, self._max_components + 1):
            if worse >= BIC_PATIENCE:
                break
            if k > 1 and n_eff < k * max(template.min_fit_samples, 2) * 2:
                break  # too few effective samples to give each component a fit
            if k == 1:
                fitted = Mixture([template.fit(x, w)], max_components=self._max_components)
            else:
                start = self._responsibilities(x) if k == len(self._components) \
                    else _kmeans_responsibilities(x, w, k)
                fitted = self._em(template, x, w, start)
            if fitted is None:
                worse += 1
                continue
            loglik = float(w @ fitted.log_prob(x))
            bic = -2 * n_eff * loglik + fitted.n_params * np.log(n_eff)
            if bic < best_bic:
                best, best_bic, worse = fitted, bic, 0
            else:
                worse += 1
        return best

    def _responsibilities(self, x: NDArray) -> NDArray[np.float64]:
        joint = self._joint(x)
        return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))

    def _em(self, template: Distribution, x: NDArray, w: NDArray,
            resp: NDArray) -> Mixture | None:
        """EM from the responsibilities ``resp``; None when components die out below two."""
        previous = -np.inf
        mixture = None
        for _ in range(EM_MAX_ITER):
            v = w[:, None] * resp
            mass = v.sum(axis=0)
            # A component must keep enough effective samples for its own fit.
            with np.errstate(invalid="ignore", divide="ignore"):
                alive = effective_sample_size(v, axis=0) >= template.min_fit_samples
            if alive.sum() < 2:
                return None
            comps = [template.fit(x, v[:, k]) for k in np.flatnonzero(alive)]
            mixture = Mixture(comps, mass[alive], max_components=self._max_components)
            joint = mixture._joint(x)
            log_q = logsumexp(joint, axis=1)
            loglik = float(w @ log_q)
            if loglik - previous < EM_TOL:
                break
            previous = loglik
            resp = np.exp(joint - log_q[:, None])
        return mixture

    def smooth(self, new: Mixture, alpha: float) -> Mixture:
        """``alpha * new + (1 - alpha) * self``, component by component.

        Each new component is paired with the old one nearest it (one to one when both have
        as many) and the pair is smoothed by its family; the mixing weights are mixed
        likewise. The result has the new mixture's components, each moved only part of the
        way from where the old mixture was: the mixture moves as one distribution would.
        """
        check_same_family(self, new)
        a = check_alpha(alpha)
        if a == 1.0:
            return new
        pair = _pairing(self._components, new.components)
        comps = [self._components[i].smooth(c, a)
                 for i, c in zip(pair, new.components, strict=True)]
        old_w = self._weights[pair] if len(new.components) == len(self._components) \
            else new.weights
        return Mixture(comps, a * new.weights + (1 - a) * old_w,
                       max_components=self._max_components)

    def scaled(self, factor: float) -> Mixture:
        """Every component's standard deviations times ``factor`` (the components' family
        must have ``scaled``: the Gaussian ones do)."""
        if not all(hasattr(c, "scaled") for c in self._components):
            raise UnsupportedOperation(f"a mixture of {type(self._components[0]).__name__} "
                                       f"cannot be scaled")
        return Mixture([c.scaled(factor) for c in self._components], self._weights,
                       max_components=self._max_components)

    # -- checkpoints -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        from . import to_state  # the registry lives in the package, which imports this

        return {"weights": self._weights, "max_components": self._max_components,
                "components": [to_state(c) for c in self._components]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Mixture:
        from . import from_state

        return cls([from_state(c) for c in state["components"]], state["weights"],
                   max_components=state["max_components"])

    def entropy(self) -> float:
        raise UnsupportedOperation("a mixture's entropy has no closed form")

    def __repr__(self) -> str:
        return (f"Mixture({len(self._components)} x {type(self._components[0]).__name__}, "
                f"weights={short(self._weights, 3)})")


def _pairing(old: tuple, new: tuple) -> NDArray[np.intp]:
    """For each new component, the old one whose mean is nearest: one to one (the assignment
    of least total distance) when there are as many, the nearest each otherwise; in order
    when the family has no mean."""
    try:
        a = np.array([c.mean for c in old], dtype=float)
        b = np.array([c.mean for c in new], dtype=float)
    except (AttributeError, UnsupportedOperation):
        return np.arange(len(new)) % len(old)
    cost = ((b[:, None, :] - a[None, :, :]) ** 2).sum(axis=2)
    if len(old) != len(new):
        return np.argmin(cost, axis=1)
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]


def _kmeans_responsibilities(x: NDArray, w: NDArray, k: int) -> NDArray[np.float64]:
    """Hard assignments to ``k`` clusters, as responsibilities: weighted k-means on
    coordinates scaled by their weighted spread, seeded without randomness (each next centre
    is the point of largest ``w * distance^2`` to the chosen ones, the first one measured from
    the weighted mean), so that the fit stays a function of its samples."""
    mean = w @ x
    scale = np.sqrt(w @ (x - mean) ** 2)
    z = (x - mean) / np.where(scale > 0, scale, 1.0)
    dist = (z * z).sum(axis=1)
    centres = []
    for _ in range(k):
        centres.append(z[np.argmax(w * dist)])
        to_new = ((z - centres[-1]) ** 2).sum(axis=1)
        dist = to_new if len(centres) == 1 else np.minimum(dist, to_new)
    c = np.array(centres)
    for _ in range(KMEANS_STEPS):
        label = np.argmin(((z[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            mass = w[label == j].sum()
            if mass > 0:
                c[j] = w[label == j] @ z[label == j] / mass
    return np.eye(k)[label]
