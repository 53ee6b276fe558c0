"""Noisy objectives: ceopt's noise mode against its peers, scored by the noise-free value.

Two parts, each with every solver in the same run:

- ``--part sphere``: the 10-d noisy sphere, ``sum((x - 1)**2) + N(0, 0.1²)`` in
  [-5, 5]^10, 20,000 evaluations, 8 seeds: the true value at each solver's recommendation.
- ``--part bbob``: cocoex's noise-free bbob functions with noise applied on top (so the true
  value of any point is known): additive Gaussian ``f + s N(0,1)`` (s = 0.01 and 1), and
  bbob-noisy's two models on ``D = f - f_opt``: its Gaussian noise ``D exp(b N(0,1))``
  (multiplicative; b = 0.01 and 1) and its Cauchy noise ``D + a max(0, 1000 + 1[U < p] N1 /
  (|N2| + 1e-199))`` (outliers, nearly all unlucky; a = 0.01, p = 0.05 and a = 1, p = 0.2),
  both as bbob-noisy applies them: not below D = 1e-8, and plus 1.01e-8 above it (the
  moderate and severe levels of bbob-noisy). COCO's own bbob-noisy suite (f101-f130)
  returns noisy values only, so the noise-free value of a recommendation could not be
  scored there. The score of a run is the fraction of the targets 1e1 ... 1e-8 that the
  true ``f - f_opt`` at the recommendation reaches.

Solvers and what they recommend: ceopt with ``noise=True`` (the distribution's centre),
ceopt without it (its best sample), pycma with and without its ``NoiseHandler`` (its mean,
``xfavorite``; its defaults, sigma0 = 2 in [-5, 5]), nevergrad's ``TBPSA`` (its noisy
optimiser; its recommendation) and scipy's ``differential_evolution`` (its best member, no
polish). Every solver gets the same budget and the bounds [-5, 5]^d.

    python benchmarks/noise.py --part sphere
    python benchmarks/noise.py --part bbob --dims 2,5 --instances 1 --budgets 100,1000

Results: ``benchmarks/results/noise.md`` (and ``noise-runs.csv``).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bbob_solvers  # noqa: E402

import ceopt  # noqa: E402
from ceopt.selection import default_n_elite  # noqa: E402
from ceopt.updates.adaptive import covariance_rate  # noqa: E402
from ceopt.updates.base import effective_elites  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SOLVERS = ("ceopt-noise", "ceopt", "pycma-uh", "pycma", "tbpsa", "de")
#: Run only when asked: the noise mode as it was before December 2026 (an ablation).
PREVIOUS = "ceopt-noise-previous"
NOISES = {  # name: (kind, parameters)
    "gauss-mod": ("gauss", 0.01), "gauss-sev": ("gauss", 1.0),
    "mult-mod": ("mult", 0.01), "mult-sev": ("mult", 1.0),
    "cauchy-mod": ("cauchy", (0.01, 0.05)), "cauchy-sev": ("cauchy", (1.0, 0.2)),
}
LOW, HIGH = bbob_solvers.LOW, bbob_solvers.HIGH


class Noisy:
    """A noise-free function ``true(x)`` seen through a noise model; counts evaluations and
    refuses any beyond the budget (the solvers are asked to respect it)."""

    def __init__(self, true, fopt: float, noise: str, seed: int, budget: int):
        self.true, self.fopt, self.budget = true, fopt, budget
        self.kind, self.level = NOISES[noise] if noise in NOISES else (noise, None)
        self.rng = np.random.default_rng(seed)
        self.evals = 0

    def __call__(self, x) -> float:
        return float(self.batch(np.atleast_2d(x))[0])

    def batch(self, X) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        self.evals += X.shape[0]
        f = np.array([self.true(x) for x in X])
        n = X.shape[0]
        if self.kind == "gauss":
            return f + self.level * self.rng.standard_normal(n)
        if self.kind == "sphere":  # the 10-d sphere of the issue: N(0, 0.1²)
            return f + 0.1 * self.rng.standard_normal(n)
        # COCO's models act on f - f_opt, and not below 1e-8 (the final target stays exact).
        delta = f - self.fopt
        exact = delta < 1e-8
        if self.kind == "mult":
            noisy = delta * np.exp(self.level * self.rng.standard_normal(n))
        elif self.kind == "cauchy":
            a, p = self.level
            hit = self.rng.random(n) < p
            ratio = self.rng.standard_normal(n) / (np.abs(self.rng.standard_normal(n)) + 1e-199)
            noisy = delta + a * np.maximum(0.0, 1000.0 + hit * ratio)
        else:
            raise ValueError(self.kind)
        return self.fopt + np.where(exact, delta, noisy + 1.01e-8)


def recommend(solver: str, fun: Noisy, d: int, budget: int, seed: int) -> np.ndarray:
    """The point ``solver`` recommends after ``budget`` evaluations of ``fun``."""
    bounds = [(LOW, HIGH)] * d
    if solver.startswith("ceopt"):  # a variant: "ceopt-noise:weights=equal,popsize=50"
        name, _, variant = solver.partition(":")
        options = previous_noise_mode(d, budget) if name == PREVIOUS else {}
        options.update({k: _number(v) for k, v in (kv.split("=") for kv in variant.split(",")
                                                   if kv)})
        res = ceopt.minimize(fun.batch, bounds=bounds, vectorized=True, seed=seed,
                             max_evals=budget, noise=name.startswith("ceopt-noise"), **options)
        return res.x
    if solver.startswith("pycma"):
        import cma
        x0 = np.random.default_rng(seed).uniform(LOW, HIGH, d) * 0.8
        opts = {"bounds": [LOW, HIGH], "maxfevals": budget, "verbose": -9,
                "seed": seed + 1}
        handler = cma.NoiseHandler(d, maxevals=[1, 1, 30]) if solver == "pycma-uh" else None
        es = cma.CMAEvolutionStrategy(x0, 2.0, opts)
        while not es.stop() and fun.evals < budget:
            if handler is None:
                X = es.ask()
                values = list(fun.batch(np.array(X)))
            else:  # pycma's documented loop with uncertainty handling
                X, values = es.ask_and_eval(fun, evaluations=handler.evaluations)
            es.tell(X, values)
            if handler is not None:
                es.sigma *= handler(X, values, fun, es.ask)
        return np.asarray(es.result.xfavorite)
    if solver == "tbpsa":
        import nevergrad as ng
        param = ng.p.Array(shape=(d,)).set_bounds(LOW, HIGH)
        param.random_state = np.random.RandomState(seed)
        opt = ng.optimizers.TBPSA(parametrization=param, budget=budget)
        return np.asarray(opt.minimize(fun).value)
    if solver == "de":
        from scipy.optimize import differential_evolution
        popsize = 15
        maxiter = max(budget // (popsize * d) - 1, 1)
        res = differential_evolution(fun, bounds, maxiter=maxiter, popsize=popsize,
                                     polish=False, seed=seed, tol=0)
        return res.x
    raise ValueError(solver)


def previous_noise_mode(d: int, budget: int) -> dict:
    """The noise mode's settings before December 2026, for the ablation rows
    ("ceopt-noise-previous"): ``0.3 B^0.7`` samples, the success rule, no rank-one term, and
    method "adaptive"'s covariance rate, which a large population caps at 1."""
    popsize = max(2 * (d + 1), round(0.3 * budget**0.7))
    mu_eff = effective_elites("rank", default_n_elite(popsize, 0.5))
    rate = covariance_rate(ceopt.Gaussian(np.zeros(d), np.eye(d)), mu_eff)
    return {"popsize": popsize, "scale_control": "success", "rank_one": False,
            "smoothing_cov": rate}


def _number(text: str):
    """An option's value from a variant's name: an int, a float, True/False, else the text."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def score(delta: float) -> float:
    """The fraction of the targets 1e1 ... 1e-8 that ``delta = f(x) - f_opt`` reaches."""
    return float(np.mean([delta <= t for t in bbob_solvers.TARGETS]))


def bbob_task(task: dict) -> dict:
    f_id, d, inst, noise, budget, solver, seed = (task[k] for k in (
        "f", "d", "inst", "noise", "budget", "solver", "seed"))
    suite = bbob_solvers.suite([f_id], [d], [inst])
    problem = suite.get_problem_by_function_dimension_instance(f_id, d, inst)
    fun = Noisy(problem, task["fopt"], noise, seed, budget)
    t0 = time.process_time()
    x = recommend(solver, fun, d, budget, seed)
    delta = max(problem(x) - task["fopt"], 0.0)
    return {**task, "delta": delta, "score": score(delta), "evals": fun.evals,
            "cpu": time.process_time() - t0}


def sphere_task(task: dict) -> dict:
    d = 10
    fun = Noisy(lambda x: float(((x - 1) ** 2).sum()), 0.0, "sphere", 1000 + task["seed"],
                task["budget"])
    t0 = time.process_time()
    x = recommend(task["solver"], fun, d, task["budget"], task["seed"])
    return {**task, "delta": float(((x - 1) ** 2).sum()), "evals": fun.evals,
            "cpu": time.process_time() - t0}


def read_rows(path: Path) -> list[dict]:
    """The rows of a runs CSV file, as dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _mean_table(rows: list[dict], key, columns: list[str]) -> list[str]:
    """Markdown rows: mean score per ``key(row)`` and solver, the best of a row in bold."""
    cells: dict = {}
    for r in rows:
        cells.setdefault(key(r), {}).setdefault(r["solver"], []).append(float(r["score"]))
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for key_value, by_solver in sorted(cells.items()):
        label = ", ".join(f"d = {v}" if isinstance(v, int) else v for v in key_value)
        means = [np.mean(by_solver[c]) if c in by_solver else np.nan for c in columns]
        top = np.nanmax(means)
        shown = [("—" if np.isnan(m) else (f"**{m:.2f}**" if m == top else f"{m:.2f}"))
                 for m in means]
        lines.append(f"| {label} | " + " | ".join(shown) + " |")
    return lines


def coverage_table(path: Path) -> list[str]:
    """How often ``fun ± 3 fun_se`` held the true value, as markdown."""
    if not path.exists():
        return []
    rows = read_rows(path)
    lines = ["", "## Is `res.fun` honest?", "",
             "The noise mode on `sum((x - 1)**2) + N(0, 0.1²)` in [-5, 5]^d: the share of runs "
             "whose `fun ± 3 fun_se` holds the true value at `x` (`python benchmarks/noise.py "
             "--part coverage`).", "", "| d | budget | runs | within 3 SE | median abs(z) |",
             "|---:|---:|---:|---:|---:|"]
    for d, b, _ in COVERAGE:
        z = np.array([abs(float(r["z"])) for r in rows
                      if int(r["d"]) == d and int(r["budget"]) == b])
        if z.size:
            lines.append(f"| {d} | {b:,} | {z.size} | {np.mean(z <= 3):.0%} | "
                         f"{np.median(z):.2f} |")
    return lines


def sweep_table(path: Path) -> list[str]:
    """The population sweep as markdown: median true value per setting and population."""
    if not path.exists():
        return []
    rows = read_rows(path)
    heads = ["default" if d is None else f"B/{d}" for d in SWEEP_DIVISORS]
    lines = ["", "## Which population, under noise", "",
             "The noise mode's settings (no kept sample, no value-based stop, no restarts) at "
             "fixed populations, 5 seeds, median true value at the final mean; start N(2, I), "
             "`python benchmarks/noise.py --part sweep`. B is the budget. This sweep (method "
             "\"adaptive\"'s own scale control and covariance rate) set the previous noise "
             "mode's 0.3·B^0.7 (B/33 at B = 2,000, B/63 at 20,000, B/100 at 100,000); the "
             "noise mode now learns from the mean's paths and takes 0.25·B^0.6 (B/83, B/210, "
             "B/400), chosen on bbob with noise (`ceopt/noise.py`).", "",
             "| d, B, function, noise | " + " | ".join(heads) + " |",
             "|---|" + "---:|" * len(heads)]
    cells: dict = {}
    for r in rows:
        key = (int(r["d"]), int(r["budget"]), r["function"], r["noise"])
        cells.setdefault(key, {}).setdefault(r["divisor"] or "None", []).append(
            float(r["delta"]))
    for (d, b, f, n), by_div in cells.items():
        meds = {k: np.median(v) for k, v in by_div.items()}
        top = min(meds.values())
        shown = []
        for div in SWEEP_DIVISORS:
            m = meds.get(str(div))
            shown.append("—" if m is None else (f"**{m:.1e}**" if m == top else f"{m:.1e}"))
        lines.append(f"| {d}, {b}, {f}, {n} | " + " | ".join(shown) + " |")
    return lines


def report(bbob_csv: Path, sphere_csv: Path, out: Path) -> None:
    """``results/noise.md`` from the runs' CSV files."""
    sphere = read_rows(sphere_csv)
    runs = read_rows(bbob_csv)
    lines = ["# Noisy objectives", "",
             "Made by `benchmarks/noise.py` (its docstring has the noise models and the "
             "solvers' settings); the score of a run is the fraction of the targets "
             "1e1 … 1e-8 that the **noise-free** f - f_opt at the solver's recommended point "
             "reaches. pycma stops a population after the budget is spent, so some of its "
             "runs use a little more than the budget (all others stay within it).", "",
             "## The 10-d noisy sphere", "",
             "`sum((x - 1)**2) + N(0, 0.1²)` in [-5, 5]^10, 20,000 evaluations, "
             f"{len({r['seed'] for r in sphere})} seeds: the true value at the recommended "
             "point (`python benchmarks/noise.py --part sphere`).", "",
             "| solver | median | best | worst | evaluations (median) | CPU s (median) |",
             "|---|---:|---:|---:|---:|---:|"]
    for solver in SOLVERS:
        mine = [r for r in sphere if r["solver"] == solver]
        if not mine:
            continue
        delta = np.array([float(r["delta"]) for r in mine])
        lines.append(f"| {solver} | {np.median(delta):.2g} | {delta.min():.2g} | "
                     f"{delta.max():.2g} | {np.median([int(r['evals']) for r in mine]):.0f} | "
                     f"{np.median([float(r['cpu']) for r in mine]):.2f} |")
    lines += coverage_table(RESULTS / "noise-coverage-runs.csv")
    lines += sweep_table(RESULTS / "noise-sweep-runs.csv")
    for budget in sorted({int(r["budget"]) // int(r["d"]) for r in runs}):
        mine = [r for r in runs if int(r["budget"]) // int(r["d"]) == budget]
        solvers = solvers_in(mine)
        instances = sorted({r["inst"] for r in mine})
        lines += ["", f"## bbob with noise, {budget}·d evaluations", "",
                  f"Mean score over f1–f24, instance(s) {', '.join(instances)}.", ""]
        lines += _mean_table(mine, lambda r: (int(r["d"]), r["noise"]), solvers)
        lines += ["", "By dimension, all noise models:", ""]
        lines += _mean_table(mine, lambda r: (int(r["d"]),), solvers)
    lines += instances_table(RESULTS / "noise-instances-runs.csv", runs)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def solvers_in(rows: list[dict]) -> list[str]:
    """The solvers of ``rows``: the peers in :data:`SOLVERS`' order, then any ceopt variant
    (an ablation column)."""
    present = {r["solver"] for r in rows}
    return [s for s in SOLVERS if s in present] + sorted(present - set(SOLVERS))


def instances_table(path: Path, runs: list[dict]) -> list[str]:
    """The tables over instances 1-5, one per budget (1000·d, 10,000·d), for the solvers run
    on instances 2-5 at it (``path``) with their instance-1 rows from ``runs``, as markdown."""
    if not path.exists():
        return []
    lines = []
    more = read_rows(path)
    for multiple in sorted({int(r["budget"]) // int(r["d"]) for r in more}):
        mine = [r for r in more if int(r["budget"]) // int(r["d"]) == multiple]
        solvers = solvers_in(mine)
        budgets = {(r["d"], r["budget"]) for r in mine}
        rows = mine + [r for r in runs if r["solver"] in solvers and r["inst"] == "1"
                       and (r["d"], r["budget"]) in budgets]
        lines += ["", f"## bbob with noise, {multiple}·d, instances 1–5", "",
                  "The same scores over five instances of every function, for ceopt and pycma "
                  "(instances 2–5: `python benchmarks/noise.py --part bbob --solvers "
                  f"\"{';'.join(solvers)}\" --instances 2,3,4,5 --budgets {multiple} "
                  "--out FILE`, its rows then added to `results/noise-instances-runs.csv`)."
                  + INSTANCES_NOTE.get(multiple, ""), ""]
        lines += _mean_table(rows, lambda r: (int(r["d"]), r["noise"]), solvers)
        lines += ["", "By dimension, all noise models:", ""]
        lines += _mean_table(rows, lambda r: (int(r["d"]),), solvers)
    return lines


#: What the instances tables add below their heading.
INSTANCES_NOTE = {
    1000: (" ceopt-noise-previous is the noise mode before it learned from the mean's paths "
           "(the success rule, 0.3·B^0.7 samples, method \"adaptive\"'s covariance rate); "
           "ceopt-noise:reevaluate=0 is the noise mode without the second look at each "
           "population's best tenth."),
    10000: (" ceopt-noise:reevaluate=0 is the noise mode without the second look at each "
            "population's best tenth. TBPSA and DE are left out: at d = 10 they would have "
            "taken over an hour of CPU per instance."),
}


#: The population sweep: test functions (noise-free value of x, rows) and noise models.
SWEEP_FUNCTIONS = {
    "sphere": lambda X: (X**2).sum(axis=1),
    "ellipsoid": lambda X: (10 ** (6 * np.arange(X.shape[1]) / (X.shape[1] - 1)) * X**2).sum(1),
    "rosenbrock": lambda X: (100 * (X[:, 1:] - X[:, :-1] ** 2) ** 2
                             + (1 - X[:, :-1]) ** 2).sum(axis=1),
}
SWEEP_NOISE = {"add 0.1": ("add", 0.1), "mult 0.3": ("mult", 0.3)}
#: Populations of the sweep: ceopt's default (None) and the budget over these divisors.
SWEEP_DIVISORS = (None, 10, 25, 50, 100, 200)


def sweep_task(task: dict) -> dict:
    """One run of the noise mode's settings at a fixed population: the true value at the
    final mean (noise mode without its population rule)."""
    d, budget, seed = task["d"], task["budget"], task["seed"]
    true = SWEEP_FUNCTIONS[task["function"]]
    kind, level = SWEEP_NOISE[task["noise"]]
    rng = np.random.default_rng(1000 + seed)

    def noisy(X):
        v = true(X)
        shocks = rng.standard_normal(len(X))
        return v + level * shocks if kind == "add" else v * (1 + level * shocks)

    pop = None if task["divisor"] is None else max(2 * d + 2, budget // task["divisor"])
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.full(d, 2.0), np.ones(d)), seed=seed,
                            max_evals=budget, keep_best=False, restarts=0, separable=False,
                            tol_fun=0, patience=10**9, popsize=pop)
    while not es.stop():
        X = es.ask()
        es.tell(X, noisy(X))
    return {**task, "popsize": es.popsize, "delta": float(true(es.dist.mean[None])[0])}


#: The coverage check: (d, budget, runs) on the shifted sphere with N(0, 0.1²) noise.
COVERAGE = ((10, 20_000, 100), (5, 5_000, 200), (2, 2_000, 200))


def coverage_task(task: dict) -> dict:
    """One noise-mode run: how many standard errors ``fun`` lies from the true value at x."""
    d, seed = task["d"], task["seed"]
    rng = np.random.default_rng(10_000 + seed)

    def noisy(X):
        return ((X - 1) ** 2).sum(axis=1) + 0.1 * rng.standard_normal(len(X))

    res = ceopt.minimize(noisy, bounds=[(LOW, HIGH)] * d, vectorized=True, noise=True,
                         max_evals=task["budget"], seed=seed)
    true = float(((res.x - 1) ** 2).sum())
    return {**task, "fun": res.fun, "fun_se": res.fun_se, "true": true,
            "z": (res.fun - true) / res.fun_se}


def int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("sphere", "bbob", "sweep", "coverage", "report"),
                        default="sphere",
                        help="sweep: the fixed populations behind the noise mode's; coverage: "
                             "how often fun ± 3 fun_se holds the true value; report: write "
                             "results/noise.md from the runs' CSV files")
    parser.add_argument("--solvers", default=";".join(SOLVERS),
                        help="solvers separated by ';' (a ceopt variant names its options: "
                             "'ceopt-noise:weights=equal')")
    parser.add_argument("--functions", type=int_list, default=list(range(1, 25)))
    parser.add_argument("--dims", type=int_list, default=[2, 5, 10])
    parser.add_argument("--instances", type=int_list, default=[1, 2, 3, 4, 5])
    parser.add_argument("--budgets", type=int_list, default=[100, 1000, 10000],
                        help="budgets as multiples of d")
    parser.add_argument("--noises", default=",".join(NOISES))
    parser.add_argument("--seeds", type=int, default=8, help="seeds of the sphere part")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="CSV of the runs (default: results/)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    solvers = args.solvers.split(";")
    if args.part == "report":
        report(RESULTS / "noise-bbob-runs.csv", RESULTS / "noise-sphere-runs.csv",
               RESULTS / "noise.md")
        return
    if args.part == "coverage":
        tasks = [{"d": d, "budget": b, "seed": seed} for d, b, n in COVERAGE
                 for seed in range(n)]
        work = coverage_task
    elif args.part == "sweep":
        tasks = [{"function": f, "noise": n, "d": d, "budget": b * d, "divisor": div,
                  "seed": seed}
                 for d in (2, 10) for b in (100, 1000, 10000) for f in SWEEP_FUNCTIONS
                 for n in SWEEP_NOISE for div in SWEEP_DIVISORS for seed in range(5)
                 if div is None or b * d // div <= b * d // 3]
        work = sweep_task
    elif args.part == "sphere":
        tasks = [{"solver": s, "seed": seed, "budget": 20000} for s in solvers
                 for seed in range(args.seeds)]
        work = sphere_task
    else:
        suite = bbob_solvers.suite(args.functions, args.dims, args.instances)
        fopt = {(p.id_function, p.dimension, p.id_instance): bbob_solvers.fopt_of(p)
                for p in suite}
        tasks = [{"f": f, "d": d, "inst": i, "noise": n, "budget": b * d, "solver": s,
                  "seed": 1000 * i + f, "fopt": fopt[f, d, i]}
                 for d in args.dims for b in args.budgets for n in args.noises.split(",")
                 for f in args.functions for i in args.instances for s in solvers]
        work = bbob_task
    with Pool(args.workers) as pool:
        rows = []
        for k, row in enumerate(pool.imap_unordered(work, tasks, chunksize=1), 1):
            rows.append(row)
            if k % 50 == 0 or k == len(tasks):
                print(f"{k}/{len(tasks)}", flush=True)
    out = Path(args.out) if args.out else RESULTS / f"noise-{args.part}-runs.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: [str(r[k]) for k in r]))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
