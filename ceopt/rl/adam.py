"""The Adam optimiser on a flat parameter vector: the gradient step of episode-level CE.

Twenty lines of numpy serve the numpy networks of :mod:`ceopt.rl.policies`; a deep-learning
framework would add hundreds of megabytes of dependency for this one update rule.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .._checks import real


class Adam:
    """The Adam optimiser (Kingma & Ba, 2015) on a flat parameter vector.

    With gradient g at step t::

        m = beta1 m + (1 - beta1) g              first moment
        v = beta2 v + (1 - beta2) g²             second moment
        x -= lr * m / (1 - beta1^t) / (sqrt(v / (1 - beta2^t)) + eps)

    Example
    -------
    >>> import numpy as np
    >>> adam, x = Adam(lr=0.1), np.array([3.0, -2.0])
    >>> for _ in range(300):
    ...     x = adam.step(x, 2 * x)            # minimise |x|²
    >>> bool(np.all(np.abs(x) < 1e-2))
    True
    """

    def __init__(self, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.lr = real("lr", lr, minimum=0.0)
        if self.lr == 0 or not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError("Adam needs lr > 0 and betas in [0, 1)")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m: NDArray | None = None
        self.v: NDArray | None = None
        self.t = 0

    def step(self, x: NDArray, grad: NDArray) -> NDArray:
        """The parameters after one step down ``grad`` (``x`` itself is not modified)."""
        if self.m is None:
            self.m, self.v = np.zeros_like(x), np.zeros_like(x)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
