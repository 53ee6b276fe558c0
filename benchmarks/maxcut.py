"""Max-cut on graphs with a planted cut of known value (after Rubinstein & Kroese's CE book).

The nodes are split into halves V1, V2 of n/2 each; an edge inside a half weighs U(0, 1), an
edge across weighs 1. The planted cut (V1, V2) is then the unique maximum, of value (n/2)²:
if a partition moves a nodes of V1 and d of V2 across, it loses ``h(a + d) - 2ad`` crossing
edges (h = n/2) of weight 1 and gains ``h(a + d) - a² - d² <= h(a + d) - 2ad`` inner ones of
weight < 1, a net loss unless (a, d) is (0, 0) or (h, h) (the same cut). Bits are the side of
each node; the objective is the cut's weight on whole populations.

Reported: runs that found the planted cut, and the median evaluations to find it. Solvers:
``ceopt`` (``Bernoulli``, the defaults with ``max_evals``), ``ceopt-flip`` (with
``improve=True``: bit-flip descents of each population's elites), ``ceopt-smooth0.3``
(``Bernoulli`` smoothed at 0.3 instead of 0.7), ``ceopt-tree`` and ``ceopt-tree-flip`` (the
first two with ``BernoulliTree``, bits with a tree of dependencies) and ``hill-climb`` (first-
improvement bit-flip descents, the same as ceopt's, from random points until the budget is
spent).

    python benchmarks/maxcut.py [--sizes 200,400,800] [--seeds 10] [--budget 500]

Writes benchmarks/results/maxcut.md (``--budget`` x n evaluations per run).

    python benchmarks/maxcut.py --gset G1,G11,G43 [--seeds 5]

runs three graphs of the G-set instead (``benchmarks/instances``) and reports the best cuts
as a fraction of the best known: benchmarks/results/maxcut-gset.md, every run in
maxcut-gset-runs.csv (appended, so graphs may run in separate processes).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402
from ceopt.improvement import Improvement  # noqa: E402

OUT = Path(__file__).parent / "results" / "maxcut.md"
GSET_RUNS = OUT.parent / "maxcut-gset-runs.csv"


def planted(n: int, instance: int):
    """The cut weight of each row of bits, and the planted cut's value."""
    rng = np.random.default_rng(10_000 * n + instance)
    h = n // 2
    side = rng.permutation(n) < h                     # V1, hidden among the nodes
    W = np.triu(rng.random((n, n)), 1)
    W = W + W.T
    W[np.ix_(side, ~side)] = W[np.ix_(~side, side)] = 1.0
    total = W.sum() / 2

    def cut(B):
        s = 2.0 * np.asarray(B, dtype=np.float64) - 1.0
        return (total - 0.5 * np.einsum("ij,ij->i", s @ W, s)) / 2

    return cut, float(h * h)


#: Best-known cuts of the G-set graphs in ``benchmarks/instances`` (``SOURCES.md``).
GSET_BEST = {"G1": 11624, "G11": 564, "G43": 6660}
INSTANCES = Path(__file__).parent / "instances"


def gset(name: str):
    """The cut weight of each row of bits on G-set graph ``name``, and its best-known cut.

    The files list ``n m``, then one edge per line: two nodes (from 1) and a weight (±1)."""
    header, *edges = (INSTANCES / f"{name}.txt").read_text().split("\n")
    n, m = map(int, header.split()[:2])
    edges = np.array([line.split() for line in edges if line.strip()], dtype=np.int64)
    if len(edges) != m:
        raise ValueError(f"{name}: {len(edges)} edges listed, the header says {m}")
    i, j, w = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(np.float64)

    def cut(B):
        B = np.asarray(B, dtype=bool)
        return (B[:, i] != B[:, j]) @ w

    return n, cut, float(GSET_BEST[name])


class Tracked:
    """The objective, counting evaluations until the planted cut is first evaluated."""

    def __init__(self, fun, target):
        self.fun, self.target, self.nfev, self.hit, self.best = fun, target, 0, None, -np.inf

    def __call__(self, B):
        values = self.fun(B)
        if self.hit is None and values.max() >= self.target - 1e-9:
            self.hit = self.nfev + int(np.argmax(values >= self.target - 1e-9)) + 1
        self.nfev += len(values)
        self.best = max(self.best, float(values.max()))
        return values


#: ceopt's solvers: the family and the options.
CEOPT = {"ceopt": (ceopt.Bernoulli, {}),
         "ceopt-flip": (ceopt.Bernoulli, {"improve": True}),
         "ceopt-smooth0.3": (ceopt.Bernoulli, {"smoothing": 0.3}),
         "ceopt-tree": (ceopt.BernoulliTree, {}),
         "ceopt-tree-flip": (ceopt.BernoulliTree, {"improve": True})}


def run(solver, n, instance, seed, budget, graph=None):
    """One run on the planted graph ``instance`` of ``n`` nodes, or on G-set graph ``graph``:
    the evaluations until the target (None: not reached), the best cut over the target and
    the seconds."""
    if graph is None:
        fun, target = planted(n, instance)
    else:
        n, fun, target = gset(graph)
    tracked = Tracked(fun, target)
    start = time.perf_counter()
    if solver in CEOPT:
        family, options = CEOPT[solver]
        ceopt.maximize(tracked, dist=family(np.full(n, 0.5)), vectorized=True,
                       seed=seed, max_evals=budget, ftarget=target - 1e-9, **options)
    elif solver == "hill-climb":
        rng = np.random.default_rng(seed)
        descent = Improvement.parse("flip", 1, ceopt.Bernoulli(np.full(n, 0.5)))
        loss = lambda B: -tracked(B)  # noqa: E731 (the descent minimises)
        while tracked.nfev < budget and tracked.hit is None:
            x = rng.random((1, n)) < 0.5
            descent(x, loss(x), loss, budget - tracked.nfev, rng)
    return tracked.hit, tracked.best / target, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,400,800")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=500, help="evaluations per node")
    parser.add_argument("--solvers", default=",".join(CEOPT) + ",hill-climb")
    parser.add_argument("--gset", default="",
                        help="G-set graphs (e.g. G1,G11,G43) instead of planted ones; "
                             "appends to maxcut-gset-runs.csv, writes maxcut-gset.md")
    parser.add_argument("--report", action="store_true",
                        help="with --gset: only rewrite maxcut-gset.md from the runs")
    args = parser.parse_args()
    if args.gset:
        return write_gset_report() if args.report else report_gset(args)
    lines = ["# Planted max-cut (`benchmarks/maxcut.py`)", "",
             f"Graphs with a planted cut of known value (module docstring), one instance per "
             f"seed; budget {args.budget}·n evaluations; {args.seeds} seeds. Found: runs that "
             f"evaluated the planted cut; evaluations: the median number until then (over "
             f"the runs that found it); worst: the smallest best cut as a fraction of the "
             f"planted one.", "",
             "| n | solver | found | evaluations to it | worst | seconds (median) |",
             "|---:|---|---:|---:|---:|---:|"]
    for n in map(int, args.sizes.split(",")):
        for solver in args.solvers.split(","):
            runs = [run(solver, n, seed, seed, args.budget * n) for seed in range(args.seeds)]
            hits = [hit for hit, _, _ in runs if hit is not None]
            line = (f"| {n} | {solver} | {len(hits)}/{len(runs)} | "
                    f"{np.median(hits) if hits else float('nan'):,.0f} | "
                    f"{min(r for _, r, _ in runs):.4f} | "
                    f"{np.median([t for _, _, t in runs]):.1f} |")
            lines.append(line)
            print(line, flush=True)
    OUT.write_text("\n".join(lines) + "\n")


def report_gset(args):
    """Run the G-set graphs (each run a row of ``maxcut-gset-runs.csv``, appended) and
    write ``maxcut-gset.md`` from every row there."""
    with open(GSET_RUNS, "a", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        if file.tell() == 0:
            writer.writerow(["graph", "solver", "seed", "budget", "ratio", "seconds"])
        for graph in args.gset.split(","):
            n = gset(graph)[0]
            for solver in args.solvers.split(","):
                for seed in range(args.seeds):
                    _, ratio, seconds = run(solver, n, 0, seed, args.budget * n, graph)
                    writer.writerow([graph, solver, seed, args.budget * n, ratio,
                                     round(seconds, 2)])
                    file.flush()
    write_gset_report()


def write_gset_report():
    """``maxcut-gset.md`` from every row of ``maxcut-gset-runs.csv``."""
    with open(GSET_RUNS, newline="") as file:
        # Processes started together may each have written the header: skip its repeats.
        rows = [r for r in csv.DictReader(file) if r["graph"] != "graph"]
    lines = ["# Max-cut on G-set graphs (`benchmarks/maxcut.py --gset`)", "",
             "Graphs G1 (800 nodes, random, 19,176 edges), G11 (800, toroidal grid, weights "
             "±1) and G43 (1000, random, 9,990 edges) from the G-set "
             "(`benchmarks/instances/SOURCES.md`); budget 500·n evaluations. Cut values as a "
             "fraction of the best known (found by dedicated max-cut heuristics in far "
             "longer runs): best, median and worst over the seeds. Every run: "
             "`maxcut-gset-runs.csv`.", "",
             "| graph | solver | seeds | best | median | worst | seconds (median) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["graph"], r["solver"], r["budget"]), []).append(r)
    for (graph, solver, _), runs in sorted(groups.items(), key=lambda kv: kv[0][0]):
        ratios = [float(r["ratio"]) for r in runs]
        lines.append(f"| {graph} | {solver} | {len(runs)} | {max(ratios):.4f} | "
                     f"{np.median(ratios):.4f} | {min(ratios):.4f} | "
                     f"{np.median([float(r['seconds']) for r in runs]):.1f} |")
    (OUT.parent / "maxcut-gset.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
