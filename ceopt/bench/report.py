"""Tables of a BBOB run, from its raw CSV (:mod:`ceopt.bench.run` writes both); the plots are
drawn by :mod:`ceopt.bench.plots`. To write them again from a CSV:

    python benchmarks/bbob_report.py benchmarks/results/bbob-runs.csv

The measure is COCO's: the fraction of (function, instance, target) triples whose target
f - f_opt <= t was reached within a number of evaluations, over the ten targets 1e1 ... 1e-8.
Read at the budget, it is the ECDF of runtimes at the budget; read as a function of the
evaluations, it is the ECDF plot.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .measure import (
    GROUPS,
    budget_per_dim,
    dims_of,
    ranking,
    reached,
    read_runs,
    select,
    solvers_of,
)
from .plots import plot_dim
from .solvers import ABLATION_CHAIN, ABLATION_LEAVE_OUT

CEOPT = ("ceopt", "ceopt-diag")


# -- markdown ----------------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence], bold_best: bool = True,
           text: bool = False) -> str:
    """A markdown table of fractions; the best value of each numeric column in bold; ``text``
    aligns the columns left."""
    best = [max((r[j] for r in rows if isinstance(r[j], float) and not math.isnan(r[j])),
                default=None) for j in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|---|" + ("---|" if text else "---:|") * (len(header) - 1)]
    for row in rows:
        cells = [row[0]]
        for j, v in enumerate(row[1:], 1):
            if isinstance(v, float):
                text = "–" if math.isnan(v) else f"{v:.2f}"
                cells.append(f"**{text}**" if bold_best and v == best[j] else text)
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def headline_table(runs) -> str:
    """Solvers × dimensions, at the full budget and at a tenth of it, best solver first."""
    full = budget_per_dim(runs)
    dims = dims_of(runs)
    header = ["solver", *(f"d={d}" for d in dims), "mean",
              *(f"d={d} at {_budget(full / 10)}" for d in dims)]
    rows = []
    for solver, mean in ranking(runs, full):
        rows.append([solver, *(reached(select(runs, solver, d), full) for d in dims), mean,
                     *(reached(select(runs, solver, d), full / 10) for d in dims)])
    return _table(header, rows)


def group_table(runs, dim: int, evals_per_dim: float) -> str:
    header = ["solver", *GROUPS, "all"]
    rows = []
    for solver, _ in ranking(select(runs, dim=dim), evals_per_dim):
        mine = select(runs, solver, dim)
        rows.append([solver, *(reached(select(mine, functions=fs), evals_per_dim)
                               for fs in GROUPS.values()), reached(mine, evals_per_dim)])
    return _table(header, rows)


def function_table(runs, dim: int, evals_per_dim: float) -> str:
    solvers = [s for s, _ in ranking(runs, evals_per_dim)]
    functions = sorted({r["function"] for r in select(runs, dim=dim)})
    rows = [[f"f{f}", *(reached(select(runs, s, dim, [f]), evals_per_dim) for s in solvers)]
            for f in functions]
    return _table(["function", *solvers], rows)


def time_table(runs) -> str:
    """Median wall time of one run, per solver and dimension."""
    dims = dims_of(runs)
    rows = [[s, *(_seconds(select(runs, s, d)) for d in dims)]
            for s, _ in ranking(runs, budget_per_dim(runs))]
    return _table(["solver", *(f"d={d}" for d in dims)], rows, bold_best=False)


def _seconds(runs) -> str:
    return f"{np.median([r['seconds'] for r in runs]):.3f}" if runs else "–"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _run_time(meta: dict, meta_file: str) -> str:
    """The full run's wall time, and whether ``--update`` runs have replaced rows since (the
    time then describes the first run, not the rows shown)."""
    text = _duration(meta.get("wall_seconds", math.nan))
    updates = meta.get("updates", [])
    if updates:
        text += (f" for the full run; {len(updates)} `--update` run"
                 f"{'s have' if len(updates) > 1 else ' has'} since replaced some of its rows, "
                 f"listed in `{meta_file}`")
    return text


def _budget(per_dim: float) -> str:
    return f"{per_dim:g}·d"


def standing(runs) -> str:
    """ceopt's rank among the solvers and its largest gaps, in words, from the numbers."""
    full = budget_per_dim(runs)
    lines = []
    for evals, label in ((full, "the full budget"), (full / 10, "a tenth of the budget")):
        order = ranking(runs, evals)
        names = [s for s, _ in order]
        for solver in (s for s in CEOPT if s in names):
            lines.append(f"- At {label} ({_budget(evals)}), **{solver}** ranks "
                         f"{names.index(solver) + 1} of {len(names)} (mean fraction "
                         f"{dict(order)[solver]:.2f}; best: {names[0]}, {order[0][1]:.2f}).")
    gaps, strong = [], []
    for d in dims_of(runs):
        for group, fs in GROUPS.items():
            if not select(runs, dim=d, functions=fs):
                continue
            cell = {s: reached(select(runs, s, d, fs), full) for s in solvers_of(runs)}
            leader = max(cell, key=cell.get)
            mine = max((s for s in CEOPT if s in cell), key=cell.get, default=None)
            if mine is not None:
                gaps.append((cell[leader] - cell[mine], d, group, mine, cell[mine], leader,
                             cell[leader]))
                rank = 1 + sum(v > cell[mine] for v in cell.values())
                if rank <= 2:
                    strong.append(f"d={d} {group} ({mine} {cell[mine]:.2f}, rank {rank}"
                                  + ("" if rank == 1 else f", after {leader} {cell[leader]:.2f}")
                                  + ")")
    gaps.sort(reverse=True)
    if gaps:
        lines.append("- Largest gaps between the better ceopt variant and the best solver, "
                     "at the full budget:")
        for gap, d, group, mine, v, leader, w in gaps[:6]:
            lines.append(f"  - d={d}, {group}: {mine} {v:.2f} vs {leader} {w:.2f} "
                         f"({gap:.2f} behind)")
    if strong:
        lines.append("- Where the better ceopt variant ranks first or second at the full budget: "
                     + "; ".join(strong) + ".")
    return "\n".join(lines)


def ablation_table(runs) -> str:
    """ceopt's ablation (solvers.ABLATION_*): mean fraction per dimension and its change.

    The chain adds one change per row (the change is against the row above); the rows after
    it take one piece away from the default (the change is against the default).
    """
    full = budget_per_dim(runs)
    dims = dims_of(runs)
    names = set(solvers_of(runs))
    header = ["variant", "solver", *(f"d={d}" for d in dims), "mean", "change",
              f"mean at {_budget(full / 10)}"]

    def scores(solver, evals):
        values = [reached(select(runs, solver, d), evals) for d in dims]
        return values, float(np.mean(values))

    rows, previous = [], None
    default = scores("ceopt", full)[1] if "ceopt" in names else math.nan
    for group, against_default in ((ABLATION_CHAIN, False), (ABLATION_LEAVE_OUT, True)):
        for solver, what in group:
            if solver not in names:
                continue
            values, mean = scores(solver, full)
            base = default if against_default else previous
            change = "" if base is None else f"{mean - base:+.2f}"
            rows.append([what, f"`{solver}`", *values, mean, change,
                         scores(solver, full / 10)[1]])
            previous = mean
    return _table(header, rows, bold_best=False)


def _suite_note(meta: dict) -> str:
    """The suite, named where it is not bbob (the runs from before the harness had others)."""
    name = meta.get("suite", "bbob")
    return "" if name == "bbob" else f"Suite {name}. "


def markdown(runs, meta: dict, plots: Sequence[str], ablation=None) -> str:
    full = budget_per_dim(runs)
    parts = [
        "# BBOB benchmark: ceopt against scipy's optimisers and pycma",
        "",
        "Written by `ceopt bench` or `python benchmarks/bbob.py` (settings and method: "
        "benchmarks/README.md in ceopt's repository).",
        "",
        f"- {_suite_note(meta)}Functions {ranges(sorted({r['function'] for r in runs}))}, "
        f"dimensions "
        f"{', '.join(map(str, dims_of(runs)))}, instances "
        f"{ranges(sorted({r['instance'] for r in runs}))}, seed {meta.get('seed')}; budget "
        f"{_budget(full)} evaluations per run, start region [-5, 5]^d.",
        f"- {len(runs)} runs on {meta.get('jobs')} processes in "
        f"{_run_time(meta, 'bbob-meta.json')}; {meta.get('versions', '')}.",
        "- Each number: the fraction of (function, instance, target) triples reached, over the "
        "ten targets f − f_opt ≤ 1e1, 1e0, …, 1e-8; the best of each column in bold.",
        "",
        "## Headline: all 24 functions" if len({r["function"] for r in runs}) == 24
        else "## Headline: the functions run",
        "",
        headline_table(runs),
        "",
        "## Where ceopt stands",
        "",
        standing(runs),
        "",
    ]
    if ablation:
        parts += [
            "## Ablation: what each change of method 'adaptive' buys",
            "",
            "The same problems, budget and seed; the variants' own runs are in "
            "`bbob-ablation-runs.csv` (run with `--ablation`"
            + (f": {_run_time(ablation[1], 'bbob-ablation-meta.json')}"
               if "wall_seconds" in ablation[1] else "")
            + "). Fraction of triples reached at the full budget per dimension.",
            "",
            ablation_table(runs + ablation[0]),
            "",
        ]
    for d in dims_of(runs):
        parts += [f"## d = {d}", "", f"At the full budget ({_budget(full)}):", "",
                  group_table(runs, d, full), "", f"At a tenth ({_budget(full / 10)}):", "",
                  group_table(runs, d, full / 10), ""]
        plot = next((p for p in plots if p.endswith(f"-d{d}.png")), None)
        if plot:
            parts += [f"![ECDF of runtimes, d={d}]({plot})", ""]
        parts += ["<details><summary>Per function, full budget</summary>", "",
                  function_table(runs, d, full), "", "</details>", ""]
    parts += ["## Wall time", "", "Median seconds per run (one process, BLAS on one thread):",
              "", time_table(runs), ""]
    return "\n".join(parts)


def ranges(values: Sequence[int]) -> str:
    """[1, 2, 3, 5] -> '1–3, 5'."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}–{v}")
            start = None
    return ", ".join(out)


def report(runs, meta: dict, out: Path, prefix: str = "bbob") -> Path:
    """Write <prefix>.md and one <prefix>-ecdf-d<dim>.png per dimension into ``out``."""
    plots = []
    for d in dims_of(runs):
        name = f"{prefix}-ecdf-d{d}.png"
        plot_dim(runs, d, out / name)
        plots.append(name)
    ablation = None
    csv = out / f"{prefix}-ablation-runs.csv"
    if csv.exists():
        meta_path = out / f"{prefix}-ablation-meta.json"
        ablation = (read_runs(csv),
                    json.loads(meta_path.read_text()) if meta_path.exists() else {})
        settings = ("seed", "budget_per_dim", "functions", "dims", "instances")
        if any(ablation[1][k] != meta[k] for k in settings if k in meta and k in ablation[1]):
            ablation = None  # other problems or budget: the rows would not compare
    path = out / f"{prefix}.md"
    path.write_text(markdown(runs, meta, plots, ablation))
    return path


def main(argv=None) -> None:
    csv_path = Path((argv or sys.argv[1:])[0])
    meta_path = csv_path.with_name(csv_path.name.replace("-runs.csv", "-meta.json"))
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    prefix = csv_path.name.replace("-runs.csv", "")
    print(report(read_runs(csv_path), meta, csv_path.parent, prefix))


if __name__ == "__main__":
    main()
