"""The update of a product of families (a mixed search space): each block by its own rule.

The weighted MLE of a :class:`~ceopt.distributions.Product` is each block's own fit on its
columns with the same weights, so every block can keep its own update: the location-scale
block (reals and integers) the rule ``method=`` names (``"adaptive"`` by default, with its
scale control and kept sample on those columns), a discrete block (choices) the textbook fit
with smoothing. All are fitted to the same elites with the same elite weights, so the blocks
learn from one selection.

The discrete block's smoothing is :data:`DISCRETE_SMOOTHING`, and a product with a discrete
block samples :data:`POPSIZE_FACTOR` times the population the Gaussian's method would: on the
categorical benchmark (``benchmarks/results/categorical.md``; d = 5, k = 3 and 10, instances
1-2) the fraction of targets reached at 100·d / 1000·d was .21/.35 with smoothing 0.3 at
the single population, .09/.26 at 0.1, .18/.42 at 0.6, .21/.39 at 0.8, .20/.41 with 0.3 at
the doubled population and .26/.54 with 0.6 there (.23/.54 with 0.45). ``ceopt.space``
gives the choices a floor that keeps every option tried (the wrong option of two close ones
is chosen without it; a floor of 1/(4k) instead reached .15/.20; its cap, 1/(4k) until
0.05/k, left the reals of k = 20 stalled, :func:`ceopt.space.choice_floor`).
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from ..distributions import Distribution, LocationScale
from ..distributions.product import Product
from .base import UpdateRule

#: Smoothing of a discrete block's probabilities in a product.
DISCRETE_SMOOTHING = 0.6
#: A product with a discrete block samples this many times its Gaussian method's population.
POPSIZE_FACTOR = 2


class Blockwise:
    """One rule per block of a :class:`Product`, presenting itself as the rule of its
    location-scale block (its name, options, presets and sizes), the *primary*.

    ``make(method, block, options)`` builds a block's rule (``ceopt.updates.make_rule``).
    """

    TESTS_SEPARABILITY = False

    def __init__(self, dist: Product, method: str | None, options: dict[str, Any], make):
        steerable = [isinstance(block, LocationScale) for block in dist.blocks]
        first = steerable.index(True) if any(steerable) else 0
        self.primary: UpdateRule = make(method, dist.blocks[first], options)
        # Beside a Gaussian, a discrete block learns at its own, slower, rate.
        discrete = ({"weights": self.primary.weights, "smoothing": DISCRETE_SMOOTHING}
                    if any(steerable) else options)
        self.rules = [self.primary if b == first else
                      make(method, block, options) if steerable[b] else
                      make("ce", block, discrete)
                      for b, block in enumerate(dist.blocks)]
        self.name = self.primary.name
        self.TOL_FUN = self.primary.TOL_FUN
        # Twice the population when a discrete block learns beside a Gaussian.
        self.factor = POPSIZE_FACTOR if any(steerable) and not all(steerable) else 1

    def __getattr__(self, name: str) -> Any:
        # The options a user reads (weights, smoothing, keep_best, ...) are the primary's.
        if name.startswith("_") or name in ("primary", "rules", "factor"):
            raise AttributeError(name)
        return getattr(self.primary, name)

    def options(self) -> dict[str, Any]:
        return self.primary.options()

    def sizes(self, dist: Product, *, popsize: int | None = None,
              elite_frac: float | None = None, n_elite: int | None = None) -> tuple[int, int]:
        if popsize is None and self.factor > 1:
            frac = self.primary.ELITE_FRAC if elite_frac is None else elite_frac
            popsize = self.factor * self.primary.default_popsize(dist, frac)
        return self.primary.sizes(dist, popsize=popsize, elite_frac=elite_frac,
                                  n_elite=n_elite)

    def restarts_within_budget(self, dist: Distribution) -> bool:
        return True

    def begin(self, dist: Product, n_elite: int) -> None:
        for rule, block in zip(self.rules, dist.blocks, strict=True):
            rule.begin(block, n_elite)

    def update(self, dist: Product, X: NDArray, elites: NDArray,
               ranking: NDArray) -> Product:
        return Product([rule.update(block, part, elites, ranking)
                        for rule, (block, part) in zip(self.rules, dist.parts(X), strict=True)])

    def search_state(self) -> dict[str, Any]:
        return {"blocks": [rule.search_state() for rule in self.rules]}

    def load_search_state(self, state: dict[str, Any]) -> None:
        for rule, block_state in zip(self.rules, state["blocks"], strict=True):
            rule.load_search_state(block_state)
