"""The BBOB harness (ceopt.bench, run by ``ceopt bench`` and benchmarks/bbob.py): the recorder,
f_opt, the measure, and the --quick run end to end."""

import csv
import json
import math
import re
import shutil
import sys
from importlib.util import find_spec
from operator import itemgetter
from pathlib import Path

import numpy as np
import pytest

from ceopt.bench import measure, plots, report
from ceopt.bench import run as bbob
from ceopt.bench import solvers as bbob_solvers
from ceopt.bench.solvers import TARGETS, Recorder, Stop
from ceopt.cli import main as ceopt_main

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # small_budget.py, tested at the end

TINY = ["--quick", "--budget", "20", "--quiet", "--jobs", "2"]
# The report draws its figures with matplotlib (in the bench extra).
needs_matplotlib = pytest.mark.skipif(find_spec("matplotlib") is None,
                                      reason="needs matplotlib (pip install '.[bench]')")


def bench(*argv: str) -> int:
    """``ceopt bench --quick`` on a tiny budget, with more options; its exit status."""
    return ceopt_main(["bench", *TINY, *argv])


class Sequence:
    """A fake problem whose k-th evaluation returns values[k]."""

    dimension = 2

    def __init__(self, values):
        self.values = list(values)
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return self.values[self.calls - 1]


# -- the recorder ------------------------------------------------------------------------------
def test_recorder_notes_the_evaluation_at_which_each_target_is_first_reached():
    fopt = 100.0
    rec = Recorder(Sequence(fopt + np.array([50, 20, 5, 7, 0.5, 2e-3, 5e-4])), fopt, budget=10)
    for _ in range(7):
        rec(np.zeros(2))
    # targets 1e1, 1e0, ..., 1e-8; deltas 50, 20, 5 (hits 1e1), 7, .5 (1e0), 2e-3 (1e-1, 1e-2),
    # 5e-4 (1e-3)
    assert rec.hits[:5] == [3, 5, 6, 6, 7]
    assert all(math.isnan(h) for h in rec.hits[5:])
    assert rec.best == pytest.approx(5e-4) and rec.evals == 7
    exact = Recorder(Sequence([1.0]), 0.0, budget=1)
    exact(np.zeros(2))
    assert exact.hits[:2] == [1, 1]  # a value equal to a target reaches it, as in COCO


def test_recorder_stops_at_the_budget_and_counts_only_what_it_evaluated():
    problem = Sequence(np.arange(10.0, 0, -1))
    rec = Recorder(problem, 0.0, budget=5)
    with pytest.raises(Stop):
        rec.batch(np.zeros((8, 2)))  # a population larger than what is left
    assert rec.evals == problem.calls == 5
    with pytest.raises(Stop):
        rec(np.zeros(2))
    assert problem.calls == 5


def test_recorder_ends_the_run_at_the_final_target():
    rec = Recorder(Sequence([3.0, 1e-9 + 2.0, 7.0]), 2.0, budget=100)
    rec(np.zeros(2))
    with pytest.raises(Stop, match="final target"):
        rec(np.zeros(2))
    assert rec.hits == [1, 1] + [2] * (len(TARGETS) - 2)  # 3 - 2 = 1 reaches 1e1 and 1e0


def test_restarts_go_on_until_the_recorder_stops_and_a_start_that_evaluates_nothing_ends():
    rec = Recorder(Sequence(np.ones(100)), 0.0, budget=25)

    def start(rec, rng, k):
        for _ in range(10):
            rec(np.zeros(2))

    assert bbob_solvers.run_with_restarts(start, rec, np.random.default_rng(0)) == 3
    assert rec.evals == 25
    idle = Recorder(Sequence([]), 0.0, budget=25)
    assert bbob_solvers.run_with_restarts(lambda *a: None, idle, np.random.default_rng(0)) == 1


@pytest.mark.bench
@pytest.mark.parametrize("solver", sorted(bbob_solvers.ALL))
@pytest.mark.parametrize("function", [1, 15])  # sphere: the last target is reached; Rastrigin
def test_every_solver_evaluates_only_through_the_recorder(solver, function):
    problem = bbob_solvers.suite([function], [2], [1])[0]
    fopt = bbob_solvers.fopt_of(problem)
    rec = Recorder(problem, fopt, budget=400)
    start, _ = bbob_solvers.ALL[solver]
    bbob_solvers.run_with_restarts(start, rec, np.random.default_rng(3))
    assert problem.evaluations == rec.evals <= 400
    assert rec.best + fopt == pytest.approx(problem.best_observed_fvalue1, abs=1e-12)
    # The others restart until the budget or the last target ends them.
    once = solver == "direct" or solver.startswith("ceopt-told")
    if not once:
        assert rec.evals == 400 or not math.isnan(rec.hits[-1])
    if function == 15:
        assert math.isnan(rec.hits[-1]) and rec.evals == 400 or once


# -- f_opt -------------------------------------------------------------------------------------
@pytest.mark.bench
@pytest.mark.parametrize("dim", [2, 10])
def test_fopt_from_the_logger_is_the_value_at_the_optimum(dim, tmp_path, monkeypatch):
    """The logger's Fopt against f(x_opt), x_opt from cocoex's unofficial _best_parameter."""
    monkeypatch.chdir(tmp_path)  # _best_parameter writes its file into the working directory
    for problem in bbob_solvers.suite(range(1, 25), [dim], [1, 7]):
        fopt = bbob_solvers.fopt_of(problem)
        problem._best_parameter("print")
        x_opt = np.loadtxt("._bbob_problem_best_parameter.txt")
        assert problem(x_opt) == pytest.approx(fopt, abs=1e-9), problem.id
        assert fopt == round(fopt, 2) and abs(fopt) <= 1000


# -- the measure -------------------------------------------------------------------------------
def run(hits, dim=2, function=1, solver="a"):
    return dict(solver=solver, dim=dim, function=function, instance=1, budget=100 * dim,
                hits=[float(h) for h in hits])


def test_reached_counts_run_target_pairs_within_evaluations_per_dimension():
    nan = math.nan
    runs = [run([4, 10, 150, nan, nan, nan, nan, nan, nan, nan]),
            run([2, 2, 2, 2, 2, 2, 2, 2, 2, 2], dim=5)]
    # per dim 10: run 1 reaches 2 of 10 within 20 evaluations, run 2 all 10 within 50
    assert measure.reached(runs, 10) == 12 / 20
    assert measure.reached(runs, 100) == 13 / 20
    assert measure.reached(runs, 0.1) == 0
    assert math.isnan(measure.reached([], 100))


def test_ecdf_steps_up_by_one_triple_at_each_hit_and_ends_at_the_budget():
    nan = math.nan
    runs = [run([10, 100, nan, nan, nan, nan, nan, nan, nan, nan]),
            run([20, nan, nan, nan, nan, nan, nan, nan, nan, nan])]
    x, y = plots.ecdf_curve(runs, 100)
    assert x == pytest.approx([0, np.log10(5), 1, np.log10(50), 2])
    assert y == pytest.approx([0, 1 / 20, 2 / 20, 3 / 20, 3 / 20])


@needs_matplotlib
def test_a_run_of_some_groups_only_is_reported_with_the_others_left_empty(tmp_path):
    runs = [dict(run([5, 50, *[math.nan] * 8], solver=s), seed=1, fopt=0.0, evals=200,
                 starts=1, best=0.5, seconds=0.1) for s in ("ceopt-diag", "de")]
    path = report.report(runs, {"seed": 1, "jobs": 1, "wall_seconds": 3}, tmp_path)
    text = path.read_text()
    assert "| de | 0.20 | – | – | – | – | 0.20 |" in text.replace("**", "")
    assert "nan" not in text and (tmp_path / "bbob-ecdf-d2.png").exists()


@needs_matplotlib
@pytest.mark.slow
def test_the_ablation_table_gives_each_change_against_the_row_it_modifies(tmp_path):
    nan = math.nan

    def solver_run(name, n_hits):  # n_hits of the ten targets, all within a tenth
        return dict(run([1] * n_hits + [nan] * (10 - n_hits), solver=name), seed=1, fopt=0.0,
                    evals=200, starts=1, best=0.5, seconds=0.1)

    main = [solver_run("ceopt-textbook-full", 2), solver_run("ceopt", 9), solver_run("de", 5)]
    variants = [solver_run("ceopt-ce", 3), solver_run("ceopt-ce-rank", 6),
                solver_run("ceopt-no-scale", 4)]
    measure.write_runs(tmp_path / "bbob-ablation-runs.csv", variants)
    text = report.report(main, {"seed": 1}, tmp_path).read_text()
    rows = {r[1].strip("`"): r for r in table_after(text, "## Ablation")}
    assert list(rows) == ["ceopt-textbook-full", "ceopt-ce", "ceopt-ce-rank", "ceopt",
                          "ceopt-no-scale"]  # the chain in order (a missing row skipped), then
    # the leave-outs
    assert [rows[s][4] for s in rows] == ["", "+0.10", "+0.30", "+0.30", "-0.50"]
    assert "de" not in rows


def test_runs_survive_the_csv_round_trip(tmp_path):
    runs = [dict(run([1, 5, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan,
                      math.nan, math.nan]), seed=1, fopt=-12.5, evals=200, starts=2,
                 best=0.25, seconds=0.5)]
    measure.write_runs(tmp_path / "r.csv", runs)
    back = measure.read_runs(tmp_path / "r.csv")
    assert back[0]["hits"][:2] == [1, 5] and all(math.isnan(h) for h in back[0]["hits"][2:])
    assert {k: back[0][k] for k in ("dim", "fopt", "evals", "best")} == {
        "dim": 2, "fopt": -12.5, "evals": 200, "best": 0.25}


# -- the --quick path, end to end --------------------------------------------------------------
@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bbob")
    assert bench("--out", str(out)) == 0
    return out


def table_after(text: str, heading: str) -> list[list[str]]:
    """The rows of the first markdown table after ``heading``, cells stripped of bold."""
    rest = text[text.index(heading):]
    rows = []
    for line in rest.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([c.strip().strip("*") for c in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without header and rule


@pytest.mark.bench
@pytest.mark.slow
def test_quick_tables_hold_a_row_per_solver_and_fractions_within_zero_and_one(quick):
    text = (quick / "bbob.md").read_text()
    solvers = set(bbob_solvers.SOLVERS)
    headings = ["## Headline"] + [f"## d = {d}" for d in (2, 5)]
    for heading in headings:
        rows = table_after(text, heading)
        assert {r[0] for r in rows} == solvers and len(rows) == len(solvers), heading
        values = [float(c) for r in rows for c in r[1:]]
        assert values and all(0 <= v <= 1 for v in values), heading
    for d in (2, 5):  # the second table of a dimension is at a tenth of the budget
        after = text[text.index(f"## d = {d}"):]
        full = {r[0]: r[1:] for r in table_after(after, "At the full budget")}
        tenth = {r[0]: r[1:] for r in table_after(after, "At a tenth")}
        assert all(float(a) <= float(b) for s in solvers
                   for a, b in zip(tenth[s], full[s], strict=True))
    for d in (2, 5):
        png = (quick / f"bbob-ecdf-d{d}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


@pytest.mark.bench
@pytest.mark.slow
def test_quick_runs_spend_the_budget_and_fractions_fall_as_the_target_gets_harder(quick):
    runs = measure.read_runs(quick / "bbob-runs.csv")
    assert len(runs) == len(bbob_solvers.SOLVERS) * 5 * 2 * 3  # functions, dims, instances
    for r in runs:
        assert r["budget"] == 20 * r["dim"] and 1 <= r["evals"] <= r["budget"]
        finished = not math.isnan(r["hits"][-1])
        assert r["evals"] == r["budget"] or finished or r["solver"] == "direct", r
        reached = [h for h in r["hits"] if not math.isnan(h)]
        assert reached == sorted(reached) and all(h <= r["evals"] for h in reached)
        assert all(math.isnan(h) for h in r["hits"][len(reached):])  # no gaps
        assert (r["best"] <= TARGETS[len(reached) - 1] if reached else r["best"] > TARGETS[0])
    for solver in bbob_solvers.SOLVERS:
        mine = measure.select(runs, solver)
        per_target = [np.mean([r["hits"][k] <= r["budget"] for r in mine])
                      for k in range(len(TARGETS))]
        assert all(0 <= p <= 1 for p in per_target)
        assert per_target == sorted(per_target, reverse=True), solver


@pytest.mark.bench
@pytest.mark.slow
def test_update_reruns_only_the_named_solvers_and_keeps_the_others(quick, tmp_path, capsys):
    shutil.copytree(quick, tmp_path / "out")
    before = measure.read_runs(tmp_path / "out" / "bbob-runs.csv")
    assert bench("--out", str(tmp_path / "out"), "--update", "--solvers", "de",
                 "--seed", "1") == 0
    after = measure.read_runs(tmp_path / "out" / "bbob-runs.csv")
    key = itemgetter("solver", "dim", "function", "instance")
    assert sorted(map(key, after)) == sorted(map(key, before))
    kept = {key(r): r for r in before if r["solver"] != "de"}
    assert all(r == kept[key(r)] for r in after if r["solver"] != "de")
    meta = json.loads((tmp_path / "out" / "bbob-meta.json").read_text())
    assert meta["updates"][0]["solvers"] == ["de"]
    capsys.readouterr()
    assert bench("--out", str(tmp_path / "out"), "--update", "--solvers", "de",
                 "--seed", "2") == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.bench
@pytest.mark.slow
def test_the_same_seed_gives_the_same_runs_on_any_number_of_processes(quick, tmp_path):
    assert bench("--jobs", "1", "--out", str(tmp_path)) == 0  # the last --jobs counts

    def rows(folder):
        with open(folder / "bbob-runs.csv") as f:
            return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]

    assert rows(tmp_path) == rows(quick)


def test_options_parse_ranges_and_reject_bad_values(capsys):
    args = bbob.parse_args(["--functions", "1-3,7", "--dims", "5", "2", "--instances", "2-4"],
                           results=Path("here"))
    assert (args.functions, args.dims, args.instances) == ([1, 2, 3, 7], [2, 5], [2, 3, 4])
    assert args.budget == 1000 and args.out == Path("here")
    for bad in (["--functions", "0-3"], ["--budget", "0"], ["--dims", "1"],
                ["--functions", "one"], ["--update"]):
        with pytest.raises(SystemExit):
            bbob.parse_args(bad)
        assert re.search("functions|budget|dimension|range|--update needs --solvers",
                         capsys.readouterr().err)
    # cocoex's bbob has six dimensions: it fails on d = 7 and drops d = 100 without a word.
    with pytest.raises(SystemExit):
        bbob.parse_args(["--dims", "40", "7", "100"])
    assert ("--dims: bbob has the dimensions 2, 3, 5, 10, 20, 40 only, not 7, 100"
            in capsys.readouterr().err)
    with pytest.raises(SystemExit):
        bbob.parse_args(["--suite", "bbob-largescale", "--dims", "10"])
    assert "bbob-largescale has the dimensions 20, 40, 80" in capsys.readouterr().err
    assert bbob.parse_args(["--suite", "bbob-largescale", "--dims", "80"]).dims == [80]


def test_the_benchmark_script_writes_into_benchmarks_results_as_before():
    import bbob as script  # benchmarks/bbob.py, a thin layer over ceopt.bench
    import bbob_report
    import bbob_solvers

    assert script.parse_args([]).out == BENCHMARKS / "results"
    assert script.parse_args(["--quick"]).out == BENCHMARKS / "results" / "quick"
    # What the other scripts of the folder import from the three modules is the package's.
    assert script.int_list is bbob.int_list and bbob_solvers.Recorder is Recorder
    assert bbob_report._table is report._table and bbob_report.STYLE is plots.STYLE
    assert bbob_report.read_runs is measure.read_runs


# -- small_budget.py: the hindsight bound at 100·d ----------------------------------------------
def test_the_oracle_takes_each_functions_best_setting_and_best_single_the_best_overall():
    import small_budget
    nan = math.nan

    def grid_run(function, setting, reached_targets):
        hits = [10.0] * reached_targets + [nan] * (10 - reached_targets)
        return dict(function=function, setting=setting, dim=2, hits=hits)
    # Setting a reaches 6 and 0 targets on f1 and f2; setting b reaches 2 and 4.
    runs = [grid_run(1, "a", 6), grid_run(2, "a", 0), grid_run(1, "b", 2), grid_run(2, "b", 4)]
    assert small_budget.oracle(runs, [1, 2]) == pytest.approx((0.6 + 0.4) / 2)
    assert small_budget.best_single(runs) == (pytest.approx(0.3), "a")  # a: 6/20, b: 6/20 too
    runs.append(grid_run(1, "b", 1))  # b now 7/30 < a's 6/20
    assert small_budget.best_single(runs)[1] == "a"


@pytest.mark.bench
@pytest.mark.parametrize("solver", ["ceopt", "cma"])
def test_a_small_budget_run_spends_at_most_100_d_with_each_setting(solver):
    import small_budget
    problem = bbob_solvers.suite([8], [2], [1])[0]
    fopt = bbob_solvers.fopt_of(problem)
    problem.free()
    for setting in small_budget.settings(solver, 2)[::5]:
        out = small_budget.run((solver, setting, 8, 2, 1, fopt))
        reached = [h for h in out["hits"] if not math.isnan(h)]
        assert reached == sorted(reached) and all(1 <= h <= 200 for h in reached)


@pytest.mark.bench
def test_the_large_scale_suite_runs_in_its_own_dimensions_and_is_named(tmp_path, capsys):
    out = tmp_path / "large"
    assert bench("--suite", "bbob-largescale", "--dims", "20", "--functions", "1,10",
                 "--instances", "1", "--solvers", "ceopt", "--out", str(out)) == 0
    runs = measure.read_runs(out / "bbob-runs.csv")
    assert sorted((r["function"], r["dim"]) for r in runs) == [(1, 20), (10, 20)]
    assert all(r["evals"] == r["budget"] for r in runs if r["best"] > 1e-8)
    # f_opt read from COCO's logger of the large-scale problem, as for bbob.
    large = bbob_solvers.suite([10], [20], [1], name="bbob-largescale")[0]
    assert large.id == "bbob_f010_i01_d0020"  # the large-scale suite's naming
    assert {r["fopt"] for r in runs if r["function"] == 10} == {
        bbob_solvers.fopt_of(large, "bbob-largescale")}
    assert json.loads((out / "bbob-meta.json").read_text())["suite"] == "bbob-largescale"
    assert "Suite bbob-largescale. Functions 1, 10" in (out / "bbob.md").read_text()
    # Runs of one suite are not updated with another's.
    capsys.readouterr()
    assert bench("--dims", "20", "--functions", "1,10", "--instances", "1", "--update",
                 "--solvers", "ceopt", "--out", str(out)) == 2
    assert "'suite': ('bbob-largescale', 'bbob')" in capsys.readouterr().err
