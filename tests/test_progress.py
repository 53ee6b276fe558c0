"""disp=/verbose=: what a run shows as it goes, and the run an exception ends keeps its result."""

import logging
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ceopt
from ceopt.progress import Display, _due, check_disp


def sphere(X):
    return ((X - 1.0) ** 2).sum(axis=1)


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ceopt"]


def table_iterations(messages: list[str]) -> list[int]:
    """The iteration column of the table rows (lines that start with a number)."""
    return [int(m.split()[0]) for m in messages if m.split() and m.split()[0].isdigit()]


def test_disp_and_its_synonym_verbose():
    assert check_disp(None) == 0
    assert check_disp(True) == 1 and check_disp(False) == 0
    assert check_disp(None, verbose=2) == 2
    assert check_disp(5) == 2  # levels above 2 show as much as 2
    with pytest.raises(ValueError, match="verbose is a synonym of disp"):
        check_disp(True, verbose=0)
    with pytest.raises(ValueError, match="disp"):
        check_disp(-1)


@given(st.integers(101, 10_000))
def test_level_one_shows_one_line_per_hundred_iterations_after_a_hundred(start):
    assert sum(_due(n) for n in range(start, start + 100)) == 1


def test_minimize_without_budget_logs_a_table_and_the_outcome(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    res = ceopt.minimize(sphere, np.zeros(3), vectorized=True, seed=0, disp=True)
    messages = lines(caplog)
    assert messages[0].split() == ["iter", "nfev", "best", "gamma", "spread", "restarts"]
    shown = table_iterations(messages)
    assert shown == [n for n in range(1, res.nit + 1) if _due(n)]
    assert messages[-1].startswith(res.message)
    assert f"{res.nfev:,} evaluations" in messages[-1]


def test_level_two_logs_every_iteration(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    res = ceopt.minimize(sphere, np.zeros(2), vectorized=True, seed=0, verbose=2, max_iter=15)
    assert table_iterations(lines(caplog)) == list(range(1, res.nit + 1))


def test_the_table_shows_the_run_it_belongs_to(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    res = ceopt.minimize(sphere, np.zeros(2), vectorized=True, seed=0, verbose=2, max_iter=5)
    last = [m for m in lines(caplog) if m.split()[0] == str(res.nit)][0].split()
    assert int(last[1].replace(",", "")) == res.history["nfev"][-1]
    assert float(last[2]) == pytest.approx(res.history["best"][-1], rel=1e-5)
    assert float(last[3]) == pytest.approx(res.history["gamma"][-1], rel=1e-5)


def test_a_budget_gives_a_bar_and_restarts_get_a_line(caplog, capsys):
    pytest.importorskip("tqdm", reason="needs tqdm (pip install '.[progress]')")
    caplog.set_level(logging.INFO, logger="ceopt")
    rastrigin = lambda X: 10 * X.shape[1] + (X**2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1)  # noqa: E731
    res = ceopt.minimize(rastrigin, np.full(2, 3.0), sigma0=2.0, vectorized=True, seed=1,
                         max_evals=3000, disp=True)
    err = capsys.readouterr().err
    assert f"{res.nfev}/3000" in err  # the bar, where it ended
    assert res.nrestarts > 0
    assert err.count("restart ") == res.nrestarts  # the lines written above the bar
    assert lines(caplog)[-1].startswith(res.message)


def test_the_display_changes_nothing_in_the_run(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    quiet = ceopt.minimize(sphere, np.zeros(3), vectorized=True, seed=3, max_evals=2000)
    shown = ceopt.minimize(sphere, np.zeros(3), vectorized=True, seed=3, max_evals=2000,
                           disp=2)
    assert quiet.fun == shown.fun and np.array_equal(quiet.x, shown.x)


@pytest.mark.slow
def test_without_logging_set_up_the_lines_go_to_stderr(tmp_path):
    # A fresh interpreter: pytest's own log capture is a handler, which would take the lines.
    import subprocess
    import sys

    code = ("import numpy as np, ceopt\n"
            "ceopt.minimize(lambda X: (X**2).sum(axis=1), np.ones(2), vectorized=True, seed=0,"
            " max_iter=3, disp=True)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert table_iterations(out.stderr.splitlines()) == [1, 2, 3]


def test_a_logger_level_set_by_the_program_silences_it(caplog):
    logger = logging.getLogger("ceopt")
    logger.setLevel(logging.WARNING)
    try:
        ceopt.minimize(sphere, np.zeros(2), vectorized=True, seed=0, max_iter=5, disp=2)
    finally:
        logger.setLevel(logging.NOTSET)
    assert lines(caplog) == []


def test_ask_tell_logs_after_tell(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.full(3, 2.0), 1.0), seed=0, max_iter=12,
                            disp=True)
    while not es.stop():
        X = es.ask()
        es.tell(X, sphere(X))
    assert table_iterations(lines(caplog)) == [1, 2, 3, 10]
    resumed = ceopt.CrossEntropy.from_state(es.state())
    assert resumed._display is None  # not part of the run's state


def test_rare_event_logs_each_batch_and_the_estimate(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    nominal = ceopt.Gaussian(np.zeros(3), np.eye(3))
    res = ceopt.estimate_rare_event(lambda X: X.sum(axis=1), nominal, 7.0, seed=0,
                                    final_samples=5000, disp=True)
    messages = lines(caplog)
    rows = [m.split() for m in messages if m.split()[0].isdigit()]
    assert len(rows) == res.n_iter + 1  # the levels' batches and the final one
    assert int(rows[-1][1].replace(",", "")) == res.nfev
    assert f"{res.probability:.6g}" in messages[-1]


@pytest.mark.slow
def test_failure_probability_shows_the_lowest_g(caplog):
    import scipy.stats as sst

    caplog.set_level(logging.INFO, logger="ceopt")
    g = lambda X: X[:, 0] - X[:, 1]  # noqa: E731
    res = ceopt.estimate_failure_probability(g, [sst.lognorm(0.1, scale=5.0),
                                                 sst.norm(2.0, 0.5)], seed=0,
                                             final_samples=2000, disp=True)
    messages = lines(caplog)
    assert messages[0].split()[2:4] == ["lowest", "g"]
    lowest = min(float(m.split()[2]) for m in messages if m.split()[0].isdigit())
    assert lowest == pytest.approx(res.g_min, rel=1e-5)


def test_display_is_quiet_at_level_zero(caplog):
    caplog.set_level(logging.INFO, logger="ceopt")
    ceopt.minimize(sphere, np.zeros(2), vectorized=True, seed=0, max_iter=5)
    assert lines(caplog) == []
    assert Display(1).bar is None  # no budget, no bar


class Broken(Exception):
    pass


def failing_after(n_ok: int):
    calls = [0]

    def fun(X):
        calls[0] += 1
        if calls[0] > n_ok:
            raise Broken("the simulator crashed")
        return sphere(X)
    return fun


def test_an_exception_carries_the_run_so_far(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Broken) as info:
        ceopt.minimize(failing_after(6), np.zeros(3), vectorized=True, seed=0,
                       checkpoint=path)
    kept = info.value.ceopt_result
    full = ceopt.minimize(sphere, np.zeros(3), vectorized=True, seed=0, max_iter=6)
    assert kept.nit == 6 and kept.fun == full.fun and np.array_equal(kept.x, full.x)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    if notes:  # Python >= 3.11
        assert "exc.ceopt_result" in notes and "ceopt.resume" in notes
    # and the checkpoint goes on from there, as an uninterrupted run would
    rest = ceopt.resume(path, sphere, max_iter=20)
    assert rest.fun == ceopt.minimize(sphere, np.zeros(3), vectorized=True, seed=0,
                                      max_iter=20).fun


def test_an_interrupt_carries_the_run_so_far():
    def fun(X):
        if fun.calls == 4:
            raise KeyboardInterrupt
        fun.calls += 1
        return sphere(X)
    fun.calls = 0
    with pytest.raises(KeyboardInterrupt) as info:
        ceopt.minimize(fun, np.zeros(2), vectorized=True, seed=0)
    assert info.value.ceopt_result.nit == 4


def test_an_exception_before_any_population_carries_nothing():
    with pytest.raises(Broken) as info:
        ceopt.minimize(failing_after(0), np.zeros(2), vectorized=True, seed=0)
    assert not hasattr(info.value, "ceopt_result")
