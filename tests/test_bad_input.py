"""Random bad input to the public entry points: a ValueError or TypeError naming the argument.

Each example takes valid arguments and spoils one of them; the error must come from ceopt's
checks (its message names the argument), never from deep inside numpy or as garbage results.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from problems import sphere_point

import ceopt
from ceopt import Bernoulli, Categorical, DiagGaussian, Exponential, Gaussian

DIM = 3
nonfinite = st.sampled_from([np.nan, np.inf, -np.inf])
not_numbers = st.sampled_from(["abc", ["a", 1.0, 2.0], {"x": 1}, object(), b"xyz", [1j, 0, 0]])


@st.composite
def with_nonfinite(draw, shape=(DIM,)):
    """A float array of ``shape`` with at least one NaN or infinity in it."""
    a = draw(arrays(np.float64, shape, elements=st.floats(-5, 5)))
    a.flat[draw(st.integers(0, a.size - 1))] = draw(nonfinite)
    return a


wrong_shape = arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4),
                     elements=st.floats(-1, 1)).filter(lambda a: a.shape != (DIM,))
fractional = st.floats(0.5, 9.5).filter(lambda v: not float(v).is_integer())


@st.composite
def inverted_bounds(draw):
    """Bounds with low >= high on at least one coordinate."""
    low = draw(arrays(np.float64, DIM, elements=st.floats(-10, 10)))
    high = low + draw(arrays(np.float64, DIM, elements=st.floats(0.1, 5)))
    j = draw(st.integers(0, DIM - 1))
    high[j] = low[j] - draw(st.floats(0, 5))
    return list(zip(low, high, strict=True))


# argument -> values that must be refused, for minimize(sphere_point, x0=zeros(3), ...)
BAD = {
    "x0": st.one_of(with_nonfinite(), wrong_shape.filter(lambda a: a.ndim != 1 or a.size == 0),
                    not_numbers),
    "sigma0": st.one_of(st.floats(max_value=0), nonfinite, not_numbers,
                        arrays(np.float64, DIM, elements=st.floats(-5, 0)),
                        wrong_shape.filter(lambda a: a.ndim > 1 or a.size not in (1, DIM))
                        .map(np.abs).map(lambda a: a + 1)),
    "bounds": st.one_of(inverted_bounds(),
                        with_nonfinite((DIM, 2)).filter(lambda a: np.isnan(a).any())
                        .map(lambda a: a.tolist()),
                        st.just([]), st.integers(), st.just([(0, 1, 2)] * DIM),
                        st.just([(-1.0, 1.0)] * (DIM + 1)), st.just([(np.inf, np.inf)] * DIM)),
    "popsize": st.one_of(st.integers(max_value=1), fractional, nonfinite, not_numbers,
                         st.just(True)),
    "elite_frac": st.one_of(st.floats(max_value=0), st.floats(min_value=1), nonfinite,
                            not_numbers),
    "smoothing": st.one_of(st.floats(max_value=0), st.floats(min_value=1.0001), nonfinite,
                           not_numbers),
    "max_evals": st.one_of(st.integers(max_value=0), nonfinite, not_numbers),
    "max_iter": st.one_of(st.integers(max_value=0), nonfinite, not_numbers),
    "seed": st.one_of(st.integers(max_value=-1), fractional, not_numbers),
    "workers": st.one_of(st.integers(max_value=-2), st.just(0), fractional, st.text()),
    "on_error": st.text().filter(lambda s: s not in ("raise", "worst", "retry")),
    "retries": st.one_of(st.integers(max_value=-1), fractional),
    "chunksize": st.one_of(st.integers(max_value=0), fractional),
    "checkpoint_every": st.one_of(st.integers(max_value=0), fractional),
    "timeout": st.one_of(st.floats(max_value=0), nonfinite, not_numbers),
    "restarts": st.one_of(st.integers(max_value=-1), fractional, nonfinite, not_numbers),
    "method": st.one_of(st.text().filter(lambda s: s not in ("adaptive", "ce", "textbook")),
                        st.integers(), st.just(np.zeros(2))),
    "weights": st.one_of(st.text().filter(lambda s: s not in ("rank", "equal")),
                         st.just(np.ones(3)), st.floats()),
    "scale_control": st.one_of(st.integers(), st.text().filter(
        lambda s: s not in ("success", "path")), nonfinite),
    "local_start": st.one_of(st.text().filter(
        lambda s: s.lower() not in ("nelder-mead", "l-bfgs-b", "cobyqa")), st.integers(),
        st.floats()),
}


@given(st.sampled_from(sorted(BAD)).flatmap(lambda name: st.tuples(st.just(name), BAD[name])),
       st.sampled_from([ceopt.minimize, ceopt.maximize]))
def test_minimize_and_maximize_name_the_bad_argument(case, entry_point):
    name, value = case
    kwargs = dict(x0=np.zeros(DIM), max_iter=2, seed=0)
    kwargs[name] = value
    with pytest.raises((ValueError, TypeError)) as info:
        entry_point(sphere_point, **kwargs)
    message = str(info.value)
    assert name in message or (name == "bounds" and "x0" in message), message



def test_a_method_that_is_no_name_is_refused_by_name_before_any_default_reads_it():
    # improve= picks its defaults by the method: an array there once reached numpy's
    # "truth value of an array is ambiguous" first.
    with pytest.raises(ValueError, match="method must be one of"):
        ceopt.minimize(lambda X: X.sum(axis=1), dist=ceopt.Permutation(6), vectorized=True,
                       improve=True, method=np.zeros(2), max_iter=2)

DISTRIBUTIONS = {
    "mean": (lambda v: DiagGaussian(v, 1.0),
             st.one_of(with_nonfinite(), not_numbers, st.just([]), st.just([[1.0, 2.0]]))),
    "std": (lambda v: DiagGaussian(np.zeros(DIM), v),
            st.one_of(st.floats(max_value=0), nonfinite, not_numbers,
                      arrays(np.float64, DIM, elements=st.floats(-3, 0)))),
    "cov": (lambda v: Gaussian(np.zeros(DIM), v),
            st.one_of(with_nonfinite((DIM, DIM)), not_numbers, st.just(np.eye(DIM + 1)),
                      st.just(-np.eye(DIM)), st.just(np.eye(DIM) + np.triu(np.ones((DIM, DIM)),
                                                                            1)))),
    "p": (Bernoulli, st.one_of(with_nonfinite(), not_numbers,
                               arrays(np.float64, DIM, elements=st.floats(1.01, 5)))),
    "probs": (Categorical, st.one_of(with_nonfinite((2, DIM)), not_numbers,
                                     arrays(np.float64, (2, DIM), elements=st.floats(-3, -0.1)))),
    "mean ": (Exponential, st.one_of(with_nonfinite(), not_numbers,
                                     arrays(np.float64, DIM, elements=st.floats(-5, -0.01)))),
}


@given(st.sampled_from(sorted(DISTRIBUTIONS)).flatmap(
    lambda name: st.tuples(st.just(name), DISTRIBUTIONS[name][1])))
def test_distributions_name_the_bad_parameter(case):
    name, value = case
    make, _ = DISTRIBUTIONS[name]
    with pytest.raises((ValueError, TypeError)) as info:
        make(value)
    assert name.strip() in str(info.value), str(info.value)


RARE = {
    "level": st.one_of(nonfinite, not_numbers),
    "n_samples": st.one_of(st.integers(max_value=1), fractional),
    "elite_frac": st.one_of(st.floats(max_value=0), st.floats(min_value=1), nonfinite),
    "final_samples": st.one_of(st.integers(max_value=1), not_numbers),
    "max_iter": st.one_of(st.integers(max_value=0), not_numbers),
    "proposal": st.sampled_from([Bernoulli(np.full(DIM, 0.5)), DiagGaussian(np.zeros(DIM + 1),
                                                                            1.0)]),
    "on_error": st.text().filter(lambda s: s not in ("raise", "worst", "retry")),
}


@given(st.sampled_from(sorted(RARE)).flatmap(lambda name: st.tuples(st.just(name), RARE[name])))
def test_estimate_rare_event_names_the_bad_argument(case):
    name, value = case
    kwargs = dict(level=3.0, n_samples=500, final_samples=500, seed=0)
    kwargs[name] = value
    with pytest.raises((ValueError, TypeError)) as info:
        ceopt.estimate_rare_event(lambda X: X.sum(axis=1), DiagGaussian(np.zeros(DIM), 1.0),
                                  **kwargs)
    message = str(info.value)
    assert name in message or (name == "proposal" and "nominal" in message), message


TELL = {  # (a single point, shape (DIM,), is a population of one: a values error, below)
    "X": st.one_of(wrong_shape.filter(lambda a: a.ndim != 1 and not (a.ndim == 2 and
                                                                        a.shape[1] == DIM)),
                   not_numbers, st.just(np.zeros((10, DIM + 1))),
                   st.just(np.full((10, DIM), np.inf)), st.just(np.full((10, DIM), np.nan))),
    "values": st.one_of(not_numbers, st.just(np.full(10, np.nan)),
                        arrays(np.float64, array_shapes(max_dims=2, max_side=12),
                               elements=st.floats(-1, 1)).filter(lambda a: a.shape != (10,))),
}


@given(st.sampled_from(sorted(TELL)).flatmap(lambda name: st.tuples(st.just(name), TELL[name])))
def test_tell_names_the_bad_argument(case):
    name, value = case
    es = ceopt.CrossEntropy(DiagGaussian(np.zeros(DIM), 1.0), popsize=10, n_elite=2, seed=0)
    X = es.ask()
    with pytest.raises((ValueError, TypeError)) as info:
        es.tell(value, np.zeros(10)) if name == "X" else es.tell(X, value)
    assert name in str(info.value), str(info.value)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint to resume from, written once: a refused resume leaves it as it was."""
    path = tmp_path_factory.mktemp("resume") / "run.ckpt"
    ceopt.minimize(sphere_point, np.zeros(DIM), max_iter=2, seed=0, checkpoint=path)
    return path


@given(st.sampled_from(["max_iter", "max_evals", "checkpoint_every", "chunksize"]).flatmap(
    lambda name: st.tuples(st.just(name), BAD[name])))
def test_resume_names_the_bad_argument(checkpoint, case):
    name, value = case
    with pytest.raises((ValueError, TypeError)) as info:
        ceopt.resume(checkpoint, sphere_point, **{name: value})
    assert name in str(info.value), str(info.value)
