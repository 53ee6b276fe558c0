"""How a discrete run should spend a budget: no restarts, restarts of the same size (the
default for families other than Gaussians, chosen here), IPOP (twice the population each
time) or BIPOP, against random-restart local search.

Two Bernoulli problems of 50 bits, both with many local optima:

- **max-cut** on random graphs G(50, 0.25) (instances 0-9): the cut's size, maximised;
- **deceptive traps**: ten concatenated 5-bit traps (a block of k ones scores 5 if k = 5,
  else 4 - k), whose gradient leads every block away from its optimum; the maximum is 50.

Every run has ``max_evals=20000``. The baseline is steepest-ascent 1-flip hill climbing
from random points, restarted until the same budget is spent (each step evaluates all 50
flips, 50 evaluations). Reported: the mean best value over instances and seeds, and how many
runs reached the best value any run found on that instance. Writes
benchmarks/results/discrete-restarts.md.

    python benchmarks/discrete_restarts.py [--seeds 5] [--instances 10]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402
from ceopt import Bernoulli  # noqa: E402
from ceopt.schedules import BIPOP, IPOP  # noqa: E402

OUT = Path(__file__).parent / "results" / "discrete-restarts.md"
N, BUDGET = 50, 20_000


def max_cut(instance: int):
    """The cut size of each row of bits on a G(50, 0.25) graph."""
    rng = np.random.default_rng(1000 + instance)
    upper = np.triu(rng.random((N, N)) < 0.25, 1)
    W = (upper | upper.T).astype(float)
    total = W.sum() / 2

    def cut(B):
        s = 2.0 * np.asarray(B, dtype=float) - 1.0
        return (total - 0.5 * np.einsum("ij,jk,ik->i", s, W, s)) / 2
    return cut


def traps(instance: int):
    """Ten 5-bit deceptive traps over a fixed random order of the bits."""
    order = np.random.default_rng(2000 + instance).permutation(N)

    def value(B):
        ones = np.asarray(B, dtype=int)[:, order].reshape(len(B), N // 5, 5).sum(axis=2)
        return np.where(ones == 5, 5, 4 - ones).sum(axis=1)
    return value


def hill_climbing(f, seed: int) -> float:
    """1-flip steepest ascent from random points, restarted until BUDGET evaluations."""
    rng = np.random.default_rng(seed)
    best, spent = -np.inf, 0
    while spent + 1 + N <= BUDGET:
        x = rng.random(N) < 0.5
        fx = f(x[None])[0]
        spent += 1
        while spent + N <= BUDGET:
            flips = np.repeat(x[None], N, axis=0)
            flips[np.arange(N), np.arange(N)] ^= True
            values = f(flips)
            spent += N
            if values.max() <= fx:
                break
            x, fx = flips[values.argmax()], values.max()
        best = max(best, fx)
    return float(best)


REFERENCE = "no restarts"
SOLVERS = {
    "no restarts": dict(restarts=0),
    "same-size restarts, IPOP(growth=1): the default": dict(),
    "IPOP (twice the population)": dict(restarts=IPOP()),
    "BIPOP": dict(restarts=BIPOP()),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--instances", type=int, default=10)
    args = ap.parse_args()
    t0 = time.perf_counter()
    lines = []
    for problem, make in (("max-cut, G(50, 0.25)", max_cut), ("deceptive 5-bit traps", traps)):
        found: dict[str, list] = {name: [] for name in [*SOLVERS, "1-flip hill climbing"]}
        evals: dict[str, list] = {name: [] for name in SOLVERS}
        for instance in range(args.instances):
            f = make(instance)
            for seed in range(args.seeds):
                for name, options in SOLVERS.items():
                    res = ceopt.maximize(f, dist=Bernoulli(np.full(N, 0.5)), vectorized=True,
                                         max_evals=BUDGET, seed=seed, **options)
                    found[name].append((instance, res.fun))
                    evals[name].append(res.nfev)
                found["1-flip hill climbing"].append((instance, hill_climbing(f, seed)))
        best = {}
        for runs in found.values():
            for instance, value in runs:
                best[instance] = max(best.get(instance, -np.inf), value)
        lines += [f"### {problem}", "",
                  f"| solver | mean best | gain over {REFERENCE}, paired (± s.e.) | runs at the "
                  f"best any run found | evaluations used (median) |",
                  "|---|---:|---:|---:|---:|"]
        reference = np.array([v for _, v in found[REFERENCE]])
        for name, runs in found.items():
            values = np.array([v for _, v in runs])
            diff = values - reference
            paired = f"{diff.mean():+.2f} ± {diff.std(ddof=1) / np.sqrt(diff.size):.2f}"
            hits = sum(v >= best[i] for i, v in runs)
            used = f"{np.median(evals[name]):.0f}" if name in evals else f"{BUDGET}"
            lines.append(f"| {name} | {values.mean():.2f} | {paired} | {hits}/{len(runs)} | "
                         f"{used} |")
        lines.append("")
    wall = time.perf_counter() - t0
    text = "\n".join([
        "# Restarts of a discrete run (`benchmarks/discrete_restarts.py`)", "",
        f"Bernoulli over {N} bits, `max_evals={BUDGET}`, {args.instances} instances x "
        f"{args.seeds} seeds; {wall:.0f} s. The method is `\"ce\"` (10 % elites of a "
        f"population of 2 x 50 = 100, smoothing 0.7).", "", *lines])
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
