"""ceopt.rl: policies, batched rollouts against plain gymnasium, and the two CE methods."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays

gym = pytest.importorskip("gymnasium", reason="needs gymnasium (pip install '.[gym]')")
from gymnasium import spaces  # noqa: E402

from ceopt.rl import (  # noqa: E402
    EpisodeReturn,
    LinearPolicy,
    MLPPolicy,
    episode_cross_entropy,
    policy_search,
)
from ceopt.rl.adam import Adam  # noqa: E402
from ceopt.rl.episode import sample_actions  # noqa: E402
from ceopt.rl.episode_count import EpisodeCount  # noqa: E402
from ceopt.rl.rollout import make_vector_env  # noqa: E402
from ceopt.rl.tabular import TabularVectorEnv, expected_return  # noqa: E402

pytestmark = pytest.mark.gym

CARTPOLE = gym.make("CartPole-v1")
PENDULUM = gym.make("Pendulum-v1")
MOUNTAINCAR = gym.make("MountainCar-v0")


def single_env_return(env_id, policy, params, seed=None, state=None, max_steps=None,
                      **env_kwargs):
    """One episode stepped by hand in a plain ``gymnasium.make`` env: the reference."""
    env = gym.make(env_id, **env_kwargs)
    obs, _ = env.reset(seed=seed)
    if state is not None:  # start where a native vector env's sub-env started
        env.unwrapped.state = state.copy()
        obs = state.astype(np.float32)
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, _ = env.step(policy.act(params, obs))
        total += reward
        steps += 1
        if terminated or truncated or steps == max_steps:
            return total


# -- policies ------------------------------------------------------------------------------

def test_parameter_counts_and_action_shapes_for_discrete_actions():
    linear = LinearPolicy(CARTPOLE.observation_space, CARTPOLE.action_space)
    mlp = MLPPolicy(CARTPOLE.observation_space, CARTPOLE.action_space, hidden=(16,))
    assert linear.n_params == (4 + 1) * 2
    assert mlp.n_params == (4 + 1) * 16 + (16 + 1) * 2
    P = np.random.default_rng(0).normal(size=(5, mlp.n_params))
    actions = mlp.act(P, np.zeros((5, 3, 4)))
    assert actions.shape == (5, 3) and np.issubdtype(actions.dtype, np.integer)
    assert set(np.unique(actions)) <= {0, 1}
    assert mlp.act(P[0], np.zeros(4)).shape == ()
    assert np.all(linear.act(np.zeros(10), np.ones((7, 4))) == 0)  # zeros pick action 0


def test_discrete_actions_respect_the_space_start():
    policy = LinearPolicy(CARTPOLE.observation_space, spaces.Discrete(3, start=-1))
    assert policy.n_params == 15
    assert policy.act(np.zeros(15), np.ones(4)) == -1
    params = np.zeros(15)
    params[-1] = 1.0  # bias of the last logit
    assert policy.act(params, np.ones(4)) == 1


def test_box_actions_are_squashed_onto_the_bounds():
    box = spaces.Box(low=np.float32([0, -1]), high=np.float32([1, 3]), dtype=np.float32)
    policy = MLPPolicy(PENDULUM.observation_space, box, hidden=(4,))
    assert policy.n_params == (3 + 1) * 4 + (4 + 1) * 2
    mid = policy.act(np.zeros(policy.n_params), np.ones(3))
    assert mid.dtype == np.float32 and mid.shape == (2,)
    np.testing.assert_allclose(mid, [0.5, 1.0])
    P = np.random.default_rng(1).normal(scale=50, size=(6, policy.n_params))
    actions = policy.act(P, np.random.default_rng(2).normal(size=(6, 9, 3)))
    assert actions.shape == (6, 9, 2)
    assert np.all(actions >= box.low) and np.all(actions <= box.high)
    pendulum = LinearPolicy(PENDULUM.observation_space, PENDULUM.action_space)
    assert pendulum.n_params == 4 and pendulum.act(np.zeros(4), np.ones(3)).shape == (1,)


def test_discrete_observations_are_one_hot():
    policy = LinearPolicy(spaces.Discrete(16), spaces.Discrete(4))
    assert policy.n_params == (16 + 1) * 4
    params = np.zeros(policy.n_params)
    W = policy.layers(params)[0][0]
    W[5, 2] = 1.0  # state 5 prefers action 2; the view writes into params
    np.testing.assert_array_equal(policy.act(params, np.array([5, 6])), [2, 0])


@settings(max_examples=30, deadline=None)
@given(hidden=hs.sampled_from([(), (3,), (4, 2)]), seed=hs.integers(0, 2**32 - 1),
       env=hs.sampled_from([CARTPOLE, MOUNTAINCAR]))
def test_batched_acting_matches_acting_one_vector_at_a_time(hidden, seed, env):
    # MountainCar's bounds are not centred on 0: the input shift folded into the first
    # layer's bias is exercised too.
    rng = np.random.default_rng(seed)
    policy = MLPPolicy(env.observation_space, env.action_space, hidden=hidden)
    d = env.observation_space.shape[0]
    P = rng.normal(size=(4, policy.n_params))
    obs = rng.normal(size=(4, 3, d)) * np.minimum(env.observation_space.high, 10)
    one_at_a_time = np.array([policy.act(P[i], obs[i]) for i in range(4)])
    np.testing.assert_array_equal(policy.act(P, obs), one_at_a_time)
    # The rollout's fast path (input scaling folded into the first layer) agrees too.
    np.testing.assert_allclose(policy.network(P)(obs[:, 0]), policy.outputs(P, obs)[:, 0],
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(policy.network(P[0])(obs[0]), policy.outputs(P[0], obs[0]),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_cross_entropy_gradient_matches_finite_differences(activation):
    rng = np.random.default_rng(0)
    policy = MLPPolicy(PENDULUM.observation_space, spaces.Discrete(3), hidden=(5, 4),
                       activation=activation)
    params = rng.normal(size=policy.n_params)
    obs = rng.uniform(-1, 1, size=(11, 3)) * [1, 1, 8]
    actions = rng.integers(0, 3, size=11)
    loss, grad = policy.cross_entropy(params, obs, actions)
    probs = policy.probs(params, obs)
    assert loss == pytest.approx(-np.log(probs[np.arange(11), actions]).mean(), rel=1e-12)
    h = 1e-6
    numeric = np.array([
        (policy.cross_entropy(params + h * e, obs, actions)[0]
         - policy.cross_entropy(params - h * e, obs, actions)[0]) / (2 * h)
        for e in np.eye(policy.n_params)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_sampled_actions_follow_the_softmax():
    logits = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.0]])
    n = 40_000
    draws = sample_actions(np.repeat(logits, n, axis=0), np.random.default_rng(0))
    for row, z in enumerate(logits):
        p = np.exp(z) / np.exp(z).sum()
        freq = np.bincount(draws[row * n:(row + 1) * n], minlength=3) / n
        se = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(freq - p) < 5 * se)


def test_adam_minimises_a_quadratic_and_checks_its_settings():
    adam, x = Adam(lr=0.05), np.array([1.0, -3.0, 2.0])
    for _ in range(500):
        x = adam.step(x, 2 * (x - 1))
    np.testing.assert_allclose(x, 1.0, atol=1e-3)
    with pytest.raises(ValueError, match="lr"):
        Adam(lr=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden": (0,)}, "hidden"),
    ({"hidden": (2.5,)}, "hidden"),
    ({"activation": "sigmoid"}, "activation"),
])
def test_bad_policy_options_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPPolicy(CARTPOLE.observation_space, CARTPOLE.action_space, **kwargs)


def test_unsupported_spaces_and_shapes_raise_value_error():
    with pytest.raises(ValueError, match="Box or Discrete observations"):
        LinearPolicy(spaces.Dict({"a": spaces.Discrete(2)}), spaces.Discrete(2))
    with pytest.raises(ValueError, match="Discrete or Box action"):
        LinearPolicy(CARTPOLE.observation_space, spaces.MultiBinary(3))
    policy = LinearPolicy(CARTPOLE.observation_space, CARTPOLE.action_space)
    with pytest.raises(ValueError, match="params must have shape"):
        policy.act(np.zeros(9), np.zeros(4))
    with pytest.raises(ValueError, match="obs must have shape"):
        policy.act(np.zeros((3, 10)), np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="Discrete action space"):
        LinearPolicy(PENDULUM.observation_space, PENDULUM.action_space).cross_entropy(
            np.zeros(4), np.zeros((1, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="actions must have shape"):
        policy.cross_entropy(np.zeros(10), np.zeros((3, 4)), np.zeros(2))


# -- batched rollouts against a plain gymnasium env -------------------------------------------

def test_native_vector_rollout_equals_single_env_episode_by_episode():
    f = EpisodeReturn("CartPole-v1", "linear", seed=0)
    rng = np.random.default_rng(1)
    # Random linear policies: most fall within tens of steps, some balance to the 500 cap, so
    # finished sub-envs sit through many autoreset steps that must not be counted.
    P = np.vstack([np.zeros(10), rng.normal(size=(59, 10))])
    returns = f.rollout(P, seed=123)[:, 0]
    assert returns.min() < 15 and returns.max() == 500
    # The native vector env draws all starting states from one generator: read them from a
    # twin reset with the same seed, and start each single env there.
    twin = make_vector_env("CartPole-v1", len(P))
    twin.reset(seed=123)
    starts = twin.unwrapped.state.T.copy()
    twin.close()
    expected = [single_env_return("CartPole-v1", f.policy, p, state=s)
                for p, s in zip(P, starts, strict=True)]
    np.testing.assert_array_equal(returns, expected)
    assert f.env_steps == returns.sum() and f.episodes_played == len(P)  # reward 1 per step


def make_pendulum(**kwargs):
    from gymnasium.envs.classic_control.pendulum import PendulumEnv
    return PendulumEnv(**kwargs)


def test_sync_vector_rollout_equals_single_env_episode_by_episode():
    # Pendulum registered under an entry point ceopt has no vector env for: a SyncVectorEnv,
    # Box actions, real-valued rewards; sub-env i of a SyncVectorEnv reset with seed s
    # starts as a single env reset with seed s + i.
    if "CeoptTest/SyncPendulum-v1" not in gym.registry:
        gym.register("CeoptTest/SyncPendulum-v1", entry_point=make_pendulum,
                     max_episode_steps=200)
    env_id = "CeoptTest/SyncPendulum-v1"
    policy = MLPPolicy(PENDULUM.observation_space, PENDULUM.action_space, hidden=(4,))
    f = EpisodeReturn(env_id, policy, max_steps=60, seed=0)
    assert isinstance(f._env(5), gym.vector.SyncVectorEnv)
    P = np.random.default_rng(2).normal(size=(5, policy.n_params))
    returns = f.rollout(P, seed=40)[:, 0]
    expected = [single_env_return(env_id, policy, p, seed=40 + i, max_steps=60)
                for i, p in enumerate(P)]
    np.testing.assert_allclose(returns, expected, rtol=1e-12)
    assert f.env_steps == 5 * 60


def test_acrobot_rollout_equals_single_env_including_terminated_episodes():
    acrobot = gym.make("Acrobot-v1")
    policy = LinearPolicy(acrobot.observation_space, acrobot.action_space)
    # Swinging in the direction of the lower link's velocity pumps energy: it terminates
    # (reaches the line) in well under 500 steps, so steps after termination exist.
    params = np.zeros(policy.n_params)
    W = policy.layers(params)[0][0]
    W[5, 2], W[5, 0] = 1.0, -1.0
    P = np.vstack([params, params * 0.5, np.zeros(policy.n_params)])
    f = EpisodeReturn("Acrobot-v1", policy, seed=0)
    returns = f.rollout(P, seed=7)[:, 0]
    expected = [single_env_return("Acrobot-v1", policy, p, seed=7 + i)
                for i, p in enumerate(P)]
    np.testing.assert_array_equal(returns, expected)
    assert returns[0] > -500 and returns[2] == -500


def test_episodes_are_cut_at_max_steps_and_nothing_after_an_end_is_counted():
    f = EpisodeReturn("CartPole-v1", "linear", episodes=4, max_steps=50, seed=0)
    balancer = np.zeros(10)
    balancer[[5, 7]] = 1.0  # push right when the pole leans or falls right: balances
    balancer[[4, 6]] = -1.0
    returns = f.rollout(np.vstack([balancer, np.zeros(10)]))
    assert np.all(returns[0] == 50)
    assert np.all(returns[1] < 15)  # always pushing left: the pole falls fast
    assert f.env_steps == returns.sum()


@pytest.mark.parametrize("env_id, limit, kwargs", [
    ("CartPole-v1", 500, {}), ("Pendulum-v1", 200, {}), ("MountainCarContinuous-v0", 999, {}),
    ("FrozenLake-v1", 100, {"is_slippery": False}), ("CliffWalking-v1", None, {})])
def test_the_environments_own_truncation_ends_an_episode(env_id, limit, kwargs):
    # max_steps beyond the time limit: the env truncates first (gymnasium's vector envs, and
    # ceopt's tabular and classic ones), and what its autoreset plays afterwards is not
    # counted. All-zero parameters never end an episode otherwise (the first action: left
    # on the lake, up on the cliff, no force on the car). CliffWalking has no limit of its
    # own: max_steps ends its episodes.
    if limit is None:
        f = EpisodeReturn(env_id, seed=0, max_steps=300, **kwargs)
        f.rollout(np.zeros((1, f.policy.n_params)))
        assert f.env_steps == 300
        return
    f = EpisodeReturn(env_id, seed=0, max_steps=limit + 100, **kwargs)
    params = np.zeros((1, f.policy.n_params))
    if env_id == "CartPole-v1":
        params[0, [5, 7]], params[0, [4, 6]] = 1.0, -1.0  # a balancer: plays to the limit
    returns = f.rollout(params)
    assert f.env_steps == limit
    if env_id == "CartPole-v1":
        assert returns[0, 0] == limit


def test_the_same_seed_gives_the_same_returns():
    P = np.random.default_rng(0).normal(size=(8, 10))
    a, b = EpisodeReturn("CartPole-v1", seed=5), EpisodeReturn("CartPole-v1", seed=5)
    first = a(P)
    np.testing.assert_array_equal(first, b(P))
    np.testing.assert_array_equal(a(P), b(P))  # the second call too
    assert not np.array_equal(first, EpisodeReturn("CartPole-v1", seed=6)(P))
    # A pickled objective continues the same sequence (its envs are rebuilt).
    c = EpisodeReturn("CartPole-v1", seed=5, episodes=2)
    c(P)
    d = pickle.loads(pickle.dumps(c))
    np.testing.assert_array_equal(c(P), d(P))


def test_episode_counts_per_row():
    with EpisodeReturn("CartPole-v1", seed=0) as f:
        returns = f.episode_returns(np.zeros((2, 10)), [3, 1])
        assert returns.shape == (4,) and f.episodes_played == 4 and f.open_envs == 1
    assert f.open_envs == 0  # closed by the with block
    with pytest.raises(ValueError, match="counts"):
        f.episode_returns(np.zeros((2, 10)), [3, 0])


@pytest.mark.parametrize("P, match", [
    (np.zeros(10), r"shape \(n, 10\)"),
    (np.zeros((3, 9)), r"shape \(n, 10\)"),
    (np.full((2, 10), np.nan), "finite"),
])
def test_bad_populations_raise_value_error(P, match):
    with pytest.raises(ValueError, match=match):
        EpisodeReturn("CartPole-v1")(P)


@pytest.mark.parametrize("kwargs, match", [
    ({"policy": "cnn"}, "policy must be"),
    ({"episodes": 0}, "episodes"),
    ({"max_steps": 0}, "max_steps"),
])
def test_bad_objective_options_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EpisodeReturn("CartPole-v1", **kwargs)


# -- the CE methods ------------------------------------------------------------------------

def test_policy_search_solves_cartpole_with_a_linear_policy():
    res = policy_search("CartPole-v1", "linear", seed=0, progress=False)
    assert res.success and res.eval_return >= 475
    assert res.eval_returns.shape == (100,) and res.eval_return == res.eval_returns.mean()
    assert res.message.startswith("target return 475 reached")
    assert res.x.shape == (10,) and isinstance(res.policy, LinearPolicy)
    # The policy it returns holds up on episodes it has never seen.
    check = EpisodeReturn("CartPole-v1", res.policy, episodes=100, seed=99)
    assert check(res.x[None])[0] >= 450
    assert len(res.history["best"]) == res.nit
    assert np.all(np.diff(res.history["env_steps"]) > 0)
    assert res.env_steps == res.history["env_steps"][-1]


def test_a_short_check_is_confirmed_by_a_full_evaluation():
    # What happens by default on envs without a native vector env: the mean plays 5 episodes
    # in the rollout, and only a passing check earns the 100-episode evaluation.
    res = policy_search("CartPole-v1", seed=0, check_episodes=5, progress=False)
    assert res.success and res.eval_returns.shape == (100,) and res.eval_return >= 475
    checks = res.history["policy_return"]
    assert checks[-1] >= 475 and res.env_steps == res.history["env_steps"][-1]


def test_policy_search_is_reproducible_and_reports_failure_honestly():
    kw = {"seed": 3, "max_iter": 2, "popsize": 20, "eval_episodes": 10, "progress": False}
    a, b = policy_search("CartPole-v1", "mlp", **kw), policy_search("CartPole-v1", "mlp", **kw)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.eval_returns, b.eval_returns)
    assert a.nit == 2 and a.nfev == (20 + 1) + (20 + 2) and not a.success  # + mean, best
    assert "max_iter" in a.message and "not reached" in a.message
    assert a.fun == a.eval_return and a.eval_returns.shape == (10,)


def test_policy_search_callback_can_stop_it():
    seen = []
    res = policy_search("CartPole-v1", seed=0, progress=False, target_return=1e9,
                        callback=lambda r: seen.append(r.nit) or r.nit == 2)
    assert seen == [1, 2] and res.nit == 2 and not res.success


@pytest.mark.slow
def test_flat_scores_keep_the_search_spread():
    # MountainCar: no random linear policy reaches the flag, every candidate scores -200.
    res = policy_search("MountainCar-v0", seed=0, max_iter=3, popsize=20, eval_episodes=2,
                        progress=False)
    assert np.all(res.history["best"] == -200)
    np.testing.assert_array_equal(res.dist.std, 1.0)
    assert res.eval_return == -200 and not res.success


@pytest.mark.parametrize("kwargs, match", [
    ({"sigma0": 0}, "sigma0"),
    ({"eval_episodes": 0}, "eval_episodes"),
    ({"elite_frac": 1.5}, "elite_frac"),
    ({"max_iter": 0}, "max_iter"),
    ({"check_episodes": 0}, "check_episodes"),
    ({"check_episodes": 20, "eval_episodes": 10}, "must not exceed"),
    ({"policy": LinearPolicy(CARTPOLE.observation_space, spaces.Discrete(3))}, "built for"),
])
def test_bad_policy_search_options_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        policy_search("CartPole-v1", progress=False, **kwargs)


@pytest.mark.slow
def test_episode_cross_entropy_beats_a_random_policy_within_twenty_iterations():
    res = episode_cross_entropy("CartPole-v1", seed=0, max_iter=20, progress=False)
    random_policy = res.history["mean"][0]  # the untrained network's batch, about 22
    assert random_policy < 40
    assert res.nit == 20 and res.history["mean"][-5:].mean() > 3 * random_policy
    assert res.eval_return > 200 and res.eval_returns.shape == (100,)


def test_episode_cross_entropy_is_reproducible():
    kw = {"seed": 1, "max_iter": 3, "eval_episodes": 5, "progress": False, "hidden": 8}
    a, b = episode_cross_entropy("CartPole-v1", **kw), episode_cross_entropy("CartPole-v1", **kw)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history["mean"], b.history["mean"])


@pytest.mark.parametrize("env_id, kwargs, match", [
    ("Pendulum-v1", {}, "Discrete action space"),
    ("CartPole-v1", {"percentile": 100}, "percentile"),
    ("CartPole-v1", {"batch_episodes": 1}, "batch_episodes"),
    ("CartPole-v1", {"lr": -1}, "lr"),
])
def test_bad_episode_options_raise_value_error(env_id, kwargs, match):
    with pytest.raises(ValueError, match=match):
        episode_cross_entropy(env_id, progress=False, **kwargs)


@settings(max_examples=20, deadline=None)
@given(P=arrays(np.float64, (3, 4), elements=hs.floats(-1e6, 1e6)))
def test_pendulum_actions_stay_in_bounds_for_any_parameters(P):
    policy = LinearPolicy(PENDULUM.observation_space, PENDULUM.action_space)
    actions = policy.batch_actor(P)(np.random.default_rng(0).normal(size=(3, 3)))
    assert actions.shape == (3, 1)
    assert np.all(np.abs(actions) <= 2.0)


# -- spaces beyond the classic-control defaults ------------------------------------------------

def test_discrete_observations_through_a_vector_env_match_the_single_env():
    # FrozenLake without the slippery ice: Discrete(16) observations (one-hot), stepped by
    # the tabular vector env from the environment's own tables, and a 100-step time limit.
    # Deterministic moves must give exactly the single environment's returns.
    kwargs = {"is_slippery": False}
    lake = gym.make("FrozenLake-v1", **kwargs)
    policy = LinearPolicy(lake.observation_space, lake.action_space)
    rng = np.random.default_rng(3)
    P = rng.normal(size=(200, policy.n_params))
    # Most policies move only down or right, the way to the goal: some reach it.
    choice = rng.choice([1, 2], size=(160, 16))
    P[np.arange(160)[:, None], np.arange(16) * 4 + choice] += 10.0
    f = EpisodeReturn("FrozenLake-v1", policy, seed=0, **kwargs)
    assert isinstance(f._env(len(P)), TabularVectorEnv)
    returns = f.rollout(P, seed=11)[:, 0]
    expected = [single_env_return("FrozenLake-v1", policy, p, seed=11 + i, **kwargs)
                for i, p in enumerate(P)]
    np.testing.assert_array_equal(returns, expected)
    assert 0 < returns.sum() < len(P)  # some policies reach the goal, some do not


def exact_success(env_id, actions, steps, **kwargs):
    """The reference for ``expected_return``: policy evaluation on ``P`` by hand, outcome by
    outcome."""
    env = gym.make(env_id, **kwargs)
    P, start = env.unwrapped.P, env.unwrapped.initial_state_distrib
    value = np.zeros(len(P))
    for _ in range(steps):
        value = np.array([sum(p * (r + (0 if done else value[s2]))
                              for p, s2, r, done in P[s][int(actions[s])]) for s in P])
    return float(start @ value)


def test_expected_return_matches_policy_evaluation_by_hand():
    rng = np.random.default_rng(0)
    for env_id, kwargs in [("FrozenLake-v1", {}), ("FrozenLake-v1", {"map_name": "8x8"}),
                           ("CliffWalking-v1", {"is_slippery": True})]:
        env = gym.make(env_id, **kwargs)
        actions = rng.integers(env.action_space.n, size=env.observation_space.n)
        assert expected_return(env_id, actions, 30, **kwargs) == pytest.approx(
            exact_success(env_id, actions, 30, **kwargs), rel=1e-12, abs=1e-12)
    with pytest.raises(ValueError, match="transition tables"):
        expected_return("CartPole-v1", np.zeros(2), 10)


@pytest.mark.slow
def test_the_tabular_vector_env_draws_the_environments_transitions():
    """On the slippery lake the share of episodes that reach the goal is, within 4 standard
    errors, the probability computed from the environment's own tables."""
    lake = gym.make("FrozenLake-v1")
    policy = LinearPolicy(lake.observation_space, lake.action_space)
    optimal = np.array([0, 3, 3, 3, 0, 0, 0, 0, 3, 1, 0, 0, 0, 2, 1, 0])  # value iteration's
    params = np.zeros(policy.n_params)
    params[np.arange(16) * 4 + optimal] = 1.0  # weight (state, action): one-hot row -> action
    assert np.array_equal(policy.act(params, np.arange(16)), optimal)
    p = expected_return("FrozenLake-v1", optimal, 100)
    assert p == pytest.approx(0.740, abs=1e-3)  # (0.744 for the best non-stationary policy)
    n = 20_000
    f = EpisodeReturn("FrozenLake-v1", policy, episodes=n, seed=5)
    share = f.rollout(params[None])[0].mean()
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_multidimensional_and_half_bounded_box_spaces():
    obs_space = spaces.Box(-1.0, 1.0, (2, 3), dtype=np.float32)
    low = np.float32([[0, -np.inf], [-1, -np.inf]])
    high = np.float32([[np.inf, np.inf], [1, 5]])
    act_space = spaces.Box(low, high, dtype=np.float32)
    policy = MLPPolicy(obs_space, act_space, hidden=(4,))
    assert policy.n_params == (6 + 1) * 4 + (4 + 1) * 4
    P = np.random.default_rng(0).normal(scale=30, size=(5, policy.n_params))
    actions = policy.act(P, np.random.default_rng(1).uniform(-1, 1, (5, 7, 2, 3)))
    assert actions.shape == (5, 7, 2, 2) and actions.dtype == np.float32
    assert np.all(actions >= low) and np.all(actions <= high)  # [0, inf) is clipped
    assert policy.batch_actor(P)(np.zeros((5, 2, 3))).shape == (5, 2, 2)
    # A (1, 3) observation is one observation, not a batch of one.
    single = MLPPolicy(spaces.Box(-1.0, 1.0, (1, 3), dtype=np.float32), spaces.Discrete(2))
    assert single.act(np.zeros(single.n_params), np.zeros((1, 3))).shape == ()
    assert single.act(np.zeros(single.n_params), np.zeros((4, 1, 3))).shape == (4,)
    with pytest.raises(ValueError, match="space's shape"):
        policy.act(P[0], np.zeros((3, 2)))


def test_bounds_as_wide_as_float32_allows_count_as_unbounded():
    big = np.finfo(np.float32).max
    obs_space = spaces.Box(np.float32([-1, -big]), np.float32([1, big]), dtype=np.float32)
    act_space = spaces.Box(-big, big, (1,), dtype=np.float32)
    policy = LinearPolicy(obs_space, act_space)
    params = np.zeros(policy.n_params)
    params[1] = 1.0  # action = the second (velocity) input, unscaled and unsquashed
    np.testing.assert_allclose(policy.act(params, np.float32([0.5, 100.0])), [100.0])


def test_out_of_range_discrete_inputs_are_errors():
    policy = LinearPolicy(spaces.Discrete(4, start=1), spaces.Discrete(2))
    with pytest.raises(ValueError, match="observations must lie"):
        policy.act(np.zeros(policy.n_params), np.array([0, 2]))
    with pytest.raises(ValueError, match="actions must lie"):
        policy.cross_entropy(np.zeros(policy.n_params), np.array([1, 2]), np.array([0, -1]))


def test_save_policy_appends_the_suffix_and_returns_the_real_path(tmp_path):
    from ceopt.rl.io import load_policy, save_policy

    res = policy_search("CartPole-v1", seed=0, max_iter=1, eval_episodes=3, progress=False)
    path = save_policy(tmp_path / "policy", res, seed=0)
    assert path == tmp_path / "policy.npz" and path.exists()
    policy, params, spec = load_policy(path)
    np.testing.assert_array_equal(params, res.x)
    assert spec["env_kwargs"] == {} and spec["seed"] == 0


# -- noisy returns: episodes="auto" ------------------------------------------------------------

def test_auto_episodes_add_episodes_until_the_ranking_is_mostly_signal():
    rng = np.random.default_rng(0)
    count = EpisodeCount("auto", maximum=64)
    truth = np.linspace(0.2, 0.8, 50)  # success probabilities of 50 candidates
    returns = (rng.random((50, count.count)) < truth[:, None]).astype(float)
    while extra := count.more(returns):
        returns = np.hstack([returns, (rng.random((50, extra)) < truth[:, None])])
    # At the end, noise (within-candidate variance / episodes) is at most a quarter of the
    # variance of the scores, or the maximum was reached.
    e = returns.shape[1]
    noise = returns.var(axis=1, ddof=1).mean() / e
    assert e == 64 or noise <= 0.25 * returns.mean(axis=1).var(ddof=1)
    assert 2 < e <= 64 and count.count == e


@settings(max_examples=40, deadline=None)
@given(n=hs.integers(2, 30), e=hs.integers(2, 40), seed=hs.integers(0, 2**32 - 1))
def test_auto_episodes_stay_within_their_bounds(n, e, seed):
    rng = np.random.default_rng(seed)
    count = EpisodeCount("auto", maximum=40)
    extra = count.more(rng.normal(size=(n, e)))
    assert 0 <= extra <= max(40 - e, 0)
    assert 2 <= count.count <= 40


def test_deterministic_returns_need_two_episodes_and_fixed_counts_never_change():
    count = EpisodeCount("auto")
    returns = np.repeat(np.arange(10.0)[:, None], 8, axis=1)  # each candidate's own value
    assert count.more(returns) == 0 and count.count == 2
    fixed = EpisodeCount(5)
    assert fixed.more(np.random.default_rng(0).random((10, 5))) == 0 and fixed.count == 5
    flat = EpisodeCount("auto")  # no candidate has scored yet: look harder
    assert flat.more(np.zeros((10, 2))) == 2


@pytest.mark.slow
def test_policy_search_with_auto_episodes_learns_the_slippery_lake():
    """FrozenLake's 0/1 returns: with episodes chosen from the noise, 20 iterations find a
    policy that reaches the goal with probability at least 0.6 (a random one: about 0.015;
    the best, 0.74), and the returned evaluation is played after the run on fresh episodes."""
    res = policy_search("FrozenLake-v1", seed=0, episodes="auto", max_iter=20,
                        target_return=2.0, progress=False)  # no stop on the target
    actions = res.policy.act(res.x, np.arange(16))
    assert expected_return("FrozenLake-v1", actions, 100) >= 0.6
    assert res.history["episodes"].max() > 2 and res.eval_returns.size == 100
    assert res.fun == res.eval_return == res.eval_returns.mean()


@pytest.mark.slow
def test_auto_episodes_report_success_only_on_fresh_episodes():
    res = policy_search("FrozenLake-v1", seed=3, episodes="auto", max_iter=30,
                        progress=False)
    assert res.success == (res.eval_return >= 0.7)
    if not res.success:
        assert "not reached" in res.message


def test_bad_episodes_raise_value_error():
    with pytest.raises(ValueError, match="episodes must be a positive int or 'auto'"):
        policy_search("CartPole-v1", episodes="many", progress=False)
    with pytest.raises(ValueError, match="max_episodes"):
        policy_search("CartPole-v1", episodes="auto", max_episodes=1, progress=False)


def test_only_environments_that_step_by_their_tables_are_tabular():
    from ceopt.rl.tabular import tabular_model
    assert tabular_model("FrozenLake-v1") is not None
    assert tabular_model("Taxi-v4") is not None
    assert tabular_model("Taxi-v4", fickle_passenger=True) is None  # step() changes it
    assert tabular_model("CartPole-v1") is None


def test_auto_episodes_refuse_non_finite_returns():
    with pytest.raises(ValueError, match="episode returns must be finite"):
        EpisodeCount("auto").more(np.array([[1.0, np.nan], [0.0, 1.0]]))
