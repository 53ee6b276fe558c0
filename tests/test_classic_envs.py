"""The numpy vector environments of Pendulum and MountainCarContinuous (ceopt.rl.classic)
against gymnasium's own environments."""

import numpy as np
import pytest
from scipy import stats

gym = pytest.importorskip("gymnasium", reason="needs gymnasium (pip install '.[gym]')")
from ceopt.rl import EpisodeReturn, policy_search  # noqa: E402
from ceopt.rl.classic import (  # noqa: E402
    MountainCarContinuousVectorEnv,
    PendulumVectorEnv,
    classic_vector_env,
)
from ceopt.rl.rollout import has_native_vector_env, make_vector_env  # noqa: E402

pytestmark = pytest.mark.gym

CASES = [("Pendulum-v1", {}), ("Pendulum-v1", {"g": 9.81}),
         ("MountainCarContinuous-v0", {}), ("MountainCarContinuous-v0", {"goal_velocity": 0.01})]


def pump(obs, rng):
    """Actions that swing both systems hard, beyond the bounds at times (MountainCar charges
    for the action as given, Pendulum clips it): towards the velocity, plus noise."""
    velocity = obs[:, -1]
    return (1.6 * np.sign(velocity) + rng.normal(scale=0.5, size=velocity.size))[:, None]


@pytest.mark.parametrize("env_id, kwargs", CASES)
@pytest.mark.slow
def test_the_vector_env_steps_as_gymnasium_does(env_id, kwargs):
    """From the same start states and under the same actions, every copy's observations,
    rewards and terminations equal gymnasium's, up to float rounding, until it terminates;
    the registered time limit truncates as gymnasium's TimeLimit wrapper would."""
    n, steps = 6, 400
    singles = [gym.make(env_id, **kwargs).unwrapped for _ in range(n)]
    starts = [env.reset(seed=i)[0] for i, env in enumerate(singles)]
    vec = classic_vector_env(env_id, n, **kwargs)
    vec.reset(seed=0)
    vec.state = np.array([env.state for env in singles], dtype=float)
    rng = np.random.default_rng(1)
    obs = np.array(starts)
    live = np.ones(n, dtype=bool)
    reached = np.zeros(n, dtype=bool)
    limit = gym.spec(env_id).max_episode_steps  # the unwrapped envs have none: compare
    for t in range(steps):
        actions = pump(obs, rng).astype(np.float32)
        v_obs, v_reward, v_term, v_trunc, _ = vec.step(actions)
        for i, env in enumerate(singles):
            if not live[i]:
                continue
            o, r, term, trunc, _ = env.step(actions[i])
            np.testing.assert_allclose(v_obs[i], o, rtol=1e-5, atol=1e-6)
            assert v_reward[i] == pytest.approx(r, rel=1e-5, abs=1e-6)
            assert v_term[i] == term and v_trunc[i] == (t + 1 >= limit) and not trunc
            live[i] &= not term
            reached[i] |= term
        obs = v_obs
    if env_id.startswith("MountainCar"):
        assert reached.any()  # the comparison covered reaching the flag


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "MountainCarContinuous-v0"])
def test_start_states_follow_gymnasiums_reset_distribution(env_id):
    vec = classic_vector_env(env_id, 4000)
    obs, _ = vec.reset(seed=3)
    if env_id == "Pendulum-v1":
        angle, velocity = vec.state.T
        ranges = [(angle, -np.pi, np.pi), (velocity, -1.0, 1.0)]
        np.testing.assert_allclose(obs[:, 0], np.cos(angle), rtol=1e-6)
    else:
        position, velocity = vec.state.T
        ranges = [(position, -0.6, -0.4)]
        assert np.all(velocity == 0)
    for sample, low, high in ranges:
        assert stats.kstest(sample, stats.uniform(low, high - low).cdf).pvalue > 1e-3
    again, _ = classic_vector_env(env_id, 4000).reset(seed=3)
    np.testing.assert_array_equal(obs, again)
    assert obs.dtype == np.float32 and vec.observation_space.contains(obs)


def test_the_classic_envs_are_chosen_by_entry_point_and_physical_arguments_only():
    assert isinstance(make_vector_env("Pendulum-v1", 3), PendulumVectorEnv)
    assert isinstance(make_vector_env("MountainCarContinuous-v0", 3, goal_velocity=0.02),
                      MountainCarContinuousVectorEnv)
    assert has_native_vector_env("Pendulum-v1")
    # Rendering is gymnasium's: such a run is stepped by gymnasium's own environments.
    assert classic_vector_env("Pendulum-v1", 3, render_mode="rgb_array") is None
    assert not isinstance(make_vector_env("Pendulum-v1", 2, render_mode="rgb_array"),
                          PendulumVectorEnv)
    assert classic_vector_env("Acrobot-v1", 3) is None
    with pytest.raises(ValueError, match="reset options"):
        classic_vector_env("Pendulum-v1", 2).reset(options={"x_init": 1.0})


def test_an_episode_return_on_the_vector_env_is_gymnasiums_return():
    """A whole Pendulum episode of a fixed policy: the vector env's return equals a single
    gymnasium env's from the same start, within float rounding over 200 steps."""
    f = EpisodeReturn("Pendulum-v1", "mlp", seed=0)
    params = np.random.default_rng(4).normal(size=(3, f.policy.n_params))
    vec = f._env(3)
    vec.reset(seed=9)  # what episode_returns(seed=9) starts from
    start = vec.state.copy()
    single = gym.make("Pendulum-v1").unwrapped
    for i in range(3):
        single.reset(seed=0)
        single.state = start[i].copy()
        o, total = single._get_obs(), 0.0
        for _ in range(200):
            o, r, *_ = single.step(f.policy.act(params[i], o))
            total += r
        vec_return = f.episode_returns(params, np.ones(3, dtype=int), seed=9)[i]
        assert vec_return == pytest.approx(total, rel=1e-4)


def test_mountain_car_continuous_is_solved_with_the_defaults():
    # 10 seeds in benchmarks/results/control.md; one here.
    res = policy_search("MountainCarContinuous-v0", seed=0, progress=False)
    assert res.success and res.eval_return >= 90
