"""A check the update rules' tests share: a run pickled, or rebuilt from its state, goes on
exactly as the original."""

import pickle

import numpy as np

import ceopt


def assert_resumes_bit_identical(es: ceopt.CrossEntropy, f, stop_after: int,
                                 then: int = 5) -> None:
    """Run ``es`` on ``f`` for ``stop_after`` populations, then the run, a pickled twin and a
    run rebuilt from ``es.state()`` for ``then`` more: the same samples and covariance."""
    for _ in range(stop_after):
        X = es.ask()
        es.tell(X, f(X))
    twin = pickle.loads(pickle.dumps(es))
    restored = ceopt.CrossEntropy.from_state(es.state())
    for _ in range(then):
        X, Y, Z = es.ask(), twin.ask(), restored.ask()
        assert np.array_equal(X, Y) and np.array_equal(X, Z)
        for run, P in ((es, X), (twin, Y), (restored, Z)):
            run.tell(P, f(P))
    assert np.array_equal(es.dist.cov, twin.dist.cov)
    assert np.array_equal(es.dist.cov, restored.dist.cov)
