"""The ``ceopt`` command line. ``ceopt demo`` shows the optimiser on three small problems."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from . import __version__
from .distributions import Bernoulli, Categorical
from .optimize import maximize, minimize


def rosenbrock(X: np.ndarray) -> np.ndarray:
    """Rosenbrock's curved valley, vectorised over rows; minimum 0 at (1, ..., 1)."""
    return (100.0 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1.0 - X[:, :-1]) ** 2).sum(axis=1)


def rastrigin(X: np.ndarray) -> np.ndarray:
    """Rastrigin's egg-box, vectorised over rows; global minimum 0 at the origin."""
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2 * np.pi * X)).sum(axis=1)


def demo(seed: int) -> int:
    """Solve one continuous, one multimodal and two discrete problems; 0 if all are solved."""
    rng = np.random.default_rng(seed)
    hidden = rng.integers(0, 10, size=30)
    problems = [
        ("Rosenbrock, 5-d, full covariance", "f < 1e-6",
         lambda: minimize(rosenbrock, x0=rng.uniform(-5, 5, 5), dist="full", ftarget=1e-6,
                          vectorized=True, seed=seed),
         lambda r: r.fun < 1e-6),
        ("Rastrigin, 2-d, bounds [-5.12, 5.12]", "global optimum",
         lambda: minimize(rastrigin, bounds=[(-5.12, 5.12)] * 2, ftarget=1e-8,
                          vectorized=True, seed=seed),
         lambda r: r.fun < 1e-8),
        ("OneMax, 100 bits", "all ones",
         lambda: maximize(lambda B: B.sum(axis=1), dist=Bernoulli(np.full(100, 0.5)),
                          vectorized=True, seed=seed),
         lambda r: r.fun == 100),
        ("hidden string, 30 symbols of 10", "exact match",
         lambda: maximize(lambda S: (S == hidden).sum(axis=1),
                          dist=Categorical(np.full((30, 10), 0.1)), vectorized=True, seed=seed),
         lambda r: r.fun == 30),
    ]
    print(f"ceopt {__version__} demo (seed {seed})\n")
    print(f"{'problem':<40} {'goal':<15} {'result':>12} {'evals':>8} {'time':>7}  stop")
    all_solved = True
    for name, goal, run, solved in problems:
        t0 = time.perf_counter()
        res = run()
        ok = solved(res)
        all_solved &= ok
        print(f"{name:<40} {goal:<15} {res.fun:>12.3g} {res.nfev:>8d} "
              f"{time.perf_counter() - t0:>6.2f}s  {'solved' if ok else 'NOT solved'}: "
              f"{res.message}")
    return 0 if all_solved else 1


def _seed(text: str) -> int:
    seed = int(text)
    if seed < 0:
        raise argparse.ArgumentTypeError(f"seed must be non-negative, got {seed}")
    return seed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ceopt", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ceopt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    p_demo = commands.add_parser("demo", help="optimise a few small problems and report")
    p_demo.add_argument("--seed", type=_seed, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.seed)
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
