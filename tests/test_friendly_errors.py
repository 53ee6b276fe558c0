"""Errors that say what to do, and a NaN that never loses a run's answer: one test (or a few)
per reported case, each reproduced first."""

import json
import math
import os
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from problems import nan_right, raises_right, sphere_point
from scipy.optimize import Bounds

import ceopt
from ceopt import checkpoint as ckpt
from ceopt.evaluation import Evaluator
from ceopt.handlers import Box
from ceopt.options import check_options

X = np.array([[0.5, 0.0], [2.0, 1.0], [-0.5, 0.5], [3.0, 0.0], [-2.0, 0.0]])


# -- 1. a population objective passed without vectorized=True ---------------------------------
@pytest.mark.parametrize("fun, error", [
    (lambda X: (X**2).sum(axis=1), np.exceptions.AxisError),
    (lambda X: X[:, 0] ** 2, IndexError),
])
def test_a_population_objective_called_per_point_keeps_its_error_and_gets_the_hint(fun, error):
    with pytest.raises(error) as info:
        ceopt.minimize(fun, np.ones(3), max_iter=3, seed=0)
    assert info.value.ceopt_x.shape == (3,)  # the user's own exception, with the point
    assert "if fun takes the whole population (n, dim), pass vectorized=True" in str(
        info.value.__notes__)
    with pytest.raises(ValueError, match=r"got shape \(3,\) .*pass vectorized=True"):
        ceopt.minimize(lambda X: X**2, np.ones(3), max_iter=3, seed=0)


def test_an_index_error_after_values_came_back_gets_no_hint():
    def breaks_late(x):  # a genuine bug on one side, not a population objective
        if x[0] > 1:
            return [1.0][3]
        return float(x @ x)

    with pytest.raises(IndexError) as info:
        Evaluator(breaks_late)(X)
    assert not any("vectorized" in note for note in info.value.__notes__)
    ev = Evaluator(lambda x: x[:, 0], on_error="worst")
    ev(X[:2])
    assert ev.messages[0].endswith("pass vectorized=True)")


# -- 2. scipy's keyword names --------------------------------------------------------------------
@pytest.mark.parametrize("given, meant", [("maxiter", "max_iter"), ("maxfev", "max_evals"),
                                          ("maxfun", "max_evals"), ("seeds", "seed="),
                                          ("popsise", "popsize=")])
def test_an_unknown_keyword_names_the_class_called_and_the_name_meant(given, meant):
    with pytest.raises(TypeError, match="CrossEntropy\\(\\) got an unexpected keyword "
                                        f"argument '{given}'.*{meant}"):
        ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(2), 1.0), **{given: 10})


@pytest.mark.parametrize("given, meant", [("maxiter", "scipy's maxiter is max_iter"),
                                          ("xo", "did you mean x0=?"),
                                          ("worker", "did you mean workers=?"),
                                          ("frobnicate", r"help\(ceopt.minimize\)")])
def test_check_options_names_minimize_and_its_arguments(given, meant):
    with pytest.raises(TypeError, match=f"minimize\\(\\) got .* '{given}'.*{meant}"):
        check_options({given: 1}, "minimize", ceopt.minimize, ceopt.CrossEntropy)
    check_options({"popsize": 10, "maximize": True, "seed": 0}, "minimize", ceopt.minimize,
                  ceopt.CrossEntropy)  # what minimize passes on is all known


@pytest.mark.parametrize("entry_point", [ceopt.minimize, ceopt.maximize])
def test_minimize_and_maximize_name_themselves_for_an_unknown_keyword(entry_point):
    with pytest.raises(TypeError, match=f"^{entry_point.__name__}\\(\\) got an unexpected "
                                        "keyword argument 'maxiter'"):
        entry_point(sphere_point, np.ones(2), maxiter=5)


# -- 3. a per-point score in estimate_rare_event (vectorized=True by default) -----------------
def test_a_per_point_score_hears_of_vectorized_false():
    with pytest.raises(ValueError, match=r"got \(\).*pass vectorized=False"):
        ceopt.estimate_rare_event(lambda x: x.sum(), ceopt.DiagGaussian(np.zeros(2), 1.0), 3.0,
                                  seed=0)


# -- 4. a checkpoint that cannot be written fails before any evaluation ------------------------
def test_a_checkpoint_that_cannot_be_written_is_refused_before_an_evaluation(tmp_path,
                                                                             monkeypatch):
    calls = []

    def counted(x):
        calls.append(1)
        return sphere_point(x)

    with pytest.raises(FileNotFoundError, match="folder .*missing' does not exist"):
        ceopt.minimize(counted, np.ones(2), checkpoint=tmp_path / "missing" / "run.ckpt")
    assert not calls
    # What driver.check_path is to call too (tests run as root, so no chmod: a refusal).
    with pytest.raises(FileNotFoundError, match="'~' is not expanded"):
        ckpt.check_target("~/no-such-folder-for-ceopt/run.ckpt")
    with pytest.raises(IsADirectoryError, match="is a folder: name a file in it"):
        ckpt.check_target(tmp_path)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    ckpt.check_target(tmp_path / "run.ckpt")
    assert os.listdir(tmp_path) == ["missing"] or not os.listdir(tmp_path)  # no leftover
    monkeypatch.setattr(ckpt.tempfile, "mkstemp", read_only)
    with pytest.raises(PermissionError, match="cannot write the checkpoint .*run.ckpt"):
        ckpt.check_target(tmp_path / "run.ckpt")


# -- 5. values that are not numbers --------------------------------------------------------------
@pytest.mark.parametrize("returned", ["1.0", True, np.bool_(False), None, 1j, [None]])
def test_a_per_point_objective_returning_no_number_is_a_type_error(returned):
    with pytest.raises(TypeError, match="x = \\[0.5 0. \\]") as info:
        Evaluator(lambda x: returned)(X)
    assert repr(returned)[:5] in str(info.value) or returned is None


@pytest.mark.parametrize("returned, row", [(np.array(["1.0"] * 5), 0),
                                           (np.arange(5) > 2, 0),
                                           ([0.0, 1.0, None, 2.0, 3.0], 2)])
def test_a_vectorized_objective_returning_no_numbers_is_a_type_error(returned, row):
    with pytest.raises(TypeError, match=f"at row {row}, x = "):
        Evaluator(lambda X: returned, vectorized=True, on_error="worst")(X)


@given(st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6)),
       st.sampled_from([float, int, np.float32, np.float64, np.int64, np.array,
                        lambda v: np.array([v])]))
def test_numbers_of_every_usual_type_stay_fine(value, kind):
    v = kind(value)
    expected = np.asarray(v, dtype=np.float64).item(0)
    assert Evaluator(lambda x: v)(X[:1])[0] == expected
    column = np.full(len(X), v, dtype=np.asarray(v).dtype)
    assert Evaluator(lambda X: column, vectorized=True)(X)[0] == expected


# -- 6. which coordinate of x0 is outside --------------------------------------------------------
def test_x0_outside_the_bounds_names_the_coordinates():
    x0 = np.array([0.5, 3.0, 0.2, -4.0, 7.0, 9.0])
    with pytest.raises(ValueError, match=r"in 4 of its 6 coordinates: x0\[1\] = 3 not in "
                                         r"\[0, 1\], x0\[3\] = -4 not in \[0, 1\], x0\[4\] "
                                         r"= 7 not in \[0, 1\] and 1 more$"):
        ceopt.minimize(sphere_point, x0, bounds=[(0, 1)] * 6)


# -- 7. scipy's (lb, ub) -------------------------------------------------------------------------
def test_bounds_as_lb_ub_arrays_mean_what_scipy_bounds_mean():
    lb, ub = np.array([0.0, -1.0, 2.0]), np.array([1.0, 1.0, 5.0])
    for pair in [(lb, ub), [lb.tolist(), ub.tolist()], np.stack([lb, ub])]:
        box = Box.parse(pair, 3)
        assert np.array_equal(box.low, lb) and np.array_equal(box.high, ub)
    assert np.array_equal(Box.parse((0, 1), 3).high, np.ones(3))  # scalars, for every one
    assert np.array_equal(Box.parse(([0, None, 0], [1, 1, None]), 3).low, [0, -np.inf, 0])
    # Two pairs of two: pairs, as scipy's minimize reads them (docs in Box.parse).
    box = Box.parse([(0, 1), (2, 3)], 2)
    assert np.array_equal(box.low, [0, 2]) and np.array_equal(box.high, [1, 3])
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        Box.parse(([0, 0, 0], [1, 1]))
    res = ceopt.minimize(lambda x: float(((x - 3) ** 2).sum()), bounds=(lb, ub), seed=0,
                         max_iter=60)
    same = ceopt.minimize(lambda x: float(((x - 3) ** 2).sum()), bounds=Bounds(lb, ub),
                          seed=0, max_iter=60)
    assert np.array_equal(res.x, same.x) and np.allclose(res.x, [1, 1, 3], atol=1e-6)


# -- 8. NaN never loses the answer ---------------------------------------------------------------
KEANE_MIN = -0.6736675211468548  # scipy's benchmark function Keane on [0, 10]^2


class Keane:
    """Keane's bump, 0/0 = NaN at the corner (0, 0); remembers the best value seen before
    the first NaN."""

    def __init__(self):
        self.best, self.best_before_nan = math.inf, None

    def __call__(self, x):
        with np.errstate(invalid="ignore"):
            v = -(np.sin(x[0] - x[1]) ** 2 * np.sin(x[0] + x[1]) ** 2) / np.hypot(x[0], x[1])
        if np.isnan(v) and self.best_before_nan is None:
            self.best_before_nan = self.best
        self.best = self.best if np.isnan(v) else min(self.best, v)
        return v


def test_a_run_that_found_the_optimum_then_hits_nan_keeps_it_and_warns_once():
    keane = Keane()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ceopt.minimize(keane, bounds=[(0, 10)] * 2, seed=4, max_evals=3000)
    assert keane.best_before_nan < -0.6736  # the optimum was found before the first NaN
    assert res.fun == pytest.approx(KEANE_MIN, rel=1e-12)
    assert res.nfail > 1 and res.failures[0].startswith("returned nan at x = [0. 0.]")
    ours = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(ours) == 1 and "on_nan='raise'" in str(ours[0].message)
    with pytest.raises(ValueError, match="returned nan at x = .*on_nan='raise'"):
        Evaluator(Keane(), on_nan="raise")(np.array([[1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize("on_error, on_nan, resolved", [
    ("raise", None, "worst"), ("worst", None, "worst"), ("retry", None, "retry"),
    ("raise", "raise", "raise"), ("worst", "retry", "retry")])
def test_on_nan_follows_on_error_unless_that_raises(on_error, on_nan, resolved):
    assert Evaluator(sphere_point, on_error=on_error, on_nan=on_nan).on_nan == resolved


def test_exceptions_and_non_finite_values_each_follow_their_own_policy():
    with pytest.raises(ValueError, match="diverged"):  # an exception still raises
        Evaluator(raises_right, on_nan="worst")(X)
    with pytest.raises(ValueError, match="on_nan='raise'"):
        Evaluator(nan_right, on_error="worst", on_nan="raise")(X)
    ev = Evaluator(nan_right, on_error="raise", on_nan="retry", retries=2)
    assert np.array_equal(ev(X), [0.25, np.inf, 0.5, np.inf, np.inf])
    assert ev.n_retried == 6 and ev.n_failed == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a policy asked for warns of nothing
        Evaluator(nan_right, on_nan="worst")(X)
    with pytest.raises(ValueError, match="on_nan must be None .* got 'ignore'"):
        Evaluator(sphere_point, on_nan="ignore")


def nan_far_right(X):
    """A paraboloid about (3, 3), NaN where x[0] > 2.5: reached some iterations in."""
    v = ((X - 3.0) ** 2).sum(axis=1)
    v[X[:, 0] > 2.5] = np.nan
    return v


def _without_on_nan(path):
    """The checkpoint at ``path`` as ceopt wrote it before on_nan existed."""
    with zipfile.ZipFile(path) as zf:
        members = {info: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members.items():
            if info.filename == ckpt.MEMBER:
                document = json.loads(data)
                del document["state"]["evaluation"]["on_nan"]
                data = json.dumps(document).encode()
            zf.writestr(info, data)


@pytest.mark.slow
def test_a_checkpoint_from_before_on_nan_resumes_with_its_old_meaning(tmp_path):
    run = dict(x0=np.zeros(2), sigma0=0.3, vectorized=True, seed=3, max_iter=4)
    old, new = tmp_path / "old.ckpt", tmp_path / "new.ckpt"
    for path in (old, new):
        ceopt.minimize(nan_far_right, checkpoint=path, **run)  # no NaN in 4 iterations
    _without_on_nan(old)
    assert ckpt.load(old)["evaluation"]["on_nan"] == "raise"  # on_error's, as it was
    assert ckpt.load(new)["evaluation"]["on_nan"] is None  # the default, kept as given
    with pytest.raises(ValueError, match="returned nan at x = .*on_nan='raise'"):
        ceopt.resume(old, nan_far_right, max_iter=200)
    with pytest.warns(RuntimeWarning, match="on_nan's default"):
        res = ceopt.resume(new, nan_far_right, max_iter=200)
    assert res.nfail > 0 and res.x[0] <= 2.5
