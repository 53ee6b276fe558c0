"""Seeds for an objective that draws random numbers (``eval_seeds=``): drawn from the run's
generator, so a run seed gives the same run with any workers and after a resume."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import integer

#: What ``eval_seeds=`` takes: every evaluation its own seed, or one seed per population.
EVAL_SEEDS = ("each", "common")
#: Seeds for the objective lie in [0, SEED_BOUND): what every seeding API takes.
SEED_BOUND = 2**32


def check_eval_seeds(value: Any) -> str | None:
    """``eval_seeds`` checked: None, "each" or "common" (True means "each")."""
    if value is None or value is False:
        return None
    if value is True:
        return "each"
    if not isinstance(value, str) or value not in EVAL_SEEDS:
        raise ValueError(f"eval_seeds must be None, 'each' (a seed per evaluation) or "
                         f"'common' (one per population), got {value!r}")
    return value


def draw_seeds(kind: str | None, rng: np.random.Generator, n: int,
               common: bool = True) -> NDArray[np.int64] | None:
    """``n`` seeds for the objective from ``rng`` (None for ``kind`` None): all equal for
    ``"common"`` (unless ``common`` is False: re-evaluations of one point), else distinct."""
    if kind is None:
        return None
    n = integer("n", n, 1)
    if kind == "common" and common:
        return np.full(n, rng.integers(SEED_BOUND), dtype=np.int64)
    return rng.integers(SEED_BOUND, size=n, dtype=np.int64)
