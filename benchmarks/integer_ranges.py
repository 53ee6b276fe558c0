"""Which integer family serves which range: a Gaussian over rounded coordinates, an ordinal
(discrete Laplace) law, or a categorical over the values, on integers of 2 to 1024 values.

    python benchmarks/integer_ranges.py            # about 15 min of one core
    python benchmarks/integer_ranges.py --quick    # seconds, into results/quick/

COCO's bbob-mixint has integers of 2, 4, 8 and 16 values only. Here a bbob problem of
dimension d (cocoex's function, never re-implemented) has its first 4d/5 coordinates integer,
each over ``0 .. n-1`` standing in order for an evenly spaced grid of [-4, 4], and its last
d/5 real in [-5, 5], as in bbob-mixint; n runs from 2 to 1024. The problems look like
bbob-mixint's to the solvers (bounds, number of integer variables), so the solvers are
``mixint_solvers``' own:

- ``ceopt``: ``minimize(integrality=mask)``, the integers in the Gaussian, rounded;
- ``ceopt-ordinal``: the integers in a :class:`ceopt.distributions.Ordinal` block;
- ``ceopt-values``: the integers in a Categorical over their values (what ``Choice(range(n))``
  gives).

The optimum of a discretised problem is not bbob's f_opt: the reference f* of a problem is the
best value any run reached, so a run scores the ten targets f - f* <= 1e1, ..., 1e-8 against
the best known (a comparison of the families, not an absolute measure). Writes
``integer-ranges.md`` into --out (default benchmarks/results).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the machines are shared

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bbob import int_list  # noqa: E402
from bbob_report import _table  # noqa: E402
from bbob_solvers import TARGETS, Recorder, Stop, run_with_restarts, suite  # noqa: E402
from mixint_solvers import ALL  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SOLVERS = ("ceopt", "ceopt-ordinal", "ceopt-values")
DEFAULT = dict(functions=[1, 2, 3, 6, 7, 8, 10, 15, 16, 20, 21], dims=[5, 10],
               instances=[1, 2, 3, 4, 5], sizes=[2, 4, 16, 64, 256, 1024], budgets=[100, 1000])
QUICK = dict(functions=[1, 15], dims=[5], instances=[1], sizes=[4, 64], budgets=[20, 100])


class GridProblem:
    """bbob function ``function`` in dimension ``dim`` whose first 4d/5 coordinates take the
    integers ``0 .. n-1``, value v standing for -4 + 8 v / (n - 1); the attributes are those
    of a cocoex bbob-mixint problem that the solvers read."""

    def __init__(self, function: int, dim: int, instance: int, n: int):
        self.coco = suite([function], [dim], [instance])[0]
        self.dimension = dim
        self.number_of_integer_variables = 4 * dim // 5
        self.n = n
        m = self.number_of_integer_variables
        self.lower_bounds = np.r_[np.zeros(m), np.full(dim - m, -5.0)]
        self.upper_bounds = np.r_[np.full(m, n - 1.0), np.full(dim - m, 5.0)]

    def __call__(self, x) -> float:
        x = np.array(x, dtype=float)
        m = self.number_of_integer_variables
        index = np.clip(np.rint(x[:m]), 0, self.n - 1)
        x[:m] = -4.0 + 8.0 * index / (self.n - 1)
        return float(self.coco(x))

    def free(self) -> None:
        self.coco.free()


class TraceRecorder(Recorder):
    """Counts evaluations and keeps every improvement of the best value (the trace): f* is
    known only once every run is in."""

    def __init__(self, problem, budget: int):
        super().__init__(problem, -np.inf, budget)
        self.trace: list[tuple[int, float]] = []

    def __call__(self, x) -> float:
        if self.evals >= self.budget:
            raise Stop("budget")
        f = self.problem(x)
        self.evals += 1
        if not self.trace or f < self.trace[-1][1]:
            self.trace.append((self.evals, f))
        return f


def run(solver: str, function: int, dim: int, instance: int, n: int, budget: int,
        seed: int) -> list[tuple[int, float]]:
    problem = GridProblem(function, dim, instance, n)
    rec = TraceRecorder(problem, budget)
    rng = np.random.default_rng([seed, function, dim, instance, n, budget,
                                 zlib.crc32(solver.encode())])
    run_with_restarts(ALL[solver][0], rec, rng)
    problem.free()
    return rec.trace


def fraction(trace: list[tuple[int, float]], fstar: float) -> float:
    best = trace[-1][1] - fstar
    return sum(best <= t for t in TARGETS) / len(TARGETS)


def report(results: dict, args, seconds: float) -> str:
    """The fraction of targets per solver, by (d, n) and budget."""
    fstar: dict = {}
    for (_, f, d, i, n, _b), trace in results.items():
        key = (f, d, i, n)
        fstar[key] = min(fstar.get(key, np.inf), trace[-1][1])
    lines = ["# Integer families by range: Gaussian with rounding, ordinal, categorical", "",
             "Written by `python benchmarks/integer_ranges.py` (what it measures and why: its "
             "docstring).", "",
             f"- bbob functions {', '.join(map(str, args.functions))}; dimensions "
             f"{', '.join(map(str, args.dims))} (the first 4d/5 coordinates integer over "
             f"n values standing for a grid of [-4, 4] in order, the rest real in [-5, 5]); "
             f"instances {args.instances[0]}-{args.instances[-1]}; one run each, seed "
             f"{args.seed}; {len(results)} runs in {seconds / 60:.1f} min.",
             "- Each number: the fraction of (problem, target) pairs reached, targets f - f* <= "
             "1e1 ... 1e-8, f* the best value any run reached on the problem; best of a column "
             "in bold.", ""]
    for budget in args.budgets:
        header = ["solver"] + [f"d={d}, n={n}" for d in args.dims for n in args.sizes] + ["all"]
        rows = []
        for solver in args.solvers:
            cells, every = [], []
            for d in args.dims:
                for n in args.sizes:
                    scores = [fraction(results[(solver, f, d, i, n, budget)], fstar[(f, d, i, n)])
                              for f in args.functions for i in args.instances]
                    every += scores
                    cells.append(float(np.mean(scores)))
            rows.append([solver] + cells + [float(np.mean(every))])
        lines += [f"## Budget {budget}·d", "", _table(header, rows), ""]
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run into results/quick/")
    ap.add_argument("--functions", type=int_list)
    ap.add_argument("--dims", type=int_list)
    ap.add_argument("--instances", type=int_list)
    ap.add_argument("--sizes", type=int_list, help="numbers of values n of the integers")
    ap.add_argument("--budgets", type=int_list, help="budgets, in multiples of d")
    ap.add_argument("--solvers", nargs="+", choices=SOLVERS, default=list(SOLVERS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    for key, value in (QUICK if args.quick else DEFAULT).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.out is None:
        args.out = RESULTS / "quick" if args.quick else RESULTS
    return args


def main(argv=None) -> Path:
    args = parse_args(argv)
    t0 = time.process_time()
    results = {(s, f, d, i, n, b): run(s, f, d, i, n, b * d, args.seed)
               for s in args.solvers for f in args.functions for d in args.dims
               for i in args.instances for n in args.sizes for b in args.budgets}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "integer-ranges.md"
    path.write_text(report(results, args, time.process_time() - t0))
    print(path)
    return path


if __name__ == "__main__":
    main()
