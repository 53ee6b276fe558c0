"""Elite selection: which samples the CE update fits, and how many (the default sizes).

The CE indicator ``H(x) = 1{S(x) beyond gamma}`` with ``gamma`` the elite quantile, written as
"the ``n_elite`` best of the population". Losses are minimised (the loop negates scores when
maximising). NaN is never an elite.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .distributions import Distribution


def elite_indices(losses: NDArray[np.float64], n_elite: int) -> NDArray[np.intp]:
    """Indices of the ``n_elite`` smallest losses, best first.

    NaN losses are never selected: a population with fewer than ``n_elite`` non-NaN losses is
    an error (the update would otherwise fit noise). Ties at the threshold are broken by
    position, which is deterministic.
    """
    n = losses.shape[0]
    if not 1 <= n_elite <= n:
        raise ValueError(f"n_elite={n_elite} needs a population of at least that size, got {n}")
    # argpartition places NaN after every number, so NaN can only enter if there are too few.
    part = np.argpartition(losses, n_elite - 1)[:n_elite]
    idx = part[np.argsort(losses[part], kind="stable")]
    if np.isnan(losses[idx[-1]]):
        n_ok = int(np.count_nonzero(~np.isnan(losses)))
        raise ValueError(f"only {n_ok} of {n} objective values are numbers (the rest are NaN); "
                         f"{n_elite} elites are needed")
    return idx


def best_number(losses: NDArray[np.float64]) -> int | None:
    """The row of the smallest loss among the numbers (the first, if tied); None if all NaN.
    (Not ``nanargmin``, which reads NaN as inf and so may pick a NaN row among infinities.)"""
    numbers = np.flatnonzero(~np.isnan(losses))
    return int(numbers[np.argmin(losses[numbers])]) if numbers.size else None


def default_n_elite(popsize: int, elite_frac: float) -> int:
    """``round(elite_frac * popsize)``, at least 1 and at most ``popsize - 1``."""
    return min(popsize - 1, max(1, int(round(elite_frac * popsize))))


def default_popsize(dist: Distribution, elite_frac: float) -> int:
    """Population size used when none is given (measured in benchmarks/defaults.py).

    The largest of: 50, so that the elite quantile is never a handful of points; enough that
    the elites can fit the family (a full covariance needs dim + 1 of them); and one sample
    per fitted parameter for Gaussians, two for discrete families, whose frequencies are
    noisier and freeze at the floor when too few elites agree by chance.
    """
    per_param = 2 if dist.discrete else 1
    return max(50, math.ceil(dist.min_fit_samples / elite_frac), per_param * dist.n_params)
