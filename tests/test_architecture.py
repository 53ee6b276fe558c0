"""docs/architecture.md, "How to add a part", followed to the letter: a distribution family, an
update rule, a restart schedule, a boundary handler and a worker backend, each defined here
(one class, one registration line), run through ``minimize``, checkpointed and resumed."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from problems import sphere

import ceopt
from ceopt import distributions, handlers, schedules, updates, workers
from ceopt.distributions import Distribution, check_samples, normalized_weights
from ceopt.handlers import BoundaryHandler
from ceopt.schedules import Schedule
from ceopt.updates import Textbook
from ceopt.workers import Backend


# -- a distribution family: independent Laplace variables -------------------------------------
@distributions.register
class Laplace(Distribution):
    """``dim`` independent Laplace variables: density ``exp(-|x - loc| / scale) / (2 scale)``.
    The weighted MLE of ``loc`` is the weighted median, of ``scale`` the weighted mean
    absolute deviation from it."""

    def __init__(self, loc, scale, min_scale=1e-12):
        self.loc = np.array(loc, dtype=float)
        self.scale = np.maximum(np.broadcast_to(np.asarray(scale, float), self.loc.shape),
                                min_scale)
        self.min_scale = float(min_scale)

    dim = property(lambda self: self.loc.size)
    mode = property(lambda self: self.loc)
    spread = property(lambda self: float(self.scale.max()))
    min_spread = property(lambda self: self.min_scale)
    n_params = property(lambda self: 2 * self.dim)
    min_fit_samples = property(lambda self: 2)

    def sample(self, n, rng):
        return rng.laplace(self.loc, self.scale, size=(n, self.dim))

    def log_prob(self, x):
        x = check_samples(x, self.dim)
        return -(np.abs(x - self.loc) / self.scale + np.log(2 * self.scale)).sum(axis=1)

    def fit(self, x, weights=None):
        x = check_samples(x, self.dim)
        w = normalized_weights(weights, len(x))
        order = np.argsort(x, axis=0)
        cumulative = np.cumsum(w[order], axis=0)
        median = np.take_along_axis(x, order, axis=0)[
            np.argmax(cumulative >= 0.5, axis=0), np.arange(self.dim)]
        return Laplace(median, w @ np.abs(x - median), self.min_scale)

    def smooth(self, new, alpha):
        return Laplace(alpha * new.loc + (1 - alpha) * self.loc,
                       alpha * new.scale + (1 - alpha) * self.scale, self.min_scale)

    def entropy(self):
        return float((1 + np.log(2 * self.scale)).sum())

    # optional: where a restart in a box starts, and how a checkpoint saves it
    def moved(self, mean):
        return Laplace(mean, self.scale, self.min_scale)

    def state(self):
        return {"loc": self.loc, "scale": self.scale, "min_scale": self.min_scale}

    @classmethod
    def from_state(cls, state):
        return cls(state["loc"], state["scale"], state["min_scale"])


# -- an update rule: textbook CE with dynamic smoothing ---------------------------------------
@updates.register
class DynamicSmoothing(Textbook):
    """Textbook CE whose smoothing falls with the iteration t of the local search:
    ``alpha_t = alpha - alpha (1 - 1/t)^q`` (Rubinstein & Kroese's dynamic smoothing)."""

    name = "dynamic"
    Q = 5

    def begin(self, dist, n_elite):
        super().begin(dist, n_elite)
        self.t = 0  # state of one local search: begin() starts it afresh

    def _step(self, dist, X, elites, ranking):
        self.t += 1
        alpha = self.smoothing - self.smoothing * (1 - 1 / self.t) ** self.Q
        return dist.smooth(dist.fit(X[elites], self.elite_weights), alpha)

    def search_state(self):
        return {**super().search_state(), "t": self.t}

    def load_search_state(self, state):
        super().load_search_state(state)
        self.t = int(state["t"])


# -- a restart schedule: restart about the best point so far ---------------------------------
@schedules.register
class FromBest(Schedule):
    """Each restart starts about the best point found, with the initial spread and the same
    population."""

    name = "from-best"

    def can_restart(self, ended, progress):
        return progress.fits(ended.popsize)

    def restart(self, ended, progress, rng):
        return self.settings.local(self.initial.moved(progress.best_x), ended.popsize,
                                   ended.n_elite)


# -- a boundary handler: reflect samples into the box ----------------------------------------
@handlers.register
class Reflect(BoundaryHandler):
    """Samples outside ``[low, high]`` are reflected at the faces (ranked by their values
    alone, and fitted as drawn)."""

    name = "reflect"

    def __init__(self, low, high):
        self.low, self.high = np.asarray(low, float), np.asarray(high, float)

    def repair(self, X):
        width = self.high - self.low
        folded = np.mod(X - self.low, 2 * width)
        return self.low + np.where(folded > width, 2 * width - folded, folded)

    def penalty(self, drawn, repaired, losses):
        return np.zeros(len(drawn))

    def state(self):
        return {"low": self.low, "high": self.high}

    @classmethod
    def from_state(cls, state):
        return cls(state["low"], state["high"])


# -- a worker backend: threads, by name ------------------------------------------------------
@workers.register
class Threads(Backend):
    """``workers="threads"``: a pool of two threads (for objectives that release the GIL)."""

    size = 2
    in_process = True

    @classmethod
    def accepts(cls, workers):
        return workers == "threads"

    def __init__(self, workers):
        self.pool = ThreadPoolExecutor(self.size)
        self.tasks_run = 0

    def map(self, fn, tasks):
        self.tasks_run += len(tasks)
        return list(self.pool.map(fn, tasks))

    def close(self):
        self.pool.shutdown()


# -- the tests ---------------------------------------------------------------------------------
SHIFT = np.array([0.5, -1.0, 2.0])


def shifted_sphere(X):
    return sphere(X - SHIFT)


def test_the_family_runs_under_minimize_with_its_restarts_and_bounds():
    res = ceopt.minimize(shifted_sphere, dist=Laplace(np.zeros(3), 2.0), bounds=[(-4, 4)] * 3,
                         vectorized=True, max_evals=10_000, seed=0)
    assert res.nrestarts >= 1 and res.fun < 1e-6 and isinstance(res.dist, Laplace)


def test_the_update_rule_is_a_method_by_name():
    res = ceopt.minimize(shifted_sphere, x0=np.zeros(3), method="dynamic", vectorized=True,
                         max_iter=200, seed=0)
    plain = ceopt.minimize(shifted_sphere, x0=np.zeros(3), method="textbook", vectorized=True,
                           max_iter=200, seed=0)
    assert res.fun < 1e-3 and not np.array_equal(res.x, plain.x)


def test_the_schedule_restarts_about_the_best_point():
    es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(3), 3.0), restarts="from-best",
                            separable=False, max_evals=5000, seed=0)
    while not es.stop():
        before = es.nrestarts
        X = es.ask()
        if es.nrestarts > before:  # this ask restarted: about the best point so far
            np.testing.assert_array_equal(es.dist.mean, es.best_x)
        es.tell(X, shifted_sphere(X))
    assert es.nrestarts >= 2 and es.best_f < 1e-12


def test_the_handler_keeps_every_evaluation_in_the_box():
    seen = []

    def f(X):
        seen.append(X.copy())
        return shifted_sphere(X)
    res = ceopt.minimize(f, x0=np.zeros(3), sigma0=3.0, bounds=Reflect([-1] * 3, [1] * 3),
                         vectorized=True, max_iter=60, seed=0)
    X = np.vstack(seen)
    assert np.all((X >= -1) & (X <= 1)) and res.x[2] > 0.99  # the optimum's x2 = 2 is outside


def test_the_backend_runs_the_evaluations():
    serial = ceopt.minimize(shifted_sphere, x0=np.zeros(3), vectorized=True, max_iter=20, seed=0)
    threaded = ceopt.minimize(shifted_sphere, x0=np.zeros(3), vectorized=True, max_iter=20,
                              seed=0, workers="threads")
    np.testing.assert_array_equal(serial.x, threaded.x)


@pytest.mark.slow
def test_a_run_of_parts_defined_here_checkpoints_and_resumes_bit_for_bit(tmp_path):
    """Each part says how its state is saved; the checkpoint names them, and a resume finds
    them in the registries."""
    kw = dict(dist=Laplace(np.zeros(3), 2.0), method="dynamic", restarts="from-best",
              bounds=Reflect([-4] * 3, [4] * 3), vectorized=True, max_evals=6000, seed=3)
    full = ceopt.minimize(shifted_sphere, **kw)
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(shifted_sphere, max_iter=full.nit // 2, checkpoint=path, **kw)
    assert part.nit < full.nit
    rest = ceopt.resume(path, shifted_sphere, max_iter=10**6)
    np.testing.assert_array_equal(rest.x, full.x)
    assert (rest.fun, rest.nfev, rest.nrestarts) == (full.fun, full.nfev, full.nrestarts)


@pytest.mark.parametrize("registry, name", [(distributions.FAMILIES, "Laplace"),
                                            (updates.UPDATES, "dynamic"),
                                            (schedules.SCHEDULES, "from-best"),
                                            (handlers.HANDLERS, "reflect")])
def test_a_name_is_registered_once(registry, name):
    part = registry[name]
    module = {"Laplace": distributions, "dynamic": updates, "from-best": schedules,
              "reflect": handlers}[name]
    assert module.register(part) is part  # registering it again is harmless
    impostor = type(part.__name__, (part,), {})
    with pytest.raises(ValueError, match="registered already"):
        module.register(impostor)
