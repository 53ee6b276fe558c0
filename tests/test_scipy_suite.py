"""benchmarks/scipy_suite.py on a stand-in for scipy's suite: which functions it runs, the
budget it enforces, the success test it applies and the report it writes.

The stand-in has the layout and interface of scipy's ``go_benchmark_functions`` (a package
whose ``Benchmark`` base class has ``fun``, ``bounds``, ``N``, ``fglob`` and ``success``, and
which imports ``safe_import`` from its parent's ``common``), so the script's loader and runner
meet what they meet in a scipy checkout, without one.
"""

import csv
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import scipy_suite  # noqa: E402

from ceopt.bench.solvers import Stop  # noqa: E402

BASE = '''
import numpy as np
from ..common import safe_import


class Benchmark:
    def __init__(self, dimensions):
        self._dimensions = dimensions
        self.nfev = 0
        self.fglob = np.nan

    @property
    def N(self):
        return self._dimensions

    @property
    def bounds(self):
        return self._bounds

    def success(self, x, tol=1e-5):
        val = self.fun(np.asarray(x))
        if abs(val - self.fglob) < tol:
            return True
        if val < self.fglob:
            raise ValueError("lower than fglob", x, val, self.fglob)
        return False
'''

FUNCTIONS = '''
import numpy as np
from .go_benchmark import Benchmark, safe_import

with safe_import():
    from a_module_that_does_not_exist import anything


class Bowl(Benchmark):  # a shifted sphere in 3-d: every solver finds it
    def __init__(self, dimensions=3):
        super().__init__(dimensions)
        self._bounds = [(-4.0, 6.0)] * 3
        self.fglob = 1.0

    def fun(self, x):
        self.nfev += 1
        return 1.0 + np.sum((x - 1.5) ** 2)


class Misstated(Benchmark):  # its fglob is wrong: the true minimum is 0
    def __init__(self, dimensions=2):
        super().__init__(dimensions)
        self._bounds = [(-1.0, 1.0), (-2.0, 2.0)]
        self.fglob = 0.5

    def fun(self, x):
        self.nfev += 1
        return np.sum(x ** 2)


class Problem02(Benchmark):  # univariate: BenchGlobal leaves out Problem*
    def __init__(self, dimensions=1):
        super().__init__(dimensions)
        self._bounds = [(0.0, 1.0)]

    def fun(self, x):
        return float(x[0])
'''


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / scipy_suite.SUITE
    folder.mkdir(parents=True)
    (folder / "go_benchmark.py").write_text(BASE)
    (folder / "go_funcs_A.py").write_text(FUNCTIONS)
    (folder / "__init__.py").write_text("from .go_funcs_A import *\n")
    return tmp_path


def test_the_suite_is_what_bench_global_runs(source):
    suite = scipy_suite.load_suite(source)
    assert sorted(suite) == ["Bowl", "Misstated"]
    assert suite["Bowl"]().N == 3


def test_a_folder_that_is_not_a_scipy_checkout_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="--scipy-source .*checkout of scipy"):
        scipy_suite.load_suite(tmp_path)
    with pytest.raises(SystemExit, match="--scipy-source"):
        scipy_suite.main(["--scipy-source", str(tmp_path)])


def test_the_budget_is_never_overspent_and_the_best_point_is_kept():
    calls = []
    obj = scipy_suite.Budget(lambda x: calls.append(x) or float(np.sum(x)), budget=5)
    for v in (3.0, 1.0, 2.0, np.nan, 4.0):
        obj(np.array([v]))
    with pytest.raises(Stop):
        obj(np.array([0.0]))
    assert len(calls) == 5 and obj.best_f == 1.0 and obj.best_x.tolist() == [1.0]
    assert obj.solved_at is None


def test_a_value_within_the_tolerance_ends_the_run_and_counts_its_evaluations():
    obj = scipy_suite.Budget(lambda x: float(x[0]), budget=100, target=1e-5)
    for v in (5.0, 1.0, 0.5e-5):
        obj(np.array([v]))
    assert obj.solved_at == 3
    with pytest.raises(Stop):
        obj(np.array([1.0]))


# pycma is a peer of the benchmarks (the bench extra), not a test dependency.
needs_cma = pytest.mark.skipif(find_spec("cma") is None,
                               reason="needs cma (pip install '.[bench]')")


@pytest.mark.parametrize("solver", [pytest.param(s, marks=needs_cma) if s == "cma-ipop"
                                    else s for s in sorted(scipy_suite.SOLVERS)])
def test_every_solver_solves_the_bowl_within_the_budget(source, solver):
    row = scipy_suite.run_one(dict(source=str(source), function="Bowl", solver=solver,
                                   seed=0, budget=3000))
    assert row["success"] == 1 and row["below_fglob"] == 0
    assert row["solved_at"] == row["evals"] <= 3000
    assert abs(row["best_f"] - 1.0) < 1e-5


def test_a_budget_too_small_to_solve_is_a_failure(source):
    row = scipy_suite.run_one(dict(source=str(source), function="Bowl", solver="de",
                                   seed=1, budget=30))
    assert row["evals"] == 30 and row["success"] == 0 and row["solved_at"] is None


def test_a_point_below_the_suites_fglob_counts_as_solved_and_is_flagged(source):
    row = scipy_suite.run_one(dict(source=str(source), function="Misstated", solver="ceopt",
                                   seed=0, budget=2000))
    assert row["success"] == 1 and row["below_fglob"] == 1 and row["best_f"] < 0.5


def test_runs_repeat_with_their_seed(source):
    task = dict(source=str(source), function="Bowl", solver="ceopt", seed=2, budget=500)
    first, again = scipy_suite.run_one(task), scipy_suite.run_one(task)
    assert {k: v for k, v in first.items() if k != "seconds"} == \
        {k: v for k, v in again.items() if k != "seconds"}


def test_the_script_writes_the_table_by_band_and_the_runs(source, tmp_path):
    out = tmp_path / "results" / "suite"
    rows = scipy_suite.main(["--scipy-source", str(source), "--seeds", "2", "--budget", "400",
                             "--jobs", "1", "--solvers", "ceopt,nelder-mead",
                             "--out", str(out)])
    assert len(rows) == 2 * 2 * 2
    with open(out.parent / "suite-runs.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 8
    report = out.with_suffix(".md").read_text()
    assert "| 2-d | 1 |" in report and "| 3-5-d | 1 |" in report and "| all | 2 |" in report
    assert "6-17-d" not in report  # a band without functions has no row
    solved = {s: np.mean([r["success"] for r in rows if r["solver"] == s])
              for s in ("ceopt", "nelder-mead")}
    assert f"{100 * solved['ceopt']:.1f} %" in report.split("| all | 2 |")[1].split("\n")[0]
    assert "Misstated (ceopt)" in report
    # The plot needs matplotlib (the plot extra); the tables do not.
    assert out.with_suffix(".png").exists() == (find_spec("matplotlib") is not None)
    # --report writes the same tables from the CSV, running nothing.
    out.with_suffix(".md").unlink()
    again = scipy_suite.main(["--scipy-source", str(source), "--seeds", "2", "--budget", "400",
                              "--out", str(out), "--report"])
    assert again == [{**r, "seconds": round(r["seconds"], 3)} for r in rows]
    assert out.with_suffix(".md").read_text() == report


def test_unknown_solvers_are_refused_by_name(source, capsys):
    with pytest.raises(SystemExit):
        scipy_suite.parse_args(["--scipy-source", str(source), "--solvers", "ceopt,pso"])
    assert "--solvers: unknown pso; choose from ceopt," in capsys.readouterr().err
