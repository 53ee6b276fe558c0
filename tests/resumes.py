"""Checks the update rules' tests share: a run pickled, or rebuilt from its state, goes on
exactly as the original."""

import pickle

import numpy as np

import ceopt


def assert_go_on_alike(runs: list[ceopt.CrossEntropy], f, then: int = 5) -> None:
    """Run every one of ``runs`` on ``f`` for ``then`` populations: they draw the same samples
    and end with the same distribution, to the last bit."""
    for _ in range(then):
        drawn = [run.ask() for run in runs]
        assert all(np.array_equal(drawn[0], X) for X in drawn[1:])
        for run, X in zip(runs, drawn, strict=True):
            run.tell(X, f(X))
    first = runs[0].dist.state()
    for run in runs[1:]:
        for key, value in run.dist.state().items():
            assert np.array_equal(first[key], value), key


def assert_resumes_bit_identical(es: ceopt.CrossEntropy, f, stop_after: int,
                                 then: int = 5) -> None:
    """Run ``es`` on ``f`` for ``stop_after`` populations, then the run, a pickled twin and a
    run rebuilt from ``es.state()`` for ``then`` more: the same samples and distribution."""
    for _ in range(stop_after):
        X = es.ask()
        es.tell(X, f(X))
    twin = pickle.loads(pickle.dumps(es))
    restored = ceopt.CrossEntropy.from_state(es.state())
    assert_go_on_alike([es, twin, restored], f, then)
