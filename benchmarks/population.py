"""Where ceopt's gap to pycma on unimodal functions comes from: the population size.

Evaluations to reach f <= 1e-8 on the sphere and on an ellipsoid of condition 1e6, from a
uniform random start in [-4, 4]^d with a spread of 2, no restarts; medians over seeds. ceopt
runs with its defaults (population 2(d+1), the fewest whose better half can fit a full
covariance); pycma once with its default population 4 + 3 ln d and once with ceopt's. Writes
benchmarks/results/population.md.

    python benchmarks/population.py [--seeds 5] [--dims 10 20]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402

OUT = Path(__file__).parent / "results" / "population.md"
TARGET = 1e-8
BUDGET = 200_000


def sphere(X):
    return np.sum(np.square(X), axis=-1)


def ellipsoid(X):
    d = np.shape(X)[-1]
    return np.sum(10 ** (6 * np.arange(d) / (d - 1)) * np.square(X), axis=-1)


def ceopt_evals(f, x0, seed):
    res = ceopt.minimize(f, x0=x0, sigma0=2.0, vectorized=True, ftarget=TARGET, seed=seed,
                         max_evals=BUDGET, restarts=0)
    return res.nfev if res.fun <= TARGET else np.inf


def cma_evals(f, x0, seed, popsize):
    import cma
    options = {"seed": seed + 1, "verbose": -9, "ftarget": TARGET, "maxfevals": BUDGET}
    if popsize:
        options["popsize"] = popsize
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = cma.CMAEvolutionStrategy(x0, 2.0, options)
        es.optimize(lambda x: float(f(np.asarray(x))))
    return es.result.evaluations if es.result.fbest <= TARGET else np.inf


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--dims", type=int, nargs="+", default=[10, 20])
    args = ap.parse_args()
    rows = []
    for d in args.dims:
        lam = 2 * (d + 1)
        for name, f in (("sphere", sphere), ("ellipsoid", ellipsoid)):
            runs = {"ceopt": [], "pycma, its default": [], f"pycma, {lam}": []}
            for seed in range(args.seeds):
                x0 = np.random.default_rng(seed).uniform(-4, 4, d)
                runs["ceopt"].append(ceopt_evals(f, x0, seed))
                runs["pycma, its default"].append(cma_evals(f, x0, seed, None))
                runs[f"pycma, {lam}"].append(cma_evals(f, x0, seed, lam))
            med = {k: float(np.median(v)) for k, v in runs.items()}
            rows.append((d, name, lam, med["ceopt"], 4 + int(3 * np.log(d)),
                         med["pycma, its default"], med[f"pycma, {lam}"]))
            print(rows[-1])
    lines = ["# Evaluations to f <= 1e-8: ceopt against pycma by population size", "",
             f"Written by `python benchmarks/population.py --seeds {args.seeds}`. Medians over "
             f"{args.seeds} seeds; start uniform in [-4, 4]^d, spread 2, no restarts; the "
             "ellipsoid has condition 1e6.", "",
             "| d | function | ceopt (population) | pycma, default (population) | "
             "pycma, ceopt's population |",
             "|---:|---|---:|---:|---:|"]
    for d, name, lam, ce, small, cma_small, cma_lam in rows:
        lines.append(f"| {d} | {name} | {ce:.0f} ({lam}) | {cma_small:.0f} ({small}) | "
                     f"{cma_lam:.0f} |")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
