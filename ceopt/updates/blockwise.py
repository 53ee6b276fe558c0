"""The update of a product of families (a mixed search space): each block by its own rule.

The weighted MLE of a :class:`~ceopt.distributions.Product` is each block's own fit on its
columns with the same weights, so every block can keep its own update: the location-scale
block (reals and integers) the rule ``method=`` names (``"adaptive"`` by default, with its
scale control and kept sample on those columns), a discrete block (choices) the textbook fit
with smoothing. All are fitted to the same elites with the same elite weights, so the blocks
learn from one selection.

A discrete block learns faster than the Gaussian it is paired with (a handful of
probabilities against a mean and a covariance), and one that settles before the Gaussian has
found where each option is best settles on the wrong option. Its smoothing is therefore
slower than the textbook's, :data:`DISCRETE_SMOOTHING`, and ``ceopt.space`` gives the
choices a floor that keeps every option tried (``benchmarks/results/mixint.md``).
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from ..distributions import Distribution, LocationScale
from ..distributions.product import Product
from .base import UpdateRule

#: Smoothing of a discrete block's probabilities in a product.
DISCRETE_SMOOTHING = 0.3


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

    def __getattr__(self, name: str) -> Any:
        # The options a user reads (weights, smoothing, keep_best, ...) are the primary's.
        if name.startswith("_") or name in ("primary", "rules"):
            raise AttributeError(name)
        return getattr(self.primary, name)

    def options(self) -> dict[str, Any]:
        return self.primary.options()

    def sizes(self, dist: Distribution, **given) -> tuple[int, int]:
        return self.primary.sizes(dist, **given)

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
