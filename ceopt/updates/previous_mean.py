"""Method ``"ce"``: the CE update with a location-scale family's spread fitted about the
**previous** mean.

    m_new = sum_k w_k x_k                               (over the elites)
    C_fit = sum_k w_k (x_k - m_old)(x_k - m_old)^T      (the MLE for a mean known to be m_old)
    m, C  <- smoothing * (m_new, C_fit) + (1 - smoothing) * (m, C)   (C at rate smoothing_cov)

On a slope the elites lie to one side of the old mean, so this stretches the distribution in
the direction of progress instead of shrinking it (CMA-ES calls it rank-mu;
``docs/ce-method.md``, "Why textbook CE stalls"). Other families get the textbook update. The
spread has its own rate: 0.3 for a full covariance (its ``d + 1`` elites give a noisy one,
averaged over about three iterations), ``smoothing`` otherwise. A family may learn at its own
default rate (:data:`FAMILY_SMOOTHING`).

``keep_best``: the mean is fitted to the elites chosen among the new population and the
previous population's best sample, kept for one iteration only, so that an unlucky
population does not throw a good point away; the spread is fitted to the new elites only.
Other families (bits, choices, permutations) have no mean apart from the rest of the fit, so
there the whole fit takes the search's best sample so far as a candidate elite, kept until a
better one comes (an elitist CE method): a rare good sample, such as an improved run's lucky
descent, pulls the model until the model draws better (:func:`kept_elites`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..distributions import BernoulliTree, Distribution, LocationScale
from .textbook import Textbook

#: The smoothing of the families that learn faster than the usual 0.7 lets them settle. A
#: tree of bits is rebuilt from the mixed moments every iteration, so a fast mix also swaps
#: its edges fast: on IOHprofiler's PBO problems 0.3 solved 0.97, 0.89 and 0.83 of the runs
#: at n = 16, 64 and 100 where 0.7 solved 0.86, 0.77 and 0.70 (``benchmarks/results/
#: pbo.md``), and on 50-bit max-cut it scored 1.7 more (+0.6 and -1.1, each ± 0.4 against
#: independent bits at 0.7: ``bit-models.md``). Independent bits stay at 0.7: 0.3 helped
#: them on max-cut (+0.8 ± 0.3) and PBO (1.00, 0.83, 0.78 against 0.99, 0.79, 0.72) but
#: lost 1.0 ± 0.1 on deceptive traps.
FAMILY_SMOOTHING: dict[type, float] = {BernoulliTree: 0.3}


@dataclass(frozen=True)
class Kept:
    """The previous population's best sample as fitted, and its ranking value."""

    x: NDArray
    rank: float


def kept_mean(chosen: NDArray, chosen_rank: NDArray, kept: Kept,
              weights: NDArray | None) -> NDArray | None:
    """The weighted mean of the elites chosen among the new population and the kept sample;
    None if that sample is not among them.

    ``chosen`` are the new elites, best first, ``chosen_rank`` their ranking values and
    ``weights`` theirs (None: equal). The kept sample takes its place among them by its rank
    (after new samples that tie with it), the last elite drops out, and the weights apply to
    the new order: the elites after it move one weight down.
    """
    place = int(np.searchsorted(chosen_rank, kept.rank, side="right"))
    mu = chosen_rank.size
    if place == mu:  # no better than the worst elite: the mean stays the fit's
        return None
    w = np.full(mu, 1.0 / mu) if weights is None else weights
    shifted = np.concatenate([w[:place], w[place + 1:], [0.0]])  # the last elite's: 0
    return shifted @ chosen + w[place] * kept.x


def kept_elites(chosen: NDArray, chosen_rank: NDArray, kept: Kept) -> tuple[NDArray, NDArray]:
    """The elites chosen among the new ones (``chosen``, best first, ranked ``chosen_rank``)
    and the kept sample, and their ranking values: the kept sample takes its place by its rank
    and the last elite drops out. A population that holds a sample as good as the kept one
    does without it: on a finite space that is usually the same point (a tour may be the kept
    one from another starting city), which would otherwise count twice."""
    place = int(np.searchsorted(chosen_rank, kept.rank, side="left"))
    if place == chosen_rank.size or chosen_rank[place] == kept.rank:
        return chosen, chosen_rank
    x = kept.x.astype(chosen.dtype, copy=False)[None, :]
    return (np.concatenate([chosen[:place], x, chosen[place:-1]]),
            np.concatenate([chosen_rank[:place], [kept.rank], chosen_rank[place:-1]]))


class PreviousMean(Textbook):
    name = "ce"

    def default_smoothing(self, dist: Distribution) -> float:
        return FAMILY_SMOOTHING.get(type(dist), self.SMOOTHING)

    def _check_previous_mean(self, option: str, steerable: bool) -> None:
        if not steerable and option != "keep_best":
            raise ValueError(f"{option} acts on a Gaussian's mean and spread; it applies to "
                             f"Gaussians only (location-scale families)")

    def begin(self, dist: Distribution, n_elite: int) -> None:
        super().begin(dist, n_elite)
        self._kept: Kept | None = None
        self._elitist = self.keep_best and not isinstance(dist, LocationScale)

    def _step(self, dist: Distribution, X: NDArray, elites: NDArray,
              ranking: NDArray) -> Distribution:
        if not isinstance(dist, LocationScale):
            if not self.keep_best:
                return super()._step(dist, X, elites, ranking)  # the textbook update
            return self._step_elitist(dist, X, elites, ranking)
        w, chosen = self.elite_weights, X[elites]
        # The kept sample's mean first: the fit may overwrite ``chosen``, this update's own
        # copy of the elites (sparing an (n_elite, d) temporary: at (100, 1000) with half the
        # population as elites, 0.7 x the RNG floor, benchmarks/overhead.py).
        mean = None if self._kept is None else kept_mean(chosen, ranking[elites], self._kept, w)
        # Fewer elites than the family needs (method "adaptive"'s small populations) give a
        # fit of lower rank, a term of the mix below.
        low = {"low_rank": True} if chosen.shape[0] < dist.min_fit_samples else {}
        fitted = dist.fit(chosen, w, center=dist.mean, overwrite_x=True, **low)
        if mean is not None:
            fitted = fitted.moved(mean)
        new = dist.smooth(fitted, self.smoothing, self.smoothing_cov,
                          **self._spread_terms(ranking, dist, fitted, X, elites))
        if self.keep_best:  # this population's best, a candidate elite of the next mean only
            self._kept = Kept(X[elites[0]].copy(), float(ranking[elites[0]]))
        return new

    def _step_elitist(self, dist: Distribution, X: NDArray, elites: NDArray,
                      ranking: NDArray) -> Distribution:
        """The textbook update of the elites chosen among the population and the search's
        best sample so far, which is kept for the next update."""
        chosen, rank = X[elites], ranking[elites]
        if self._kept is not None:
            chosen, rank = kept_elites(chosen, rank, self._kept)
        new = super()._step(dist, chosen, np.arange(chosen.shape[0]), ranking)
        self._kept = Kept(chosen[0].copy(), float(rank[0]))
        return new

    def _flat(self) -> None:
        if not self._elitist:  # (the search's best stays the search's best)
            self._kept = None  # a flat population has no best to keep

    def search_state(self) -> dict[str, Any]:
        kept = None if self._kept is None else {"x": self._kept.x, "rank": self._kept.rank}
        return {**super().search_state(), "kept": kept}

    def load_search_state(self, state: dict[str, Any]) -> None:
        super().load_search_state(state)
        kept = state["kept"]
        # (a float for a Gaussian's, the family's own for the others': a permutation's ints)
        self._kept = None if kept is None else Kept(np.array(kept["x"]), float(kept["rank"]))
