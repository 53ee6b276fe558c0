"""The sweeps behind an improved permutation run's defaults: moves, population, smoothing.

Each configuration is a set of options of ``ceopt.minimize`` on the instances of
``combinatorial.py`` at ``--budget`` x n² evaluations; ``popf`` is the population as a
multiple of n, ``improve=True`` the family's usual moves. The runs go to
``results/combinatorial-tuning-runs.jsonl`` (one JSON object a line, labelled by sweep) and
the table of median and worst relative errors to ``results/combinatorial-tuning.md``.

    python benchmarks/combinatorial_tuning.py --sweep moves --instances eil76,ft53 --seeds 3
        --configs '{"2opt+insert": {"improve": "2opt+insert"}, "oropt": {"improve": "oropt"}}'
    python benchmarks/combinatorial_tuning.py --report
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from combinatorial import INSTANCES, MODEL, problem  # noqa: E402

import ceopt  # noqa: E402

RUNS = Path(__file__).parent / "results" / "combinatorial-tuning-runs.jsonl"
OUT = Path(__file__).parent / "results" / "combinatorial-tuning.md"


def run(name, config, seed, factor):
    fun, n, kind, _ = problem(name)
    options = dict(config)
    if "popf" in options:
        options["popsize"] = max(int(options.pop("popf") * n), options.pop("popmin", 0))
    start = time.perf_counter()
    res = ceopt.minimize(fun, dist=ceopt.Permutation(n, MODEL[kind]), vectorized=True,
                         seed=seed, max_evals=factor * n * n, **options)
    return res.fun, time.perf_counter() - start


def report() -> str:
    rows = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    lines = ["# Choosing an improved permutation run's defaults "
             "(`benchmarks/combinatorial_tuning.py`)", "",
             "Median and worst relative error to the optimum in % over the seeds, per sweep, "
             "instance and configuration; budget in multiples of n². Sweeps were run while "
             "the defaults were chosen, each with the code of its day (the note of each "
             "sweep says what differed); `combinatorial.md` has the final benchmark.", ""]
    for sweep in dict.fromkeys(r["sweep"] for r in rows):
        mine = [r for r in rows if r["sweep"] == sweep]
        lines += [f"## {sweep}", "", mine[0].get("note", ""), "",
                  "| instance | budget | configuration | seeds | median | worst |",
                  "|---|---:|---|---:|---:|---:|"]
        groups: dict[tuple, list] = {}
        for r in mine:
            groups.setdefault((r["instance"], r["budget"], r["config"]), []).append(r)
        for (name, budget, config), runs in sorted(
                groups.items(), key=lambda g: (list(INSTANCES).index(g[0][0]), g[0][1])):
            optimum = INSTANCES[name][1]
            err = 100 * (np.array([r["best"] for r in runs]) - optimum) / optimum
            lines.append(f"| {name} | {budget} | {config} | {len(runs)} | "
                         f"{np.median(err):.2f} | {err.max():.2f} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", default="sweep")
    parser.add_argument("--note", default="")
    parser.add_argument("--configs", default='{"default": {"improve": true}}')
    parser.add_argument("--instances", default="eil51,ftv38,nug20")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--report", action="store_true", help="only rewrite the table")
    args = parser.parse_args()
    if not args.report:
        with open(RUNS, "a") as file:
            for name in args.instances.split(","):
                for label, config in json.loads(args.configs).items():
                    for seed in range(args.seeds):
                        best, seconds = run(name, config, seed, args.budget)
                        row = {"sweep": args.sweep, "note": args.note, "instance": name,
                               "budget": args.budget, "config": label, "seed": seed,
                               "best": best, "seconds": round(seconds, 2)}
                        file.write(json.dumps(row) + "\n")
                        print(row, flush=True)
    OUT.write_text(report())


if __name__ == "__main__":
    main()
