"""ceopt.rl: copies that stop stepping when their episode ends, common episodes across a
population, and unscaled policy inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

gym = pytest.importorskip("gymnasium", reason="needs gymnasium (pip install '.[gym]')")

from ceopt.rl import EpisodeReturn, LinearPolicy, MLPPolicy, policy_search  # noqa: E402
from ceopt.rl.io import load_policy, save_policy  # noqa: E402
from ceopt.rl.rollout import OneEpisodeSyncVectorEnv, make_vector_env, play  # noqa: E402

pytestmark = pytest.mark.gym

ACROBOT = gym.make("Acrobot-v1")
MOUNTAINCAR = gym.make("MountainCar-v0")


class CountSteps(gym.Wrapper):
    """Counts the calls of ``step`` since the last ``reset``."""

    def reset(self, **kwargs):
        self.steps = 0
        return self.env.reset(**kwargs)

    def step(self, action):
        self.steps += 1
        return self.env.step(action)


def acrobot_population(n: int, seed: int) -> tuple[LinearPolicy, np.ndarray]:
    """Acrobot policies whose episodes end at different steps: a pumping one (swing with the
    lower link's velocity) at several strengths, random ones, and one that never acts."""
    policy = LinearPolicy(ACROBOT.observation_space, ACROBOT.action_space)
    pump = np.zeros(policy.n_params)
    W = policy.layers(pump)[0][0]
    W[5, 2], W[5, 0] = 1.0, -1.0
    rng = np.random.default_rng(seed)
    P = np.vstack([pump * rng.uniform(0.2, 2.0, (n - 2, 1)), rng.normal(size=(1, pump.size)),
                   np.zeros((1, pump.size))])
    return policy, P


def test_finished_copies_are_not_stepped_and_returns_match_a_sync_vector_env():
    policy, P = acrobot_population(8, seed=0)
    env = OneEpisodeSyncVectorEnv([lambda: CountSteps(gym.make("Acrobot-v1"))] * len(P))
    played = play(env, policy.batch_actor(P), 500, seed=11)
    steps = np.array([copy.steps for copy in env.envs])
    assert played.lengths.min() < 500 and played.lengths.max() == 500  # some end early
    np.testing.assert_array_equal(steps, played.lengths)
    # gymnasium's own SyncVectorEnv keeps stepping (resetting) finished copies, and ends
    # every episode where this one does, with the same return.
    sync = gym.make_vec("Acrobot-v1", num_envs=len(P), vectorization_mode="sync")
    reference = play(sync, policy.batch_actor(P), 500, seed=11)
    np.testing.assert_array_equal(played.returns, reference.returns)
    np.testing.assert_array_equal(played.lengths, reference.lengths)
    # A second reset starts every copy afresh: the same seed plays the same episodes.
    again = play(env, policy.batch_actor(P), 500, seed=11)
    np.testing.assert_array_equal(again.returns, played.returns)
    env.close()


def test_a_finished_copy_returns_its_last_observation_and_no_reward():
    policy, P = acrobot_population(4, seed=1)
    env = make_vector_env("Acrobot-v1", len(P))
    assert isinstance(env, OneEpisodeSyncVectorEnv)
    act = policy.batch_actor(P)
    obs, _ = env.reset(seed=3)
    ended = np.zeros(len(P), dtype=bool)
    for _ in range(500):
        before = obs
        obs, reward, terminated, truncated, _ = env.step(act(obs))
        np.testing.assert_array_equal(obs[ended], before[ended])
        assert np.all(reward[ended] == 0) and np.all((terminated | truncated)[ended])
        ended |= terminated | truncated
    assert ended.all()
    env.close()


def test_episode_returns_of_a_discrete_env_match_single_episodes():
    f = EpisodeReturn("MountainCar-v0", "linear", max_steps=120, seed=0)
    P = np.random.default_rng(4).normal(size=(6, f.policy.n_params)) * 3
    returns = f.rollout(P, seed=21)[:, 0]
    for i, params in enumerate(P):
        env = gym.make("MountainCar-v0")
        obs, _ = env.reset(seed=21 + i)
        total = 0.0
        for _ in range(120):
            obs, reward, terminated, truncated, _ = env.step(f.policy.act(params, obs))
            total += reward
            if terminated or truncated:
                break
        assert returns[i] == total
    f.close()


def mountaincar_pump(policy: LinearPolicy) -> np.ndarray:
    """Push in the direction of the velocity: reaches the flag after a number of steps that
    depends on the start position."""
    params = np.zeros(policy.n_params)
    W = policy.layers(params)[0][0]
    W[1, 2], W[1, 0] = 1.0, -1.0
    return params


def test_common_episodes_give_every_row_the_same_start_states():
    f = EpisodeReturn("MountainCar-v0", "linear", episodes=3, seed=0, common=True)
    pump = mountaincar_pump(f.policy)
    returns = f.rollout(np.vstack([pump, pump, pump]), seed=8)
    assert np.unique(returns[:, 0]).size == 1 and np.all(returns == returns[0])
    # episode k of each row is the single env reset with seed 8 + k
    for k in range(3):
        env = gym.make("MountainCar-v0")
        obs, _ = env.reset(seed=8 + k)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(f.policy.act(pump, obs))
            total, done = total + reward, terminated or truncated
        assert returns[0, k] == total
    assert np.unique(returns[0]).size > 1  # the episodes of a row still differ
    # Without common episodes the rows start apart, and the same policy scores differently.
    apart = EpisodeReturn("MountainCar-v0", "linear", episodes=3, seed=0)
    assert not np.all(apart.rollout(np.vstack([pump, pump]), seed=8) == returns[0])
    assert "common=True" in repr(f)


def test_policy_search_with_common_episodes_is_reproducible_and_refuses_native_envs():
    runs = [policy_search("MountainCar-v0", seed=3, common_episodes=True, episodes=2,
                          max_iter=2, popsize=20, eval_episodes=2, max_steps=50,
                          progress=False) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    with pytest.raises(ValueError, match="common_episodes=True needs an environment stepped "
                                         "by a SyncVectorEnv; CartPole-v1"):
        policy_search("CartPole-v1", common_episodes=True, progress=False)
    with pytest.raises(ValueError, match="common=True needs an environment stepped by a "
                                         "SyncVectorEnv; Pendulum-v1"):
        EpisodeReturn("Pendulum-v1", common=True)
    with pytest.raises(TypeError, match="common must be True or False"):
        EpisodeReturn("MountainCar-v0", common="yes")


@settings(max_examples=25, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), hidden=hs.sampled_from([(), (3,)]))
def test_unscaled_inputs_feed_the_raw_observation_to_the_network(seed, hidden):
    rng = np.random.default_rng(seed)
    policy = MLPPolicy(MOUNTAINCAR.observation_space, MOUNTAINCAR.action_space, hidden=hidden,
                       scale_inputs=False)
    params = rng.normal(size=policy.n_params)
    obs = rng.uniform(MOUNTAINCAR.observation_space.low, MOUNTAINCAR.observation_space.high,
                      size=(5, 2)).astype(np.float32)
    h = obs.astype(np.float64)
    for i, (W, b) in enumerate(policy.layers(params)):
        h = h @ W + b
        h = np.tanh(h) if i < len(policy.layer_shapes) - 1 else h
    np.testing.assert_allclose(policy.outputs(params, obs), h, rtol=1e-12)
    np.testing.assert_allclose(policy.network(params[None])(obs[:1]), h[:1], rtol=1e-12)
    # The default maps the bounds onto [-1, 1], so the same parameters act otherwise.
    scaled = MLPPolicy(MOUNTAINCAR.observation_space, MOUNTAINCAR.action_space, hidden=hidden)
    assert not np.allclose(scaled.outputs(params, obs), h)


def test_unscaled_inputs_survive_saving_and_loading(tmp_path):
    policy = LinearPolicy(ACROBOT.observation_space, ACROBOT.action_space, scale_inputs=False)
    res = policy_search("Acrobot-v1", policy, seed=0, max_iter=1, popsize=20, eval_episodes=2,
                        max_steps=20, progress=False)
    loaded, params, spec = load_policy(save_policy(tmp_path / "acrobot", res))
    assert spec["scale_inputs"] is False and not loaded.scale_inputs
    obs = np.random.default_rng(5).normal(size=(7, 6)) * 5
    np.testing.assert_array_equal(loaded.act(params, obs), policy.act(res.x, obs))
    assert "scale_inputs=False" in repr(loaded)


def test_scale_inputs_must_be_a_bool():
    with pytest.raises(TypeError, match="scale_inputs must be True or False"):
        LinearPolicy(ACROBOT.observation_space, ACROBOT.action_space, scale_inputs="no")
