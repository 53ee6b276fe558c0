"""A product of independent families: the distribution of a mixed search space.

A sample is the blocks' samples side by side, ``x = (x_1, ..., x_B)``, each block over its
own columns, and the density factorises, ``q(x) = prod_b q_b(x_b)``. So does the weighted
log-likelihood, ``sum_k w_k log q(x_k) = sum_b sum_k w_k log q_b(x_kb)``: the weighted MLE of
the product is every block's own weighted MLE on its columns, with the same weights. A mixed
space (``ceopt.space``) is a Gaussian over its real and integer coordinates, which learns how
they are coupled, beside a categorical block over its choices.

Samples are ``float64`` arrays (a categorical block's values ``0 .. k-1`` are exact in them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._base import Distribution, LocationScale, check_alpha, check_same_family, check_samples


class Product(Distribution):
    """Independent ``blocks`` side by side: block ``b`` takes the next ``blocks[b].dim``
    columns.

    Example
    -------
    >>> import numpy as np
    >>> from ceopt import Categorical, Gaussian
    >>> p = Product([Gaussian(np.zeros(2), 1.0), Categorical.uniform([3, 5])])
    >>> p.dim, p.sample(4, np.random.default_rng(0)).shape
    (4, (4, 4))
    """

    def __init__(self, blocks: Sequence[Distribution]):
        blocks = tuple(blocks)
        if len(blocks) < 2:
            raise ValueError(f"a Product needs at least two blocks, got {len(blocks)}")
        for block in blocks:
            if not isinstance(block, Distribution):
                raise TypeError(f"Product blocks must be ceopt Distributions, got "
                                f"{type(block).__name__}")
        self._blocks = blocks
        ends = np.cumsum([block.dim for block in blocks])
        self._slices = tuple(slice(int(end - block.dim), int(end))
                             for block, end in zip(blocks, ends, strict=True))
        self.discrete = all(block.discrete for block in blocks)

    @property
    def blocks(self) -> tuple[Distribution, ...]:
        return self._blocks

    @property
    def slices(self) -> tuple[slice, ...]:
        """The columns of each block."""
        return self._slices

    def parts(self, x: NDArray) -> list[tuple[Distribution, NDArray]]:
        """Each block with its columns of the samples ``x``."""
        return [(block, x[:, cols])
                for block, cols in zip(self._blocks, self._slices, strict=True)]

    @property
    def dim(self) -> int:
        return self._slices[-1].stop

    @property
    def mode(self) -> NDArray[np.float64]:
        return np.concatenate([np.asarray(b.mode, dtype=np.float64) for b in self._blocks])

    @property
    def spread(self) -> float:
        """The blocks' largest spread (their units differ: read a block's own)."""
        return max(block.spread for block in self._blocks)

    @property
    def min_spread(self) -> float:
        return max(block.min_spread for block in self._blocks)

    @property
    def spread_above_floor(self) -> float:
        # Collapsed when every block has collapsed onto its own floor.
        return max(block.spread_above_floor for block in self._blocks)

    @property
    def n_params(self) -> int:
        return sum(block.n_params for block in self._blocks)

    @property
    def min_fit_samples(self) -> int:
        return max(block.min_fit_samples for block in self._blocks)

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        out = np.empty((n, self.dim))
        for block, cols in zip(self._blocks, self._slices, strict=True):
            out[:, cols] = block.sample(n, rng)
        return out

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        x = check_samples(x, self.dim)
        return sum(block.log_prob(part) for block, part in self.parts(x))

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Product:
        x = check_samples(x, self.dim)
        return Product([block.fit(part, weights) for block, part in self.parts(x)])

    def smooth(self, new: Product, alpha: float) -> Product:
        check_same_family(self, new)
        check_alpha(alpha)
        return Product([old.smooth(fresh, alpha) for old, fresh in zip(self._blocks,
                                                                        new.blocks, strict=True)])

    def moved(self, mean: ArrayLike) -> Product:
        """The location-scale blocks moved to their columns of ``mean`` (a restart's start);
        the other blocks as they are."""
        mean = np.asarray(mean, dtype=np.float64)
        return Product([block.moved(mean[cols]) if isinstance(block, LocationScale) else block
                        for block, cols in zip(self._blocks, self._slices, strict=True)])

    def entropy(self) -> float:
        return float(sum(block.entropy() for block in self._blocks))

    def state(self) -> dict[str, Any]:
        from . import to_state  # the package's registry of families
        return {"blocks": [to_state(block) for block in self._blocks]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Product:
        from . import from_state
        return cls([from_state(block) for block in state["blocks"]])

    def __repr__(self) -> str:
        return f"Product({', '.join(repr(block) for block in self._blocks)})"
