"""Box constraints, and how samples are kept inside them.

Samples that fall outside ``[low, high]`` are **reflected** back (mirrored at the violated
bound, periodically for points more than a box width away). We chose reflection over the
alternatives because:

- clipping piles samples onto the faces and corners of the box; identical elites make the
  fitted covariance singular and the distribution collapses onto the boundary;
- resampling (rejection) draws from the truncated distribution exactly but can loop for a long
  time when most of the distribution lies outside the box;
- reflection is one vectorised pass, never piles mass on a point, and keeps a positive,
  continuous density up to the boundary, so an optimum on a face is still approached.

For optimisation this is all that matters (CE's update does not use the sampling density). The
rare-event estimator needs the density of its samples and so does not take bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds


class Box:
    """``low <= x <= high`` coordinate-wise; either side may be infinite."""

    def __init__(self, low: NDArray, high: NDArray):
        low = np.asarray(low, dtype=np.float64)
        high = np.asarray(high, dtype=np.float64)
        if np.any(np.isnan(low)) or np.any(np.isnan(high)):
            raise ValueError("bounds must not be NaN")
        if np.any(low == np.inf) or np.any(high == -np.inf):
            raise ValueError("bounds: a lower bound of +inf or an upper bound of -inf leaves "
                             "nothing")
        bad = np.flatnonzero(low >= high)
        if bad.size:
            j = bad[0]
            raise ValueError(f"bounds need low < high; coordinate {j} has low={low[j]:g}, "
                             f"high={high[j]:g}")
        self.low = low
        self.high = high
        self._two_sided = np.isfinite(low) & np.isfinite(high)

    @classmethod
    def parse(cls, bounds: Bounds | Sequence | None, dim: int | None = None) -> Box | None:
        """Read scipy-style bounds: a ``scipy.optimize.Bounds`` or ``dim`` (low, high) pairs.

        ``None`` for a side (in a pair) means unbounded, as in scipy. A single pair is applied
        to every coordinate when ``dim`` is known.
        """
        if bounds is None:
            return None
        if isinstance(bounds, Bounds):
            low, high = np.asarray(bounds.lb, float), np.asarray(bounds.ub, float)
        else:
            try:
                bounds = list(bounds)
            except TypeError:
                raise TypeError(f"bounds must be a scipy.optimize.Bounds or a sequence of "
                                f"(low, high) pairs, got {type(bounds).__name__}") from None
            try:
                pairs = np.array([[-np.inf if v is None else v for v in pair] for pair in bounds],
                                 dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError("bounds must be a scipy.optimize.Bounds or a sequence of "
                                 "(low, high) pairs") from None
            if pairs.ndim != 2 or pairs.shape[1] != 2:
                raise ValueError(f"bounds must be (low, high) pairs, got shape {pairs.shape}")
            low, high = pairs[:, 0], pairs[:, 1]
            # None as an upper bound means +inf; the list comprehension used -inf for both.
            high = np.where([pair[1] is None for pair in bounds], np.inf, high)
        if dim is not None:
            if low.size == 1:
                low, high = np.full(dim, low.item()), np.full(dim, high.item())
            if low.shape != (dim,) or high.shape != (dim,):
                raise ValueError(f"bounds give {low.size} coordinates, the problem has {dim}")
        return cls(np.atleast_1d(low), np.atleast_1d(high))

    @property
    def dim(self) -> int:
        return self.low.size

    @property
    def finite(self) -> bool:
        return bool(self._two_sided.all())

    @property
    def center(self) -> NDArray[np.float64]:
        return 0.5 * (self.low + self.high)

    @property
    def width(self) -> NDArray[np.float64]:
        return self.high - self.low

    def contains(self, x: NDArray) -> NDArray[np.bool_]:
        return np.all((x >= self.low) & (x <= self.high), axis=-1)

    def reflect(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Mirror every coordinate of ``x`` (shape ``(n, dim)``) into the box."""
        if self.finite:
            return self._fold(x, self.low, self.high - self.low)
        out = np.array(x, dtype=np.float64)
        both = self._two_sided
        lo, w = self.low[both], self.width[both]
        out[:, both] = self._fold(out[:, both], lo, w)
        # One-sided coordinates: a single mirror at the finite bound is enough.
        with np.errstate(invalid="ignore"):
            out = np.where(out < self.low, 2 * self.low - out, out)
            out = np.where(out > self.high, 2 * self.high - out, out)
        return out

    @staticmethod
    def _fold(x: NDArray, low: NDArray, width: NDArray) -> NDArray:
        # Reflection is periodic with period 2 * width: fold into [0, 2w), then mirror the
        # upper half [w, 2w) back onto [0, w].
        y = np.mod(x - low, 2 * width)
        return low + np.minimum(y, 2 * width - y)

    def __repr__(self) -> str:
        return f"Box(low={self.low}, high={self.high})"
