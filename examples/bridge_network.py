"""The bridge network of the CE tutorial (de Boer, Kroese, Mannor & Rubinstein, 2005).

Five edges with independent exponential lengths, means u = (0.25, 0.4, 0.1, 0.3, 0.2). The
shortest path from A to B is the least of the four routes

    X1 + X4,   X1 + X3 + X5,   X2 + X3 + X4,   X2 + X5,

and the rare event is "the shortest path is at least 2": l = 1.3425e-5 by numerical
integration. Crude Monte Carlo with the same number of evaluations is printed alongside.

    python examples/bridge_network.py [--seed 0]
"""

import argparse

import numpy as np

from ceopt import Exponential, estimate_rare_event

MEANS = np.array([0.25, 0.4, 0.1, 0.3, 0.2])
EXACT = 1.3425e-5


def shortest_path(X: np.ndarray) -> np.ndarray:
    """Length of the shortest A-B route for each row of edge lengths ``X (n, 5)``."""
    x1, x2, x3, x4, x5 = X.T
    return np.minimum.reduce([x1 + x4, x1 + x3 + x5, x2 + x3 + x4, x2 + x5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    res = estimate_rare_event(shortest_path, Exponential(MEANS), level=2.0, seed=args.seed)
    print(res)
    print(f"CE estimate      {res.probability:.4e}  relative error {res.rel_error:.1%}  "
          f"(exact {EXACT:.4e})")
    print(f"levels           {np.array2string(res.levels, precision=3)}")
    print(f"final means      {np.array2string(res.proposal.mean, precision=3)}")
    print(f"evaluations      {res.nfev:,}")

    rng = np.random.default_rng(args.seed)
    hits = shortest_path(rng.exponential(MEANS, size=(res.nfev, 5))) >= 2.0
    crude = hits.mean()
    rel = f"{np.sqrt((1 - crude) / (crude * res.nfev)):.1%}" if crude > 0 else "undefined"
    print(f"crude Monte Carlo {crude:.4e}  relative error {rel}  "
          f"({hits.sum()} hits in {res.nfev:,} evaluations)")


if __name__ == "__main__":
    main()
