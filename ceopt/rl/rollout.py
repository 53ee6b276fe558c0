"""Batched episodes on gymnasium's vector environments, and the objective ``EpisodeReturn``.

Every parameter vector of a population plays its episodes in its own sub-environment of one
vector environment, and one ``step`` call advances them all: the policy acts on the whole
batch of observations at once. Environments with a native vector implementation (CartPole
steps 0.5 M steps/s at 16 copies, 6 M at 256) use it, as do the tabular MDPs and Pendulum and
MountainCarContinuous (numpy versions here); the others a :class:`OneEpisodeSyncVectorEnv`,
which steps its copies one by one and only while their episode lasts.

gymnasium 1.x vector environments reset a finished sub-environment on the *next* step: that
step ignores the action, returns the first observation of a new episode, reward 0 and
``terminated = truncated = False``. Each sub-environment here plays exactly one episode, so
from the step on which its episode ends it is masked out: nothing it returns afterwards is
counted, recorded or trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import concatenate, iterate
from numpy.typing import ArrayLike, NDArray

from .._checks import flag, generator, integer
from .classic import classic_vector_env
from .policies import LinearPolicy, MLPPolicy
from .tabular import TabularVectorEnv, tabular_model

#: Seeds handed to ``reset`` are drawn below this bound (a ``SyncVectorEnv`` adds the
#: sub-environment's index to it, which must stay a valid seed).
SEED_BOUND = 2**62


def has_native_vector_env(env_id: str, **env_kwargs) -> bool:
    """Whether ``env_id`` steps all its copies in one numpy call, where a ``SyncVectorEnv``
    steps them one by one: it has its own vector implementation (CartPole does), it is a
    tabular MDP (:mod:`ceopt.rl.tabular`: FrozenLake, CliffWalking, Taxi), or one of
    :mod:`ceopt.rl.classic` (Pendulum, MountainCarContinuous)."""
    env = _numpy_vector_env(env_id, 1, **env_kwargs)
    if env is None:
        return False
    env.close()
    return True


def common_episodes_flag(argument: str, value: object, env_id: str, **env_kwargs) -> bool:
    """``value`` of the option ``argument`` (common random numbers across a population's
    episodes) checked: a flag, and True only for an environment stepped by a
    ``SyncVectorEnv``, which seeds each copy apart; a vector env of its own seeds all its
    copies from one generator."""
    common = flag(argument, value)
    if common and has_native_vector_env(env_id, **env_kwargs):
        raise ValueError(f"{argument}=True needs an environment stepped by a SyncVectorEnv; "
                         f"{env_id} has a vector env that seeds all its copies from one "
                         f"generator: pass {argument}=False")
    return common


def make_vector_env(env_id: str, num_envs: int, **env_kwargs) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``env_id``: its native vector env, the tabular or classic one,
    else sync."""
    env = _numpy_vector_env(env_id, num_envs, **env_kwargs)
    if env is not None:
        return env
    return OneEpisodeSyncVectorEnv([partial(gym.make, env_id, **env_kwargs)] * num_envs)


class OneEpisodeSyncVectorEnv(gym.vector.SyncVectorEnv):
    """A ``SyncVectorEnv`` in which every copy plays one episode per ``reset``: from the step
    on which its episode ends, a copy is stepped no more (no autoreset) and returns its last
    observation, reward 0 and the flags it ended with.

    :func:`play` masks a copy once its episode has ended, so stepping it further is wasted
    time, and episodes differ in length: a LunarLander population's last from under 100
    steps (a crash) to 1000 (hovering), and a ``SyncVectorEnv`` stepped every copy until the
    longest had ended (2 to 3 times the time of this one on random linear policies). Copies are
    reset with seeds ``seed + i``, as by a ``SyncVectorEnv``, so the returns are the same.
    """

    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None):
        self._ended = np.zeros(self.num_envs, dtype=bool)
        return super().reset(seed=seed, options=options)

    def step(self, actions: Any):
        actions = list(iterate(self.action_space, actions))
        self._rewards[self._ended] = 0.0
        for i in np.flatnonzero(~self._ended):
            (self._env_obs[i], self._rewards[i], self._terminations[i],
             self._truncations[i], _) = self.envs[i].step(actions[i])
        self._ended |= self._terminations | self._truncations
        self._observations = concatenate(self.single_observation_space, self._env_obs,
                                         self._observations)
        return (self._observations.copy(), self._rewards.copy(), self._terminations.copy(),
                self._truncations.copy(), {})


def _numpy_vector_env(env_id: str, num_envs: int, **env_kwargs) -> gym.vector.VectorEnv | None:
    """``num_envs`` copies of ``env_id`` stepped in one numpy call (the three kinds of
    :func:`has_native_vector_env`), or None when there is no such vector env."""
    if gym.spec(env_id).vector_entry_point is not None:
        return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
                            **env_kwargs)
    model = _tabular(env_id, env_kwargs)
    if model is not None:
        return TabularVectorEnv(model, num_envs, gym.spec(env_id).max_episode_steps)
    return classic_vector_env(env_id, num_envs, **env_kwargs)


_TABLES: dict[str, Any] = {}


def _tabular(env_id: str, env_kwargs: dict) -> dict | None:
    """The tables of a tabular MDP (None for other environments), read once per id and
    keyword arguments."""
    key = f"{env_id}|{sorted(env_kwargs.items())!r}"
    if key not in _TABLES:
        _TABLES[key] = tabular_model(env_id, **env_kwargs)
    return _TABLES[key]


def env_spaces(env_id: str, **env_kwargs) -> tuple[gym.Space, gym.Space]:
    """``(observation_space, action_space)`` of ``env_id``, read from a throwaway env."""
    env = gym.make(env_id, **env_kwargs)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def episode_limit(env_id: str, max_steps: int | None) -> int:
    """``max_steps``, else the environment's own time limit; an error when there is neither."""
    if max_steps is not None:
        return integer("max_steps", max_steps, 1)
    limit = gym.spec(env_id).max_episode_steps
    if limit is None:
        raise ValueError(f"{env_id} has no time limit of its own: give max_steps")
    return int(limit)


@dataclass
class Episodes:
    """What :func:`play` returns: per sub-environment return and length, and, if recorded, the
    observations and actions of every counted step (``live[t, i]`` marks them)."""

    returns: NDArray
    lengths: NDArray
    obs: NDArray | None = None
    actions: NDArray | None = None
    live: NDArray | None = None


def play(env: gym.vector.VectorEnv, act: Callable[[NDArray], NDArray], max_steps: int,
         seed: int | list[int], record: bool = False) -> Episodes:
    """One episode in every sub-environment of ``env``, acting with ``act(obs) -> actions``.

    ``seed`` is the reset seed of the vector env, or one per sub-environment (a
    ``SyncVectorEnv`` takes those; native vector envs do not).

    An episode ends when the environment terminates or truncates it, or after ``max_steps``
    steps; the loop stops as soon as every episode has ended.
    """
    n = env.num_envs
    obs, _ = env.reset(seed=seed)
    returns = np.zeros(n)
    lengths = np.zeros(n, dtype=np.int64)
    live = np.ones(n, dtype=bool)
    obs_log, act_log, live_log = [], [], []
    for _ in range(max_steps):
        actions = act(obs)
        if record:
            obs_log.append(obs)
            act_log.append(actions)
            live_log.append(live.copy())
        obs, reward, terminated, truncated, _ = env.step(actions)
        returns += np.where(live, reward, 0.0)
        lengths += live
        live &= ~(terminated | truncated)
        if not live.any():
            break
    if not record:
        return Episodes(returns, lengths)
    return Episodes(returns, lengths, np.stack(obs_log), np.stack(act_log), np.stack(live_log))


class EpisodeReturn:
    """The objective of policy search: mean episode return of each parameter vector.

    ``f(P)`` maps a population ``P`` of shape ``(n, policy.n_params)`` to the ``(n,)`` mean
    returns over ``episodes`` episodes each, all ``n * episodes`` episodes played in one
    batched rollout. Each call plays fresh episodes: its reset seed is drawn from a generator
    made from ``seed``, so the same seed gives the same sequence of returns. With ``common``,
    the rows of one call play the same episodes (common random numbers): the ``k``-th episode
    of every row starts from the same seed, so that two rows' returns differ by their
    parameters, not by their luck in the start states (LunarLander's terrain and first push).

    Attributes ``env_steps`` and ``episodes_played`` count the steps and episodes played so far
    (only counted steps: none after an episode ended). The vector environments it builds (one
    per batch size) stay open for the next call until :meth:`close`, or the end of a ``with``
    block.

    Parameters
    ----------
    env_id : str
        A registered gymnasium environment with a Box or Discrete observation space and a
        Discrete or Box action space.
    policy : MLPPolicy, "linear" or "mlp"
        The policy the parameter vectors belong to (the strings build one for ``env_id``).
    episodes : int
        Episodes per parameter vector; the score is their mean.
    max_steps : int, optional
        Cut episodes after this many steps (default: the environment's time limit).
    seed : int, numpy.random.Generator or None
    common : bool
        Common random numbers across the rows of a call; only for environments stepped by a
        ``SyncVectorEnv`` (those without a vector env of their own or here), which seed every
        copy apart.
    **env_kwargs
        Passed on to the environment (``gymnasium.make``).

    Example
    -------
    >>> import numpy as np
    >>> f = EpisodeReturn("CartPole-v1", "linear", seed=0)
    >>> f(np.zeros((3, f.policy.n_params)))     # always push left: the pole falls fast
    array([10.,  9., 10.])
    """

    def __init__(self, env_id: str, policy: MLPPolicy | str = "linear", *, episodes: int = 1,
                 max_steps: int | None = None, seed: int | np.random.Generator | None = None,
                 common: bool = False, **env_kwargs):
        self.env_id = env_id
        self.policy = make_policy(env_id, policy, **env_kwargs)
        self.episodes = integer("episodes", episodes, 1)
        self.max_steps = episode_limit(env_id, max_steps)
        self.env_kwargs = env_kwargs
        self._rng = generator(seed)
        self.common = common_episodes_flag("common", common, env_id, **env_kwargs)
        self._envs: dict[int, gym.vector.VectorEnv] = {}
        self.env_steps = 0
        self.episodes_played = 0

    def __call__(self, P: ArrayLike) -> NDArray:
        return self.rollout(P).mean(axis=1)

    def rollout(self, P: ArrayLike, seed: int | None = None) -> NDArray:
        """Returns of every episode, shape ``(n, episodes)``; ``seed`` fixes the reset seed
        (default: the next one from the generator)."""
        P = self._check(P)
        counts = np.full(P.shape[0], self.episodes)
        return self.episode_returns(P, counts, seed).reshape(P.shape[0], self.episodes)

    def episode_returns(self, P: ArrayLike, counts: ArrayLike,
                        seed: int | None = None) -> NDArray:
        """Returns of ``counts[i]`` episodes of each row ``P[i]``, all in one batched rollout,
        concatenated row by row (shape ``(sum(counts),)``)."""
        P = self._check(P)
        counts = np.asarray(counts)
        if (counts.shape != (P.shape[0],) or not np.issubdtype(counts.dtype, np.integer)
                or np.any(counts < 1)):
            raise ValueError(f"counts must be {P.shape[0]} positive ints, got {counts!r}")
        # Sub-environment j plays one episode with row owner[j] of P.
        per_env = np.repeat(P, counts, axis=0)
        env = self._env(per_env.shape[0])
        if seed is None:
            seed = int(self._rng.integers(SEED_BOUND))
        if self.common:  # episode k of every row from seed + k
            seed = [seed + k for count in counts for k in range(count)]
        played = play(env, self.policy.batch_actor(per_env), self.max_steps, seed)
        self.env_steps += int(played.lengths.sum())
        self.episodes_played += per_env.shape[0]
        return played.returns

    def _check(self, P: ArrayLike) -> NDArray:
        P = np.asarray(P, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != self.policy.n_params or P.shape[0] == 0:
            raise ValueError(f"P must have shape (n, {self.policy.n_params}) with n >= 1, got "
                             f"{P.shape}")
        if not np.all(np.isfinite(P)):
            raise ValueError("P must be finite")
        return P

    def _env(self, num_envs: int) -> gym.vector.VectorEnv:
        # One vector env per batch size, kept: building a SyncVectorEnv of hundreds of copies
        # costs more than a rollout of CartPole.
        if num_envs not in self._envs:
            self._envs[num_envs] = make_vector_env(self.env_id, num_envs, **self.env_kwargs)
        return self._envs[num_envs]

    @property
    def open_envs(self) -> int:
        """How many vector environments it holds open (one per batch size it has played)."""
        return len(self._envs)

    def close(self) -> None:
        """Close the vector environments (a later call builds them again)."""
        for env in self._envs.values():
            env.close()
        self._envs.clear()

    def __enter__(self) -> EpisodeReturn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict:
        # Environments are rebuilt on demand: they hold simulators that need not pickle.
        state = self.__dict__.copy()
        state["_envs"] = {}
        return state

    def __repr__(self) -> str:
        common = ", common=True" if self.common else ""
        return (f"EpisodeReturn({self.env_id!r}, {self.policy!r}, episodes={self.episodes}, "
                f"max_steps={self.max_steps}{common})")


def make_policy(env_id: str, policy: MLPPolicy | str, **env_kwargs) -> MLPPolicy:
    """``policy`` itself, checked against ``env_id``'s spaces, or a ``"linear"``/``"mlp"``
    policy for them."""
    if not isinstance(policy, MLPPolicy) and policy not in ("linear", "mlp"):
        raise ValueError(f"policy must be 'linear', 'mlp' or an MLPPolicy, got {policy!r}")
    obs_space, act_space = env_spaces(env_id, **env_kwargs)
    if isinstance(policy, MLPPolicy):
        if policy.observation_space != obs_space or policy.action_space != act_space:
            raise ValueError(f"the policy was built for {policy.observation_space} -> "
                             f"{policy.action_space}, {env_id} has {obs_space} -> {act_space}")
        return policy
    if policy == "linear":
        return LinearPolicy(obs_space, act_space)
    return MLPPolicy(obs_space, act_space)
