"""Standard combinatorial instances, read into arrays, and their objectives on whole populations.

- :func:`read_tsplib`: a TSPLIB file (``.tsp``, ``.atsp``) through ``tsplib95``, the maintained
  reader (``pip install tsplib95``; it is in the ``combinatorial`` extra), as a distance
  matrix with TSPLIB's own distance functions (``EUC_2D`` rounds to the nearest integer).
- :func:`read_qaplib`: a QAPLIB ``.dat`` file (``n``, then the flow matrix ``A``, then the
  distance matrix ``B``, all whitespace-separated integers; no maintained reader exists).
- :func:`tour_length` and :func:`assignment_cost`: vectorised objectives for
  ``minimize(..., vectorized=True)`` over permutations of ``0 .. n-1``.

Example
-------
>>> import numpy as np, ceopt
>>> from ceopt.instances import tour_length
>>> D = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])
>>> res = ceopt.minimize(tour_length(D), dist=ceopt.Permutation(4), vectorized=True, seed=0)
>>> res.fun
4.0
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class TSPInstance:
    """A TSPLIB instance: ``name``, ``distances`` (n, n; city ``i`` is row ``i``, TSPLIB's
    node ``i + 1``) and whether it is ``symmetric``."""

    name: str
    distances: NDArray[np.float64]
    symmetric: bool

    @property
    def n(self) -> int:
        return self.distances.shape[0]


def read_tsplib(path: str | os.PathLike) -> TSPInstance:
    """The TSPLIB instance in ``path`` (needs ``tsplib95``)."""
    try:
        import tsplib95
    except ImportError:
        raise ImportError("reading TSPLIB files needs tsplib95: pip install tsplib95 (or "
                          "pip install -e '.[combinatorial]' in a ceopt checkout)") from None
    problem = tsplib95.load(os.fspath(path))
    nodes = list(problem.get_nodes())
    if not nodes:
        raise ValueError(f"{path}: no nodes found (is it a TSPLIB .tsp or .atsp file?)")
    distances = np.array([[problem.get_weight(a, b) for b in nodes] for a in nodes],
                         dtype=np.float64)
    np.fill_diagonal(distances, 0.0)
    return TSPInstance(str(problem.name), distances, bool(np.array_equal(distances,
                                                                          distances.T)))


@dataclass(frozen=True)
class QAPInstance:
    """A QAPLIB instance: the cost of assigning facility ``i`` to location ``p[i]`` is
    ``sum_ij flow[i, j] * distance[p[i], p[j]]``."""

    name: str
    flow: NDArray[np.float64]
    distance: NDArray[np.float64]

    @property
    def n(self) -> int:
        return self.flow.shape[0]


def read_qaplib(path: str | os.PathLike) -> QAPInstance:
    """The QAPLIB instance in ``path``: ``n``, then ``A`` (the flows) and ``B`` (the
    distances), ``n * n`` numbers each."""
    with open(path) as file:
        numbers = file.read().split()
    try:
        values = np.array([float(v) for v in numbers])
    except ValueError as exc:
        raise ValueError(f"{path}: a QAPLIB file holds numbers only ({exc})") from None
    if values.size == 0 or values[0] != int(values[0]) or values[0] < 1:
        raise ValueError(f"{path}: a QAPLIB file starts with the size n")
    n = int(values[0])
    if values.size != 1 + 2 * n * n:
        raise ValueError(f"{path}: n = {n} needs {2 * n * n} matrix entries after it, found "
                         f"{values.size - 1}")
    flow, distance = values[1:].reshape(2, n, n)
    return QAPInstance(os.path.splitext(os.path.basename(path))[0], flow, distance)


def tour_length(distances: ArrayLike) -> Callable[[NDArray[np.int64]], NDArray[np.float64]]:
    """The length of each closed tour (rows of city indices), returning to its start:
    ``sum_t D[x_t, x_{t+1}] + D[x_{n-1}, x_0]``."""
    D = np.asarray(distances, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"distances must be a square matrix, got shape {D.shape}")

    def length(X: NDArray[np.int64]) -> NDArray[np.float64]:
        X = np.atleast_2d(X)
        return D[X, np.roll(X, -1, axis=1)].sum(axis=1)

    return length


def assignment_cost(flow: ArrayLike,
                    distance: ArrayLike) -> Callable[[NDArray[np.int64]], NDArray[np.float64]]:
    """The quadratic assignment cost of each row ``p`` (facility ``i`` at location
    ``p[i]``): ``sum_ij flow[i, j] * distance[p[i], p[j]]``."""
    A = np.asarray(flow, dtype=np.float64)
    B = np.asarray(distance, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape != B.shape:
        raise ValueError(f"flow and distance must be square matrices of one shape, got "
                         f"{A.shape} and {B.shape}")

    def cost(P: NDArray[np.int64]) -> NDArray[np.float64]:
        P = np.atleast_2d(P)
        return np.einsum("ij,kij->k", A, B[P[:, :, None], P[:, None, :]])

    return cost
