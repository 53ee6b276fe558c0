"""Properties every family must have: the fit is the closed-form weighted MLE, log_prob agrees
with scipy.stats, sampling has the declared shape, dtype and support, and is seeded."""

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as hs

from ceopt import Bernoulli, Categorical, DiagGaussian, Exponential, Gaussian

SEEDS = hs.integers(0, 2**32 - 1)


@hs.composite
def gaussians(draw, floor=0.0):
    d = draw(hs.integers(1, 5))
    rng = np.random.default_rng(draw(SEEDS))
    mean = rng.uniform(-5, 5, d)
    a = rng.normal(size=(d, d))
    cov = a @ a.T + 0.5 * np.eye(d)
    return Gaussian(mean, cov, min_std=floor)


@hs.composite
def diag_gaussians(draw, floor=0.0):
    d = draw(hs.integers(1, 6))
    rng = np.random.default_rng(draw(SEEDS))
    return DiagGaussian(rng.uniform(-5, 5, d), rng.uniform(0.1, 3, d), min_std=floor)


@hs.composite
def bernoullis(draw, floor=0.0):
    d = draw(hs.integers(1, 8))
    rng = np.random.default_rng(draw(SEEDS))
    return Bernoulli(rng.uniform(0.05, 0.95, d), min_prob=floor)


@hs.composite
def categoricals(draw, floor=0.0):
    d, k = draw(hs.integers(1, 5)), draw(hs.integers(2, 6))
    rng = np.random.default_rng(draw(SEEDS))
    return Categorical(rng.dirichlet(np.full(k, 2.0), size=d), min_prob=floor)


@hs.composite
def exponentials(draw, floor=0.0):
    d = draw(hs.integers(1, 6))
    rng = np.random.default_rng(draw(SEEDS))
    return Exponential(rng.uniform(0.05, 5, d), min_mean=floor)


FAMILIES = {"gaussian": gaussians, "diag": diag_gaussians, "bernoulli": bernoullis,
            "categorical": categoricals, "exponential": exponentials}


def params(dist):
    """The family's parameters as a tuple of arrays, for comparing two fits."""
    if isinstance(dist, (Gaussian, DiagGaussian)):
        return dist.mean, dist.cov
    if isinstance(dist, Bernoulli):
        return (dist.p,)
    if isinstance(dist, Exponential):
        return (dist.mean,)
    return (dist.probs,)


def assert_same(a, b, rtol=1e-9, atol=1e-11):
    for pa, pb in zip(params(a), params(b), strict=True):
        np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol)


def closed_form_mle(dist, x, w):
    """The textbook weighted MLE of each family, written with numpy/scipy's own estimators."""
    w = w / w.sum()
    if isinstance(dist, Gaussian):
        return np.average(x, axis=0, weights=w), np.atleast_2d(
            np.cov(x, rowvar=False, aweights=w, bias=True))
    if isinstance(dist, DiagGaussian):
        m = np.average(x, axis=0, weights=w)
        return m, np.diag(np.average((x - m) ** 2, axis=0, weights=w))
    if isinstance(dist, Bernoulli | Exponential):
        return (np.average(x, axis=0, weights=w),)
    onehot = x[:, :, None] == np.arange(dist.k)
    return (np.tensordot(w, onehot, axes=1),)


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data())
def test_fit_is_the_closed_form_weighted_mle(family, data):
    dist = data.draw(FAMILIES[family]())
    rng = np.random.default_rng(data.draw(SEEDS))
    n = dist.min_fit_samples + data.draw(hs.integers(0, 40))
    x = dist.sample(n, rng)
    w = rng.uniform(0.1, 2.0, n)
    fitted = dist.fit(x, w)
    expected = closed_form_mle(dist, x, w)
    for got, want in zip(params(fitted), expected, strict=True):
        # The full covariance carries a relative jitter of 1e-10 * trace / dim (documented).
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9 * np.abs(want).max())


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data())
def test_integer_weights_equal_repeated_samples(family, data):
    dist = data.draw(FAMILIES[family]())
    rng = np.random.default_rng(data.draw(SEEDS))
    n = dist.min_fit_samples + 3
    x = dist.sample(n, rng)
    counts = rng.integers(1, 5, n)
    assert_same(dist.fit(x, counts), dist.fit(np.repeat(x, counts, axis=0)))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data(), scale=hs.floats(1e-200, 1e200))
def test_fit_is_invariant_to_scaling_the_weights(family, data, scale):
    dist = data.draw(FAMILIES[family](floor=0.01 if family == "categorical" else 0.0))
    rng = np.random.default_rng(data.draw(SEEDS))
    n = dist.min_fit_samples + 5
    x = dist.sample(n, rng)
    w = rng.uniform(0.0, 1.0, n)
    assert_same(dist.fit(x, w), dist.fit(x, scale * w))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data())
def test_zero_weights_drop_samples(family, data):
    dist = data.draw(FAMILIES[family]())
    rng = np.random.default_rng(data.draw(SEEDS))
    n = dist.min_fit_samples + 4
    x = dist.sample(n, rng)
    w = np.r_[np.ones(n - 2), 0.0, 0.0]
    assert_same(dist.fit(x, w), dist.fit(x[:-2]))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data())
def test_large_sample_fit_recovers_parameters(family, data):
    """Within 5 standard errors of each estimated parameter (fixed sampling seed)."""
    dist = data.draw(FAMILIES[family]())
    n = 20_000
    x = dist.sample(n, np.random.default_rng(12345))
    fitted = dist.fit(x)
    if isinstance(dist, (Gaussian, DiagGaussian)):
        var = np.diag(dist.cov)
        assert np.all(np.abs(fitted.mean - dist.mean) < 5 * np.sqrt(var / n))
        # Var of the sample covariance entry (i, j) is (C_ij^2 + C_ii C_jj) / n for a normal.
        c = dist.cov
        se = np.sqrt((c**2 + np.outer(var, var)) / n)
        assert np.all(np.abs(fitted.cov - c) < 5 * se)
    elif isinstance(dist, Exponential):
        assert np.all(np.abs(fitted.mean - dist.mean) < 5 * dist.mean / np.sqrt(n))
    else:
        p = dist.p if isinstance(dist, Bernoulli) else dist.probs
        got = fitted.p if isinstance(dist, Bernoulli) else fitted.probs
        assert np.all(np.abs(got - p) < 5 * np.sqrt(p * (1 - p) / n))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data())
def test_log_prob_agrees_with_scipy(family, data):
    dist = data.draw(FAMILIES[family]())
    x = dist.sample(7, np.random.default_rng(data.draw(SEEDS)))
    got = dist.log_prob(x)
    if isinstance(dist, (Gaussian, DiagGaussian)):
        want = st.multivariate_normal(dist.mean, dist.cov).logpdf(x)
    elif isinstance(dist, Bernoulli):
        want = st.bernoulli(dist.p).logpmf(x).sum(axis=1)
    elif isinstance(dist, Exponential):
        want = st.expon(scale=dist.mean).logpdf(x).sum(axis=1)
    else:
        onehot = (x[:, :, None] == np.arange(dist.k)).astype(int)
        want = sum(st.multinomial(1, dist.probs[j]).logpmf(onehot[:, j]) for j in range(dist.dim))
    np.testing.assert_allclose(np.atleast_1d(got), np.atleast_1d(want), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data(), n=hs.integers(0, 50))
def test_samples_have_declared_shape_dtype_and_support(family, data, n):
    dist = data.draw(FAMILIES[family]())
    x = dist.sample(n, np.random.default_rng(data.draw(SEEDS)))
    assert x.shape == (n, dist.dim)
    if isinstance(dist, (Gaussian, DiagGaussian)):
        assert x.dtype == np.float64 and np.all(np.isfinite(x))
    elif isinstance(dist, Bernoulli):
        assert x.dtype == np.bool_
    elif isinstance(dist, Exponential):
        assert x.dtype == np.float64 and np.all(x >= 0) and np.all(np.isfinite(x))
    else:
        assert np.issubdtype(x.dtype, np.integer)
        assert np.all((x >= 0) & (x < dist.k))
    assert np.all(np.isfinite(dist.log_prob(x)))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data(), seed=SEEDS)
def test_same_seed_same_samples(family, data, seed):
    dist = data.draw(FAMILIES[family]())
    a = dist.sample(20, np.random.default_rng(seed))
    b = dist.sample(20, np.random.default_rng(seed))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("family", FAMILIES)
@given(data=hs.data(), alpha=hs.floats(0, 1))
def test_smoothing_mixes_parameters(family, data, alpha):
    old = data.draw(FAMILIES[family]())
    new = old.fit(old.sample(old.min_fit_samples + 10, np.random.default_rng(1)))
    mixed = old.smooth(new, alpha)
    for pm, pn, po in zip(params(mixed), params(new), params(old), strict=True):
        np.testing.assert_allclose(pm, alpha * pn + (1 - alpha) * po, rtol=1e-9, atol=1e-12)


def test_gaussian_covariance_smoothing_is_separate():
    old = Gaussian(np.zeros(2), np.eye(2))
    new = Gaussian(np.ones(2), 4 * np.eye(2))
    mixed = old.smooth(new, 0.5, alpha_cov=0.25)
    np.testing.assert_allclose(mixed.mean, 0.5)
    np.testing.assert_allclose(mixed.cov, 1.75 * np.eye(2))


def test_entropy_matches_scipy():
    g = Gaussian([1.0, 2.0], [[2.0, 0.3], [0.3, 1.0]])
    assert g.entropy() == pytest.approx(st.multivariate_normal(g.mean, g.cov).entropy())
    d = DiagGaussian([0.0, 1.0], [0.5, 2.0])
    assert d.entropy() == pytest.approx(st.norm(d.mean, d.std).entropy().sum())
    b = Bernoulli([0.2, 0.9])
    assert b.entropy() == pytest.approx(st.bernoulli(b.p).entropy().sum())
    c = Categorical([[0.2, 0.3, 0.5]])
    assert c.entropy() == pytest.approx(st.entropy(c.probs[0]))
    e = Exponential([0.25, 3.0])
    assert e.entropy() == pytest.approx(st.expon(scale=e.mean).entropy().sum())


# -- floors ------------------------------------------------------------------------------------

def test_gaussian_floors_keep_the_fit_from_collapsing():
    x = np.ones((5, 3))  # identical elites
    for family in (Gaussian(np.zeros(3), np.eye(3)), DiagGaussian(np.zeros(3), 1.0)):
        fitted = family.fit(x[: family.min_fit_samples + 1])
        assert np.all(np.linalg.eigvalsh(fitted.cov) >= family.min_std**2 * (1 - 1e-9))
        with pytest.raises(ValueError, match="degenerate"):
            type(family)(np.zeros(3), 1.0, min_std=0.0).fit(x)


def test_discrete_floors_keep_every_value_possible():
    b = Bernoulli(np.full(3, 0.5)).fit(np.ones((4, 3), dtype=bool))
    np.testing.assert_allclose(b.p, 1 - 1e-3)
    c = Categorical(np.full((2, 5), 0.2)).fit(np.zeros((4, 2), dtype=int))
    assert c.probs.min() == pytest.approx(1e-3 / 4)
    np.testing.assert_allclose(c.probs.sum(axis=1), 1)
    assert c.spread == pytest.approx(c.min_spread)
    exact = Bernoulli(np.full(3, 0.5), min_prob=0).fit(np.ones((4, 3), dtype=bool))
    np.testing.assert_array_equal(exact.p, 1.0)


# -- immutability, repr, errors ----------------------------------------------------------------

def test_distributions_are_immutable_values():
    g = Gaussian(np.zeros(2), np.eye(2))
    with pytest.raises(ValueError):
        g.mean[0] = 1.0
    mean = np.zeros(2)
    d = DiagGaussian(mean, 1.0)
    mean[0] = 5.0  # the caller's array is copied, not shared
    assert d.mean[0] == 0.0


@pytest.mark.parametrize("dist, name", [
    (Gaussian(np.zeros(3), np.eye(3)), "Gaussian(dim=3"),
    (DiagGaussian(np.zeros(3), 1.0), "DiagGaussian(dim=3"),
    (Bernoulli(np.full(3, 0.5)), "Bernoulli(dim=3"),
    (Categorical(np.full((3, 2), 0.5)), "Categorical(dim=3, k=2"),
    (Exponential(np.ones(3)), "Exponential(dim=3"),
])
def test_repr_is_readable(dist, name):
    assert repr(dist).startswith(name)


@pytest.mark.parametrize("make, match", [
    (lambda: Gaussian(np.zeros(2), np.eye(3)), "shape"),
    (lambda: Gaussian(np.zeros(2), [[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
    (lambda: Gaussian(np.zeros(2), [[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
    (lambda: Gaussian([np.nan, 0.0], np.eye(2)), "finite"),
    (lambda: Gaussian(np.zeros((2, 2)), np.eye(2)), "1-D"),
    (lambda: DiagGaussian(np.zeros(2), [1.0, 0.0]), "positive"),
    (lambda: DiagGaussian(np.zeros(2), [1.0, 1.0, 1.0]), "shape"),
    (lambda: DiagGaussian(np.zeros(2), 1.0, min_std=-1), "min_std"),
    (lambda: Bernoulli([0.5, 1.5]), r"\[0, 1\]"),
    (lambda: Categorical([[0.5, 0.6]]), "sum to 1"),
    (lambda: Categorical([0.5, 0.5]), "shape"),
    (lambda: Categorical([[0.5, 0.5]], min_prob=0.6), "min_prob"),
    (lambda: Exponential([1.0, 0.0], min_mean=0), "point mass"),
    (lambda: Exponential([1.0, -1.0]), "non-negative"),
    (lambda: Exponential([1.0, np.inf]), "finite"),
    (lambda: Exponential(np.ones((2, 2))), "1-D"),
    (lambda: Exponential([1.0], min_mean=-1), "min_mean"),
])
def test_bad_parameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("weights, match", [
    (np.zeros(4), "all zero"),
    ([1.0, np.nan, 1.0, 1.0], "finite"),
    ([1.0, np.inf, 1.0, 1.0], "finite"),
    ([1.0, -1.0, 1.0, 1.0], "non-negative"),
    ([1.0, 1.0], "shape"),
])
def test_bad_weights_raise_value_error(weights, match):
    x = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(ValueError, match=match):
        DiagGaussian(np.zeros(2), 1.0).fit(x, weights)


def test_fit_rejects_samples_outside_the_support_and_too_few_samples():
    with pytest.raises(ValueError, match="0/1"):
        Bernoulli(np.full(2, 0.5)).fit([[0, 2]])
    with pytest.raises(ValueError, match="integers in 0 .. 2"):
        Categorical(np.full((1, 3), 1 / 3)).fit([[3]])
    with pytest.raises(ValueError, match="at least 4 samples"):
        Gaussian(np.zeros(3), np.eye(3)).fit(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        Gaussian(np.zeros(3), np.eye(3)).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        Exponential([1.0, 1.0]).fit([[1.0, -0.5]])


def test_log_prob_outside_the_support_is_minus_infinity():
    assert Bernoulli([0.5]).log_prob([[2]])[0] == -np.inf
    assert Categorical([[0.5, 0.5]]).log_prob([[7]])[0] == -np.inf
    assert Exponential([1.0, 2.0]).log_prob([[1.0, -1e-9]])[0] == -np.inf


def test_exponential_floor_keeps_a_zero_coordinate_alive():
    fitted = Exponential([1.0, 1.0]).fit(np.array([[0.0, 2.0], [0.0, 4.0]]))
    np.testing.assert_allclose(fitted.mean, [1e-12, 3.0])
    assert fitted.spread == 3.0 and fitted.min_spread == 1e-12
    with pytest.raises(ValueError, match="degenerate"):
        Exponential([1.0, 1.0], min_mean=0).fit(np.array([[0.0, 2.0]]))


@given(seed=hs.integers(0, 2**32 - 1), d=hs.integers(1, 6))
def test_a_moved_gaussian_is_the_gaussian_built_about_the_new_mean(seed, d):
    """moved() shares the covariance (and its factor) instead of recomputing them: the result
    must be the distribution the constructor would build, and the original must not change."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    mean, new_mean = rng.normal(size=d), rng.normal(size=d)
    x = rng.normal(size=(5, d))
    for dist, built in (
            (Gaussian(mean, a @ a.T + np.eye(d)), lambda m: Gaussian(m, a @ a.T + np.eye(d))),
            (DiagGaussian(mean, np.exp(a[0])), lambda m: DiagGaussian(m, np.exp(a[0])))):
        moved = dist.moved(new_mean)
        np.testing.assert_array_equal(moved.mean, new_mean)
        np.testing.assert_array_equal(moved.cov, built(new_mean).cov)
        np.testing.assert_allclose(moved.log_prob(x), built(new_mean).log_prob(x), rtol=1e-12)
        np.testing.assert_array_equal(dist.mean, mean)  # the original is unchanged
        with pytest.raises(ValueError, match="mean"):
            dist.moved(np.full(d + 1, 0.0))
        with pytest.raises(ValueError, match="finite"):
            dist.moved(np.full(d, np.inf))


@given(seed=hs.integers(0, 2**32 - 1), d=hs.integers(1, 6), n=hs.integers(2, 40),
       centred=hs.booleans())
@pytest.mark.parametrize("family", [Gaussian, DiagGaussian])
def test_overwrite_x_gives_the_same_fit_and_is_off_by_default(family, seed, d, n, centred):
    """The CE loop lets the fit reuse its copy of the elites (overwrite_x): the same numbers,
    bit for bit; without the flag, the caller's array is left as it was."""
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((n + d, d)), rng.uniform(0.1, 1.0, n + d)
    dist = family(np.zeros(d), 1.0)
    center = rng.standard_normal(d) if centred else None
    before = x.copy()
    plain = dist.fit(x, w, center=center)
    np.testing.assert_array_equal(x, before)
    reused = dist.fit(x, w, center=center, overwrite_x=True)
    np.testing.assert_array_equal(plain.mean, reused.mean)
    np.testing.assert_array_equal(plain.cov, reused.cov)
    read_only = before.copy()
    read_only.flags.writeable = False  # not its own to overwrite: left alone
    np.testing.assert_array_equal(dist.fit(read_only, w, center=center, overwrite_x=True).cov,
                                  plain.cov)
