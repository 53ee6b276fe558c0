"""ceopt.plot draws what a result holds; the history's "search" column places the restarts."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from problems import sphere
from scipy.optimize import OptimizeResult

import ceopt
from ceopt.history import UNKNOWN_SEARCH, History
from ceopt.plotting import plot, restarts_at

matplotlib = pytest.importorskip("matplotlib", reason="needs matplotlib (pip install '.[plot]')")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rastrigin(X):
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2 * np.pi * X)).sum(axis=1)


# Not separable=True: the coordinate sweep would solve Rastrigin outright, before any restart.
RESTARTING = dict(bounds=[(-5.12, 5.12)] * 3, vectorized=True, max_evals=4000, seed=0,
                  separable=False)


@pytest.fixture(scope="module")
def restarted():
    res = ceopt.minimize(rastrigin, **RESTARTING)
    assert res.nrestarts >= 2  # what the tests below need
    return res


def lines(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def made_result(best, gamma, search=None, **fields):
    """An OptimizeResult with the history given (the rest filled in)."""
    n = len(best)
    history = {"nfev": 10.0 * np.arange(1, n + 1), "gamma": np.asarray(gamma, dtype=float),
               "best": np.asarray(best, dtype=float), "mean": np.zeros(n),
               "spread": np.geomspace(1, 1e-3, n), "feasible": np.ones(n)}
    if search is not None:
        history["search"] = np.asarray(search)
    return OptimizeResult(history=history, **fields)


# -- the history's search column -------------------------------------------------------------
def test_the_search_column_counts_the_restarts_made_before_each_iteration(restarted):
    search = restarted.history["search"]
    assert search[0] == 0 and search[-1] == restarted.nrestarts
    assert set(np.diff(search)) <= {0, 1}
    # A restart starts from the initial distribution: the spread jumps up exactly there.
    jumps = np.flatnonzero(np.diff(search)) + 1
    assert np.all(restarted.history["spread"][jumps] > 100 * restarted.history["spread"][jumps - 1])


def test_a_run_without_restarts_is_in_its_first_search_throughout():
    res = ceopt.minimize(sphere, np.ones(3), vectorized=True, seed=1, max_iter=20)
    assert res.nrestarts == 0 and np.array_equal(res.history["search"], np.zeros(res.nit))


@pytest.mark.slow
def test_the_search_column_survives_a_checkpoint_and_resume(tmp_path):
    full = ceopt.minimize(rastrigin, **RESTARTING, max_iter=10**6)
    path = tmp_path / "run.ckpt"
    first = ceopt.minimize(rastrigin, **RESTARTING, max_iter=full.nit // 2, checkpoint=path,
                           checkpoint_every=10**6)  # only at the end
    assert 0 < first.nrestarts < full.nrestarts  # the checkpoint falls between restarts
    rest = ceopt.resume(path, rastrigin, max_iter=10**6, checkpoint_every=10**6)
    assert rest.nrestarts == full.nrestarts
    for key in full.history:
        assert np.array_equal(rest.history[key], full.history[key], equal_nan=True), key


def test_an_older_state_without_the_search_column_still_loads():
    history = History()
    for i in range(4):
        history.append(8 * (i + 1), 1.0, 1.0, 1.0, 0.5, search=i // 2)
    old = {name: column for name, column in history.state().items() if name != "search"}
    # A run that had not restarted was in its first search throughout; one that had did not
    # say where, so its iterations are not placed (and no restart is drawn among them).
    assert np.array_equal(History.from_state(old, 0).columns()["search"], np.zeros(4))
    unknown = History.from_state(old, 1).columns()
    assert np.array_equal(unknown["search"], np.full(4, UNKNOWN_SEARCH))
    assert restarts_at(unknown).size == 0
    assert np.array_equal(History.from_state(history.state(), 1).columns()["search"],
                          [0, 0, 1, 1])


def test_a_resumed_older_run_records_its_search_from_then_on(tmp_path):
    es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(2), 1.0), seed=2, restarts=3,
                            tol_spread=0.3)
    while es.nrestarts == 0:
        es.tell(X := es.ask(), sphere(X))
    state = es.state()
    del state["history"]["search"]
    again = ceopt.CrossEntropy.from_state(state)
    while again.nrestarts < 2:
        again.tell(X := again.ask(), sphere(X))
    search = again.result().history["search"]
    assert np.all(search[:es.nit] == UNKNOWN_SEARCH)
    assert search[es.nit] == 1 and search[-1] == 2 and restarts_at(again.result().history).size == 1


# -- an optimisation's plot ---------------------------------------------------------------------
def test_the_plot_draws_the_history_against_evaluations_with_a_line_per_restart(restarted):
    fig = plot(restarted, fig=Figure())
    values, spread = fig.axes
    nfev = restarted.history["nfev"]
    for ax, gid in [(values, "best"), (values, "gamma"), (spread, "spread")]:
        (line,) = lines(ax, gid)
        assert np.array_equal(line.get_xdata(), nfev)
        assert np.array_equal(line.get_ydata(), restarted.history[gid], equal_nan=True)
    for ax in (values, spread):
        drawn = [line.get_xdata()[0] for line in lines(ax, "restart")]
        assert len(drawn) == restarted.nrestarts
        # at the last iteration of each search that ended
        ends = np.flatnonzero(np.diff(restarted.history["search"]))
        assert np.array_equal(drawn, nfev[ends])
    assert values.get_yscale() == "log" and spread.get_yscale() == "log"
    assert "log scale" in values.get_ylabel()
    assert f"{restarted.nrestarts} restarts" in fig._suptitle.get_text()


def test_a_maximisation_is_drawn_in_the_users_sign():
    res = ceopt.maximize(lambda X: -sphere(X) - 1.0, np.ones(2), vectorized=True, seed=0,
                         max_iter=15)
    fig = plot(res, fig=Figure())
    (best,) = lines(fig.axes[0], "best")
    assert np.all(best.get_ydata() <= -1.0)  # the values as the user's function gives them
    assert np.all(np.diff(best.get_ydata()) >= 0)  # best so far of a maximisation: it rises
    assert fig.axes[0].get_yscale() == "symlog" and "symlog" in fig.axes[0].get_ylabel()


@pytest.mark.slow
def test_saving_writes_the_format_the_suffix_names(tmp_path):
    res = made_result([3.0, 2.0, 1.0], [4.0, 3.0, 2.0], [0, 1, 1])
    fig = plot(res, tmp_path / "run.png", title="my run")
    assert (tmp_path / "run.png").read_bytes().startswith(PNG_MAGIC)
    assert fig._suptitle.get_text() == "my run"
    plot(res, str(tmp_path / "run.svg"))
    assert b"<svg" in (tmp_path / "run.svg").read_bytes()[:1000]


@pytest.mark.slow
def test_without_a_path_the_figure_is_pyplots_and_with_one_it_is_not(tmp_path, restarted):
    import matplotlib.pyplot as plt

    shown = plot(restarted)
    try:
        assert plt.fignum_exists(shown.number)
        before = plt.get_fignums()
        plot(restarted, tmp_path / "run.png")
        assert plt.get_fignums() == before
    finally:
        plt.close(shown)


def test_a_subfigure_is_drawn_in_and_its_figure_returned(restarted):
    fig = Figure()
    left, right = fig.subfigures(1, 2)
    assert plot(restarted, fig=right, title="") is fig
    assert len(right.axes) == 2 and not left.axes and right._suptitle is None


def test_a_constrained_run_gets_a_feasible_fraction_panel():
    res = made_result([3.0, 2.0, 1.0], [4.0, 3.0, 2.0])
    res.history["feasible"] = np.array([0.25, 0.5, 1.0])
    fig = plot(res, fig=Figure())
    assert len(fig.axes) == 3
    assert np.array_equal(lines(fig.axes[2], "feasible")[0].get_ydata(), [0.25, 0.5, 1.0])


def test_restarts_the_history_does_not_place_are_said_in_the_title():
    fig = plot(made_result([3.0, 2.0], [4.0, 3.0], nrestarts=2), fig=Figure())
    assert not lines(fig.axes[0], "restart")
    assert "2 not marked" in fig._suptitle.get_text()


@settings(max_examples=25)
@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True, width=32),
                          st.floats(allow_nan=True, allow_infinity=False, width=32),
                          st.booleans()), min_size=1, max_size=30))
@pytest.mark.slow
def test_any_history_is_drawn_with_its_evaluations_restarts_and_an_honest_scale(rows):
    best, gamma, restart = (np.array(column) for column in zip(*rows, strict=True))
    search = np.cumsum(restart) - restart[0]
    fig = plot(made_result(best, gamma, search), fig=Figure())
    values = fig.axes[0]
    assert np.array_equal(lines(values, "best")[0].get_xdata(), 10.0 * np.arange(1, len(rows) + 1))
    assert len(lines(values, "restart")) == len(lines(fig.axes[1], "restart")) == search[-1]
    finite = np.concatenate([best, gamma])
    finite = finite[np.isfinite(finite)]
    if finite.size and np.all(finite > 0):
        assert values.get_yscale() == "log"
    elif np.any(finite != 0):  # a value <= 0 has no logarithm: symlog, linear about 0
        assert values.get_yscale() == "symlog"
        assert np.abs(finite[finite != 0]).min() == values.yaxis.get_transform().linthresh
    else:
        assert values.get_yscale() == "linear"


# -- policy search -----------------------------------------------------------------------------
@pytest.mark.gym
def test_a_policy_searchs_learning_curve_is_drawn_as_returns():
    from ceopt.rl import policy_search

    res = policy_search("CartPole-v1", seed=0, progress=False, max_iter=2, popsize=20,
                        eval_episodes=5)
    fig = plot(res, fig=Figure())
    for gid in ("best", "mean", "gamma", "policy_return"):
        (line,) = lines(fig.axes[0], gid)
        assert np.array_equal(line.get_xdata(), res.history["nfev"])
        assert np.array_equal(line.get_ydata(), res.history[gid])
    assert fig.axes[0].get_ylabel() == "episode return" and fig.axes[0].get_yscale() == "linear"
    assert "CartPole-v1" in fig._suptitle.get_text()


# -- a rare-event estimate ----------------------------------------------------------------------
def test_a_rare_event_estimate_draws_its_levels_and_the_estimate_with_its_error_bar(tmp_path):
    res = ceopt.estimate_rare_event(lambda X: X.sum(axis=1), ceopt.DiagGaussian(np.zeros(2), 1.0),
                                    level=5.0, n_samples=1000, final_samples=5000, seed=0)
    fig = plot(res, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes().startswith(PNG_MAGIC)
    ax_level, ax_ess, ax_estimate = fig.axes
    (levels,) = lines(ax_level, "levels")
    assert np.array_equal(levels.get_ydata(), res.levels)
    assert np.array_equal(levels.get_xdata(), np.arange(1, res.n_iter + 1))
    (target,) = lines(ax_level, "target")
    assert target.get_ydata()[0] == 5.0  # levels rise: multilevel, and it reached the level
    assert np.array_equal(lines(ax_ess, "level_ess")[0].get_ydata(), res.level_ess)
    assert lines(ax_estimate, "estimate")[0].get_ydata()[0] == res.probability
    low, high = ax_estimate.collections[0].get_segments()[0][:, 1]  # the error bar
    assert high == pytest.approx(res.probability + 2 * res.std_error)
    assert low == pytest.approx(max(res.probability - 2 * res.std_error, 0))
    assert f"P = {res.probability:.3g}" in fig._suptitle.get_text()


def test_an_estimate_of_zero_and_a_failure_result_are_drawn_without_error():
    nothing = ceopt.FailureResult(probability=0.0, std_error=np.nan, rel_error=np.inf,
                                  levels=np.array([]), proposal=None, n_iter=0, nfev=1000,
                                  ess=0.0, level_ess=np.array([]), converged=True,
                                  message="", log_probability=-np.inf)
    fig = plot(nothing, fig=Figure())
    texts = " ".join(text.get_text() for ax in fig.axes for text in ax.texts)
    assert "no final sample" in texts and "no adaptive stage" in texts


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, error, match", [
    (3, TypeError, "result must be the result of ceopt.minimize"),
    (OptimizeResult(x=np.zeros(2), fun=0.0), TypeError, "without a history"),
    (made_result([], []), ValueError, "history is empty"),
    (OptimizeResult(history={"nfev": np.arange(3)}), ValueError, "lacks best, gamma"),
])
def test_what_is_not_a_result_with_a_history_is_a_clear_error(bad, error, match):
    with pytest.raises(error, match=match):
        plot(bad, fig=Figure())


def test_the_solver_itself_is_pointed_to_its_result():
    es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(2), 1.0), seed=0)
    with pytest.raises(TypeError, match=r"solver.result\(\)"):
        plot(es)


def test_bad_paths_figures_and_titles_are_clear_errors(tmp_path, restarted):
    with pytest.raises(ValueError, match="path .* must end in a format .*png"):
        plot(restarted, tmp_path / "run.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot(restarted, tmp_path / "no" / "run.png")
    with pytest.raises(TypeError, match="path must be a file name"):
        plot(restarted, 3)
    used = Figure()
    used.add_subplot()
    with pytest.raises(ValueError, match="fig must be empty"):
        plot(restarted, fig=used)
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        plot(restarted, fig="figure")
    with pytest.raises(TypeError, match="title must be a str"):
        plot(restarted, fig=Figure(), title=1)


@pytest.mark.slow
def test_importing_ceopt_needs_no_matplotlib_and_plot_says_how_to_get_it():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import ceopt, ceopt.plotting\n"
            "from scipy.optimize import OptimizeResult\n"
            "try:\n"
            "    ceopt.plotting.plot(OptimizeResult())\n"
            "except ImportError as exc:\n"
            "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "pip install matplotlib" in out and ".[plot]" in out
