"""The scale control: a success rule for the global scale of a Gaussian's spread.

The fit about the previous mean does not by itself shrink or grow the spread at the right
pace, so after the fit every standard deviation is multiplied by a factor from a success rule
on the elite threshold (``docs/ce-method.md``, "The adaptive update"): the fraction ``p`` of
the new population that beats the previous population's ``REFERENCE_QUANTILE`` is compared
with one half, and the smoothed ``s <- (1 - c) s + c (2p - 1)`` sets the factor
``exp(s / damping)``. When the search progresses (``p > 1/2``) the spread grows, when it
stalls it shrinks; the threshold itself never collapses the spread while it still improves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The success rule's reference: the previous population's value at this quantile.
REFERENCE_QUANTILE = 0.3
#: Weight of the newest success measurement in the smoothed success ``s``.
SUCCESS_SMOOTHING = 0.3


class ScaleControl:
    """``factor(losses, step)`` is called once per population with its losses (to be
    minimised) and the mean's standardised move (unused: the rule reads only the values), and
    returns the factor to multiply every standard deviation by."""

    def __init__(self, dim: int):
        self.damping = 2.0 - 2.0 / max(dim, 2)
        self.success = 0.0  # s: the smoothed 2p - 1, in [-1, 1]
        self.reference: float | None = None  # the last population's reference quantile

    def factor(self, losses: NDArray[np.float64], step: NDArray[np.float64] | None = None
               ) -> float:
        finite = losses[~np.isnan(losses)]
        if finite.size == 0:  # nothing to compare (tell never passes this: NaN is no elite)
            return 1.0
        # The REFERENCE_QUANTILE-quantile (the "inverted_cdf" one: a value of the sample);
        # np.partition finds it in linear time, several times faster than np.quantile.
        k = max(math.ceil(REFERENCE_QUANTILE * finite.size) - 1, 0)
        reference, self.reference = self.reference, float(np.partition(finite, k)[k])
        if reference is None:  # the first population has nothing to beat
            return 1.0
        p = np.count_nonzero(finite < reference) / finite.size
        self.success += SUCCESS_SMOOTHING * ((2.0 * p - 1.0) - self.success)
        return math.exp(self.success / self.damping)

    def state(self) -> dict[str, Any]:
        return {"success": self.success, "reference": self.reference}

    def load_state(self, state: dict[str, Any]) -> None:
        self.success = float(state["success"])
        self.reference = None if state["reference"] is None else float(state["reference"])
