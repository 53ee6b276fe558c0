"""Permutation problems: TSPLIB tours (symmetric and asymmetric) and QAPLIB assignments.

Every solver sees the objective as a black box on whole populations and gets the same budget,
``--budget`` x n² evaluations; the relative error of the best value found to the known
optimum is reported (best, median, worst over the seeds), with the evaluations used and the
wall time. The instances and their optima are in ``benchmarks/instances`` (``SOURCES.md``).

Solvers:

- ``ceopt``: ``Permutation(n)`` (the node-transition model) for tours, ``"position"`` for
  assignments, with local improvement by the family's usual moves (``improve=True``: 2-opt
  and Or's moves on tours, swaps on assignments; on tours only the candidate moves the
  model finds likely, among them the exchanges of longer stretches ``"or3opt"``, in a
  population of at most 100); restarts spend the budget (the default with ``max_evals``).
- ``ceopt-no-keep``: without the search's best sample kept among the elites of every fit
  (``keep_best=False``), the default until it came in. The variants below were measured
  before it too, and run without it.
- ``ceopt-no-or3opt``: tours over candidate moves without ``"or3opt"`` (``improve=
  "2opt+oropt"``) nor the kept best sample, the default until those moves came in.
- ``ceopt-random-order``: tours with every move tried in a random order
  (``improve_order="random"``, the population ``max(50, 2n)``), the default until the
  candidate moves; ``ceopt-model-order``: every move, in an order drawn from the model
  (``improve_order="model"``).
- ``ceopt-candidates-2n`` and ``ceopt-candidates-popN``: the candidate moves in a
  population of ``max(50, 2n)`` or N (the choice of the default's); ``ceopt-smoothS``:
  smoothing S instead of the family's. These three take ``improve="2opt+oropt"``, as the
  default did when they were measured.
- ``ceopt-plain``: the same without local improvement (the ablation).
- ``ceopt-classic``: with improvement of the best sample only, in the classic CE population
  (two samples per parameter, about 2 n²) instead of the improved run's default of 2n.
- ``ceopt-<model>``: a permutation model named, with the instance's moves whatever the model
  (2-opt and Or's moves on tours, swaps on assignments), so that only the model differs;
  ``ceopt-plain-<model>`` the model without improvement.
- ``pycma-rk``: pycma on random keys (a point of [0, 1]^n, ranked by ``argsort``), IPOP
  restarts until the budget is spent, its default settings otherwise.
- ``local-restarts``: the local search of ``improve=True`` with every move tried in a
  random order (2-opt and Or's moves, or swaps), from random permutations, restarted until
  the budget is spent.
- ``elkai``: LKH (Helsgaun's Lin-Kernighan heuristic, through ``elkai``) on the tours, the
  reference for a dedicated heuristic; its evaluations are not counted (it computes tour
  lengths itself).

    python benchmarks/combinatorial.py [--seeds 10] [--budget 100] [--instances eil51,nug12]
        [--solvers ceopt,pycma-rk] [--models position,plackett-luce] [--report]

Writes benchmarks/results/combinatorial-runs.csv (appending) and combinatorial.md.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import time  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402
from ceopt.improvement import Improvement  # noqa: E402
from ceopt.instances import assignment_cost, read_qaplib, read_tsplib, tour_length  # noqa: E402
from ceopt.updates import default_popsize  # noqa: E402

HERE = Path(__file__).parent
FILES = HERE / "instances"
RUNS = HERE / "results" / "combinatorial-runs.csv"
OUT = HERE / "results" / "combinatorial.md"

#: name: (file, known optimum)
INSTANCES = {
    "eil51": ("eil51.tsp", 426), "berlin52": ("berlin52.tsp", 7542),
    "st70": ("st70.tsp", 675), "eil76": ("eil76.tsp", 538), "kroA100": ("kroA100.tsp", 21282),
    "ftv33": ("ftv33.atsp", 1286), "ftv38": ("ftv38.atsp", 1530), "ft53": ("ft53.atsp", 6905),
    "ry48p": ("ry48p.atsp", 14422), "kro124p": ("kro124p.atsp", 36230),
    "nug12": ("nug12.dat", 578), "chr12a": ("chr12a.dat", 9552), "nug20": ("nug20.dat", 2570),
    "tai20a": ("tai20a.dat", 703482),
}
FIELDS = ["instance", "solver", "seed", "budget", "best", "optimum", "rel_error", "nfev",
          "seconds"]


def problem(name: str):
    """(objective on a population, n, kind: "tsp", "atsp" or "qap", matrices for elkai)."""
    file, _ = INSTANCES[name]
    if file.endswith(".dat"):
        qap = read_qaplib(FILES / file)
        return assignment_cost(qap.flow, qap.distance), qap.n, "qap", None
    tsp = read_tsplib(FILES / file)
    return tour_length(tsp.distances), tsp.n, "tsp" if tsp.symmetric else "atsp", tsp.distances


MODEL = {"tsp": "transition", "atsp": "transition", "qap": "position"}
MOVES = {"tsp": "2opt+oropt", "atsp": "2opt+oropt", "qap": "swap"}


class Counted:
    """The objective, counting its evaluations and keeping the best value."""

    def __init__(self, fun):
        self.fun, self.nfev, self.best = fun, 0, np.inf

    def __call__(self, X):
        values = self.fun(np.asarray(X))
        self.nfev += len(values)
        self.best = min(self.best, float(values.min()))
        return values


def run_ceopt(fun, n, kind, seed, budget, model=None, improve=True, classic=False,
              order=None, popsize=None, smoothing=None, keep_best=False):
    """One run; ``keep_best`` False as the variants were measured, None: the default's."""
    dist = ceopt.Permutation(n, model or MODEL[kind])
    options = {"popsize": default_popsize(None, dist), "improve_best": 1} if classic else {}
    if keep_best is not None:
        options["keep_best"] = keep_best
    if popsize is not None:
        options["popsize"] = popsize
    if smoothing is not None:
        options["smoothing"] = smoothing
    if improve and order is not None:
        options["improve_order"] = order
    res = ceopt.minimize(fun, dist=dist, vectorized=True, seed=seed, max_evals=budget,
                         improve=improve, **options)
    return res.fun, res.nfev


def run_pycma(fun, n, kind, seed, budget):
    import cma
    counted = Counted(fun)
    options = {"seed": seed + 1, "maxfevals": budget, "verbose": -9, "bounds": [0, 1]}
    cma.fmin2(None, np.full(n, 0.5), 0.3, options, parallel_objective=lambda xs: list(
        counted(np.argsort(np.array(xs), axis=1))), restarts=100, incpopsize=2)
    return counted.best, counted.nfev


def run_local_restarts(fun, n, kind, seed, budget):
    """Local optima from random permutations, one after another, until the budget is spent."""
    rng = np.random.default_rng(seed)
    improvement = Improvement.parse(True, 1, ceopt.Permutation(n, MODEL[kind]))
    counted = Counted(fun)
    while counted.nfev < budget:
        x = rng.permutation(n)[None, :]
        improvement(x, counted(x), counted, budget - counted.nfev, rng)
    return counted.best, counted.nfev


def run_elkai(D, seed):
    import elkai
    tour = elkai.DistanceMatrix(np.rint(D).astype(int).tolist()).solve_tsp(runs=10)
    tour = np.array(tour[:-1])
    return float(tour_length(D)(tour[None, :])[0]), 0


def one(task):
    name, solver, seed, factor = task
    fun, n, kind, D = problem(name)
    budget = factor * n * n
    start = time.perf_counter()
    if solver == "ceopt":
        best, nfev = run_ceopt(fun, n, kind, seed, budget, keep_best=None)
    elif solver in ("ceopt-model-order", "ceopt-random-order"):
        best, nfev = run_ceopt(fun, n, kind, seed, budget, order=solver.split("-")[1])
    elif solver == "ceopt-no-keep":
        best, nfev = run_ceopt(fun, n, kind, seed, budget)
    elif solver == "ceopt-no-or3opt":
        best, nfev = run_ceopt(fun, n, kind, seed, budget, improve=MOVES[kind])
    elif solver == "ceopt-candidates-2n":
        best, nfev = run_ceopt(fun, n, kind, seed, budget, order="candidates",
                               popsize=max(50, 2 * n), improve=MOVES[kind])
    elif solver.startswith("ceopt-candidates-pop"):
        best, nfev = run_ceopt(fun, n, kind, seed, budget, order="candidates",
                               popsize=int(solver[len("ceopt-candidates-pop"):]),
                               improve=MOVES[kind])
    elif solver.startswith("ceopt-smooth"):
        best, nfev = run_ceopt(fun, n, kind, seed, budget, improve=MOVES[kind],
                               smoothing=float(solver[len("ceopt-smooth"):]))
    elif solver == "ceopt-plain":
        best, nfev = run_ceopt(fun, n, kind, seed, budget, improve=False)
    elif solver == "ceopt-classic":
        best, nfev = run_ceopt(fun, n, kind, seed, budget, classic=True, order="random")
    elif solver.startswith("ceopt-plain-"):
        best, nfev = run_ceopt(fun, n, kind, seed, budget, model=solver[len("ceopt-plain-"):],
                               improve=False)
    elif solver.startswith("ceopt-"):
        best, nfev = run_ceopt(fun, n, kind, seed, budget, model=solver[len("ceopt-"):],
                               improve=MOVES[kind], order="random")
    elif solver == "pycma-rk":
        best, nfev = run_pycma(fun, n, kind, seed, budget)
    elif solver == "local-restarts":
        best, nfev = run_local_restarts(fun, n, kind, seed, budget)
    elif solver == "elkai":
        best, nfev = run_elkai(D, seed)
    else:
        raise ValueError(f"unknown solver {solver!r}")
    optimum = INSTANCES[name][1]
    return {"instance": name, "solver": solver, "seed": seed, "budget": budget, "best": best,
            "optimum": optimum, "rel_error": (best - optimum) / optimum, "nfev": nfev,
            "seconds": round(time.perf_counter() - start, 2)}


def read_rows():
    if not RUNS.exists():
        return []
    with open(RUNS, newline="") as file:
        return list(csv.DictReader(file))


def summary(name, solver, budget, mine) -> str:
    """One row of the table: the relative errors of ``mine`` (runs) in %."""
    err = np.array([float(r["rel_error"]) for r in mine]) * 100
    optimal = sum(float(r["best"]) <= float(r["optimum"]) for r in mine)
    nfev = np.median([float(r["nfev"]) for r in mine])
    seconds = np.median([float(r["seconds"]) for r in mine])
    return (f"| {name} | {solver} | {len(mine)} | {err.min():.2f} | {np.median(err):.2f} | "
            f"{err.max():.2f} | {optimal}/{len(mine)} | {int(budget):,} | {nfev:,.0f} | "
            f"{seconds:.1f} |")


def report(rows) -> str:
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    solvers.sort(key=lambda solver: solver != "ceopt")  # the default first
    lines = ["# Permutation problems (`benchmarks/combinatorial.py`)", "",
             "Relative error of the best value to the known optimum, in % (best / median / "
             "worst over the seeds), runs at the optimum, the budget and the median "
             "evaluations used, and the median wall time (two runs at a time on a 2-core "
             "machine). Every run: `results/combinatorial-runs.csv`.", "",
             "| instance | solver | seeds | best | median | worst | optimal | budget | "
             "evaluations | seconds |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["instance"], r["solver"], int(r["budget"])), []).append(r)
    for key in sorted(groups, key=lambda k: (list(INSTANCES).index(k[0]), k[2],
                                             solvers.index(k[1]))):
        lines.append(summary(*key, groups[key]))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=100, help="evaluations per n²")
    parser.add_argument("--instances", default=",".join(INSTANCES))
    parser.add_argument("--solvers", default="ceopt,ceopt-plain,pycma-rk,local-restarts,elkai")
    parser.add_argument("--models", default="", help="other models for ceopt, e.g. position")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    args = parser.parse_args()
    if not args.report:
        solvers = args.solvers.split(",") + [f"ceopt-{m}" for m in args.models.split(",") if m]
        tasks = []
        for name in args.instances.split(","):
            kind = problem(name)[2]
            for solver in solvers:
                if solver == "elkai" and kind == "qap":
                    continue
                seeds = range(args.first_seed, args.first_seed + args.seeds)
                tasks += [(name, solver, seed, args.budget) for seed in seeds]
        new = not RUNS.exists()
        with Pool(args.processes) as pool, open(RUNS, "a", newline="") as file:
            writer = csv.DictWriter(file, FIELDS, lineterminator="\n")
            if new:
                writer.writeheader()
            for row in pool.imap_unordered(one, tasks):
                writer.writerow(row)
                file.flush()
                print(row, flush=True)
    OUT.write_text(report(read_rows()))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
