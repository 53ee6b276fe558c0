"""Evaluation backends (workers=) and the failure policy (on_error=)."""

import concurrent.futures as cf
import math

import numpy as np
import pytest
from problems import (
    DiesOnce,
    FailsOnce,
    TwoArgError,
    always_dies,
    nan_right,
    raises_right,
    raises_two_arg_error,
    row_sum,
    slow_right,
    sphere_point,
)

import ceopt
from ceopt.evaluation import Evaluator

X = np.array([[0.5, 0.0], [2.0, 1.0], [-0.5, 0.5], [3.0, 0.0], [-2.0, 0.0]])
RUN = dict(x0=np.ones(3), sigma0=1.0, seed=4, max_iter=8)


def same_run(a, b):
    assert np.array_equal(a.x, b.x) and a.fun == b.fun and a.nfev == b.nfev
    for key in a.history:
        assert np.array_equal(a.history[key], b.history[key]), key


@pytest.fixture(scope="module")
def serial():
    return ceopt.minimize(sphere_point, **RUN)


@pytest.mark.parametrize("workers, chunksize", [(2, None), (2, 7), (-1, 1)])
def test_a_process_pool_gives_the_serial_run(serial, workers, chunksize):
    same_run(ceopt.minimize(sphere_point, workers=workers, chunksize=chunksize, **RUN), serial)


@pytest.mark.parametrize("make", [lambda: cf.ThreadPoolExecutor(3),
                                  lambda: cf.ProcessPoolExecutor(2)])
def test_an_executor_gives_the_serial_run_and_is_left_open(serial, make):
    with make() as executor:
        same_run(ceopt.minimize(sphere_point, workers=executor, **RUN), serial)
        assert executor.submit(sphere_point, np.ones(2)).result() == 2.0  # still usable


def test_a_map_like_callable_gets_every_point_in_order(serial):
    calls = []

    def my_map(fn, tasks):
        tasks = list(tasks)
        calls.append(len(tasks))
        return map(fn, tasks)

    same_run(ceopt.minimize(sphere_point, workers=my_map, **RUN), serial)
    # One task per point by default: the map chunks them itself.
    assert set(calls) == {serial.nfev // serial.nit}


def test_an_executor_of_unknown_size_gets_one_point_per_task(serial):
    class Inline:  # has submit, but no _max_workers to size chunks by
        submitted = 0

        def submit(self, fn, task):
            Inline.submitted += 1
            future = cf.Future()
            future.set_result(fn(task))
            return future

    same_run(ceopt.minimize(sphere_point, workers=Inline(), **RUN), serial)
    assert Inline.submitted == serial.nfev


def test_workers_1_is_this_process(serial):
    ev = Evaluator(lambda x: float(x @ x), workers=1)  # a lambda: no pickling needed
    assert type(ev.backend).__name__ == "Serial"
    same_run(ceopt.minimize(sphere_point, workers=1, **RUN), serial)


def test_an_unpicklable_objective_for_processes_is_a_clear_error():
    with pytest.raises(TypeError, match="picklable.*module level"):
        ceopt.minimize(lambda x: float(x @ x), np.ones(2), workers=2)
    # threads need no pickling
    with cf.ThreadPoolExecutor(2) as executor:
        ceopt.minimize(lambda x: float(x @ x), np.ones(2), workers=executor, max_iter=2)


# -- the failure policy ----------------------------------------------------------------------
@pytest.mark.parametrize("workers", [None, 2])
def test_raise_re_raises_the_objectives_exception_with_the_point(workers):
    with pytest.raises(ValueError, match="diverged") as info:
        Evaluator(raises_right, workers=workers)(X)
    assert info.value.ceopt_x[0] == 2.0  # the first failing row


@pytest.mark.parametrize("workers", [None, 2])
def test_worst_scores_failures_the_worst_counts_and_describes_them(workers):
    ev = Evaluator(raises_right, workers=workers, on_error="worst")
    v = ev(X)
    assert np.array_equal(v, [0.25, np.inf, 0.5, np.inf, 4.0])
    assert ev.n_failed == 2 and ev.n_retried == 0
    assert ev.messages == ["ValueError: diverged at 2.000 at x = [2. 1.]",
                           "ValueError: diverged at 3.000 at x = [3. 0.]"]
    maximising = Evaluator(raises_right, workers=workers, on_error="worst", worst=-np.inf)
    assert maximising(X)[1] == -np.inf


def test_retry_evaluates_a_failed_point_again_before_scoring_it_the_worst():
    seen = set()

    def flaky(x):  # fails the first time it sees a point, as a lost licence server would
        key = tuple(x)
        if key not in seen:
            seen.add(key)
            raise OSError("licence server busy")
        return float(x @ x)

    ev = Evaluator(flaky, on_error="retry", retries=1)
    assert np.array_equal(ev(X), (X**2).sum(axis=1))
    assert ev.n_retried == 5 and ev.n_failed == 0
    stubborn = Evaluator(raises_right, on_error="retry", retries=3)
    assert np.isinf(stubborn(X)).sum() == 2
    assert stubborn.n_retried == 6 and stubborn.n_failed == 2


def test_nan_and_inf_follow_the_same_policy():
    with pytest.raises(ValueError, match="returned nan at x = .*non-finite"):
        Evaluator(nan_right, on_nan="raise")(X)
    ev = Evaluator(nan_right, on_error="retry", retries=2)
    assert np.array_equal(ev(X), [0.25, np.inf, 0.5, np.inf, np.inf])
    assert ev.n_failed == 3 and ev.n_retried == 6
    assert ev.messages[0] == "returned nan at x = [2. 1.]"
    assert ev.messages[2] == "returned inf at x = [-2.  0.]"


def test_a_vectorized_objective_that_raises_fails_the_whole_call():
    def f(X):
        raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError) as info:
        Evaluator(f, vectorized=True)(X)
    assert info.value.ceopt_x.shape == X.shape
    ev = Evaluator(f, vectorized=True, on_error="worst")
    assert np.all(ev(X) == np.inf) and ev.n_failed == 5


def test_a_run_where_every_evaluation_fails_is_no_success():
    res = ceopt.minimize(lambda x: math.nan, np.zeros(2), max_iter=5, on_error="worst")
    assert not res.success and res.nfail == res.nfev
    assert "every evaluation failed" in res.message


def test_minimize_reports_failures_and_still_converges():
    res = ceopt.minimize(raises_right, np.zeros(2), sigma0=2.0, seed=1, on_error="worst",
                         popsize=50)  # a wide first population: more than 5 failures
    assert res.success and np.allclose(res.x, 0, atol=1e-4)
    assert res.nfail > 5 and len(res.failures) == 5
    assert res.failures[0].startswith("ValueError: diverged at")


def test_a_worker_that_dies_mid_run_loses_nothing(serial, tmp_path):
    marker = tmp_path / "died"
    res = ceopt.minimize(DiesOnce(marker), workers=2, **RUN)
    assert marker.exists()  # a worker did die on a point with x[0] > 1
    same_run(res, serial)


def test_a_users_process_pool_broken_by_a_dead_worker_says_what_to_do(tmp_path):
    from concurrent.futures.process import BrokenProcessPool
    with cf.ProcessPoolExecutor(2) as executor, pytest.raises(BrokenProcessPool,
                                                              match="workers=<int>"):
        ceopt.minimize(DiesOnce(tmp_path / "died"), workers=executor, **RUN)


def test_a_worker_killed_while_the_pool_is_idle_loses_nothing(serial):
    import multiprocessing
    import os
    import signal

    def kill_a_worker(result):
        if result.nit == 3:  # between populations: the pool is idle, a worker is killed
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
            import time
            time.sleep(0.2)

    same_run(ceopt.minimize(sphere_point, workers=2, callback=kill_a_worker, **RUN), serial)


def test_an_exception_that_cannot_be_unpickled_comes_back_as_a_summary():
    ev = Evaluator(raises_two_arg_error, workers=2, on_error="worst")
    assert np.isinf(ev(X)).sum() == 2
    assert ev.messages[0] == "RuntimeError: TwoArgError: bad at 2.0 at x = [2. 1.]"
    with pytest.raises(TwoArgError):  # in this process it keeps its type
        Evaluator(raises_two_arg_error)(X)


def test_an_objective_that_kills_every_worker_is_a_clear_error():
    with pytest.raises(RuntimeError, match="died 3 times in a row"):
        Evaluator(always_dies, workers=2)(X)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(workers=0), ValueError, "workers must be a positive int or -1"),
    (dict(workers=True), TypeError, "not a bool"),
    (dict(workers="all"), TypeError, "workers must be an int, an Executor"),
    (dict(on_error="ignore"), ValueError, "on_error must be one of"),
    (dict(retries=-1), ValueError, "retries"),
    (dict(chunksize=0), ValueError, "chunksize"),
])
def test_bad_evaluation_options_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        ceopt.minimize(sphere_point, np.ones(2), **kwargs)


def test_a_map_like_callable_that_drops_results_is_a_clear_error():
    with pytest.raises(ValueError, match="3 results for 5 tasks"):
        Evaluator(sphere_point, workers=lambda fn, tasks: [fn(t) for t in tasks[:3]])(X)


def test_failures_are_described_only_a_few_times_but_all_counted():
    ev = Evaluator(lambda x: math.nan, on_error="worst")
    ev(np.zeros((40, 2)))
    assert ev.n_failed == 40 and len(ev.messages) == 5


def tail_score_fails_left(X):
    """Sum of the coordinates; raises for rows with x[0] < -2 (far from the event)."""
    if np.any(X[:, 0] < -2):
        raise FloatingPointError("left tail")
    return X.sum(axis=1)


@pytest.mark.slow
def test_rare_event_estimation_on_workers_equals_serial_and_reports_failures():
    nominal = ceopt.DiagGaussian(np.zeros(4), 1.0)
    run = dict(level=8.0, seed=2, final_samples=20_000)
    serial = ceopt.estimate_rare_event(lambda X: X.sum(axis=1), nominal, **run)
    with cf.ThreadPoolExecutor(2) as executor:
        pooled = ceopt.estimate_rare_event(lambda X: X.sum(axis=1), nominal, workers=executor,
                                           chunksize=300, **run)
    assert pooled.probability == serial.probability and pooled.nfev == serial.nfev
    processes = ceopt.estimate_rare_event(row_sum, nominal, workers=2, **run)
    assert processes.probability == serial.probability and processes.nfev == serial.nfev
    with pytest.raises(FloatingPointError):
        ceopt.estimate_rare_event(tail_score_fails_left, nominal, chunksize=1, **run)
    worst = ceopt.estimate_rare_event(tail_score_fails_left, nominal, chunksize=1,
                                      on_error="worst", **run)
    # a failed sample never reaches the level; these fail far from it, so nothing is lost
    assert worst.nfail > 0 and worst.failures[0].startswith("FloatingPointError: left tail")
    assert abs(worst.probability - serial.probability) < 4 * serial.std_error


# -- Dask ------------------------------------------------------------------------------------
# Each test below is marked slow: the local cluster of worker processes takes seconds to start.
@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@pytest.mark.dask
@pytest.mark.slow
def test_a_dask_cluster_gives_the_serial_run(serial, dask_client):
    same_run(ceopt.minimize(sphere_point, workers=dask_client, **RUN), serial)
    same_run(ceopt.minimize(sphere_point, workers=dask_client.get_executor(), **RUN), serial)
    # Dask pickles with cloudpickle: a lambda travels
    lam = ceopt.minimize(lambda x: float(x @ x), workers=dask_client, **RUN)
    same_run(lam, serial)


@pytest.mark.dask
@pytest.mark.slow
def test_dask_splits_the_population_over_its_workers(dask_client):
    ev = Evaluator(sphere_point, workers=dask_client)
    assert ev.backend.size == 2
    assert np.array_equal(ev(X), (X**2).sum(axis=1))


@pytest.mark.dask
@pytest.mark.slow
def test_a_dask_worker_that_dies_mid_run_loses_nothing(serial, dask_client, tmp_path):
    marker = tmp_path / "died"
    res = ceopt.minimize(DiesOnce(marker), workers=dask_client, **RUN)
    assert marker.exists()
    same_run(res, serial)


@pytest.mark.dask
@pytest.mark.slow
def test_a_retry_on_dask_runs_the_point_again(dask_client, tmp_path):
    ev = Evaluator(FailsOnce(tmp_path / "failed"), workers=dask_client, on_error="retry")
    assert ev(X[:1]) == 0.25
    assert ev.n_retried == 1 and ev.n_failed == 0


# -- timeout ---------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [None, 2])
def test_a_point_that_hangs_is_interrupted_as_a_failure(workers):
    import time

    from ceopt.timeout import EvaluationTimeout
    start = time.perf_counter()
    ev = Evaluator(slow_right, workers=workers, on_error="worst", timeout=0.05)
    assert np.array_equal(ev(X), [0.25, np.inf, 0.5, np.inf, 4.0])
    assert ev.n_failed == 2 and "longer than timeout=0.05 s" in ev.messages[0]
    assert time.perf_counter() - start < 5  # nothing waited for the 10 s sleeps
    with pytest.raises(EvaluationTimeout) as info:
        Evaluator(slow_right, workers=workers, timeout=0.05)(X)
    assert info.value.ceopt_x[0] == 2.0


@pytest.mark.slow
def test_timeout_gives_back_the_users_alarm_handler_and_timer():
    import signal
    import time

    rung = []

    def users_handler(signum, frame):
        rung.append(time.monotonic())

    before = signal.signal(signal.SIGALRM, users_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)  # the user's own alarm, due in 0.6 s
        start = time.monotonic()
        Evaluator(slow_right, on_error="worst", timeout=0.05)(X)  # two 0.05 s timeouts
        assert signal.getsignal(signal.SIGALRM) is users_handler
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0.3 < left < 0.6  # still running, less the time spent
        time.sleep(left + 0.2)
        assert len(rung) == 1 and 0.5 < rung[0] - start < 0.9  # and it did ring, on time
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@pytest.mark.dask
@pytest.mark.slow
def test_timeout_where_evaluations_run_in_threads_is_a_clear_error(dask_client):
    with cf.ThreadPoolExecutor(2) as executor, pytest.raises(ValueError, match="main thread"):
        ceopt.minimize(slow_right, np.zeros(2), workers=executor, timeout=1.0)
    with pytest.raises(ValueError, match="main thread"):
        ceopt.minimize(slow_right, np.zeros(2), workers=dask_client, timeout=1.0)
    with pytest.raises(ValueError, match="timeout"):
        ceopt.minimize(slow_right, np.zeros(2), timeout=0)
