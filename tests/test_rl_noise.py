"""Policy search with noisy returns: ``policy_search(noise=True)``."""

import numpy as np
import pytest

pytest.importorskip("gymnasium", reason="needs gymnasium (pip install '.[gym]')")
from ceopt.rl import policy_search  # noqa: E402
from ceopt.rl.search import _confirms  # noqa: E402
from ceopt.schedules import IPOP  # noqa: E402

pytestmark = pytest.mark.gym


@pytest.mark.slow
def test_pendulums_noisy_returns_leave_the_spread_under_noise_and_collapse_it_without():
    # Pendulum's random starts make every score noisy. The success rule reads the noise as
    # stalling and shrinks the spread by about 0.82 per iteration; the path control, which
    # noise=True uses, keeps it while the search has not converged.
    common = dict(policy="mlp", episodes=2, max_iter=60, target_return=0.0, progress=False,
                  seed=0)
    noisy = policy_search("Pendulum-v1", noise=True, **common)
    success = policy_search("Pendulum-v1", method="adaptive", keep_best=False, popsize=17,
                            **common)
    assert noisy.history["spread"][-1] > 0.3
    assert success.history["spread"][-1] < 1e-3


@pytest.mark.slow
def test_noise_restarts_a_stalled_search_with_the_same_population():
    res = policy_search("Pendulum-v1", policy="linear", noise=True, episodes=2, patience=3,
                        max_iter=40, target_return=0.0, progress=False, seed=1)
    assert res.nrestarts >= 2
    assert np.unique(np.diff(res.history["nfev"])).size == 1  # the population never grew
    assert np.all(res.history["episodes"] == 2)  # episodes as given


def test_a_search_budget_restarts_policy_search_from_the_start_with_the_same_population():
    # The LunarLander recipe (benchmarks/control.py): a search that has not solved the task in
    # search_evals candidates starts again from the initial distribution, at the same size.
    res = policy_search("Pendulum-v1", policy="linear", popsize=20, search_evals=60,
                        restarts=IPOP(max_restarts=5, growth=1), max_iter=9,
                        target_return=0.0, progress=False, seed=2)
    assert res.nrestarts == 2 and res.nit == 9
    assert list(res.history["search"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.unique(np.diff(res.history["nfev"])).size == 1  # the population never grew


def test_noise_solves_mountain_car_and_reports_fresh_episodes():
    res = policy_search("MountainCarContinuous-v0", noise=True, seed=0, progress=False)
    assert np.all(res.history["episodes"] == 4)  # the default under noise
    assert res.success == (res.eval_return >= 90) and res.eval_returns.size == 100
    assert res.success


def test_a_noisy_check_passes_only_by_more_than_one_standard_error():
    returns = np.array([95.0, 85.0] * 50)  # mean 90, standard error 0.5
    assert _confirms(returns, 90.0, noisy=False)
    assert not _confirms(returns, 90.0, noisy=True)
    assert _confirms(returns, 89.4, noisy=True)


def test_noise_is_a_flag():
    with pytest.raises(TypeError, match="noise"):
        policy_search("CartPole-v1", noise="yes", progress=False)
