"""A numpy vector environment for gymnasium's tabular MDPs (FrozenLake, CliffWalking, Taxi).

gymnasium's toy-text environments publish their whole model: ``P[s][a]`` lists the
``(probability, next state, reward, terminated)`` outcomes of action ``a`` in state ``s``, and
``initial_state_distrib`` the start. gymnasium has no vector version of them, and a
``SyncVectorEnv`` steps its copies one Python call at a time (about 3,000 steps/s for
FrozenLake); stepping every copy from the tables at once in numpy is hundreds of times faster,
which is what makes several episodes per candidate affordable. The outcomes are drawn from
the same distributions as the environment's own ``step`` (not from the same random stream).

Stepping, seeding and the time limit are those of :class:`~ceopt.rl.numpy_env.NumpyVectorEnv`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from .numpy_env import NumpyVectorEnv

#: The environments whose ``step`` does no more than draw from their tables ``P`` (Taxi's
#: fickle passenger changes its destination in ``step``: that Taxi is stepped by gymnasium).
TABULAR = ("FrozenLakeEnv", "CliffWalkingEnv", "TaxiEnv")


def tabular_model(env_id: str, **env_kwargs) -> dict[str, NDArray] | None:
    """The tables of ``env_id``'s MDP, or None unless it is one of :data:`TABULAR` (with
    ``P`` and ``initial_state_distrib`` on the unwrapped env)."""
    env = gym.make(env_id, **env_kwargs)
    try:
        base = env.unwrapped
        P, start = getattr(base, "P", None), getattr(base, "initial_state_distrib", None)
        spaces = (env.observation_space, env.action_space)
        if (type(base).__name__ not in TABULAR or getattr(base, "fickle_passenger", False)
                or P is None or start is None):
            return None
        n_states, n_actions = int(spaces[0].n), int(spaces[1].n)
        k = max(len(P[s][a]) for s in P for a in P[s])
        prob = np.zeros((n_states, n_actions, k))
        nxt = np.zeros((n_states, n_actions, k), dtype=np.int64)
        reward = np.zeros((n_states, n_actions, k))
        done = np.zeros((n_states, n_actions, k), dtype=bool)
        for s in P:
            for a in P[s]:
                for j, (p, s2, r, d) in enumerate(P[s][a]):
                    prob[s, a, j], nxt[s, a, j], reward[s, a, j], done[s, a, j] = p, s2, r, d
        return {"cumprob": _cumulative(prob), "next": nxt, "reward": reward,
                "done": done, "start": _cumulative(np.asarray(start, dtype=float)),
                "obs_space": spaces[0], "act_space": spaces[1]}
    finally:
        env.close()


def expected_return(env_id: str, actions: NDArray, steps: int, **env_kwargs) -> float:
    """The exact expected return of the deterministic policy ``actions[s]`` over ``steps``
    steps from the start, by policy evaluation on the tables: for FrozenLake, the probability
    of reaching the goal within the time limit (what a mean over episodes estimates)."""
    model = tabular_model(env_id, **env_kwargs)
    if model is None:
        raise ValueError(f"{env_id} does not publish its transition tables")
    s = np.arange(model["next"].shape[0])
    a = np.asarray(actions, dtype=np.int64)
    if a.shape != s.shape:
        raise ValueError(f"actions must have one entry per state, shape {s.shape}, got "
                         f"{a.shape}")
    prob = np.diff(model["cumprob"][s, a], prepend=0.0, axis=1)
    reward, done, nxt = model["reward"][s, a], model["done"][s, a], model["next"][s, a]
    value = np.zeros(s.size)
    for _ in range(steps):  # value_t(s) = sum_k p_k (r_k + [not done_k] value_t-1(s'_k))
        value = (prob * (reward + np.where(done, 0.0, value[nxt]))).sum(axis=1)
    start = np.diff(model["start"], prepend=0.0)
    return float(start @ value)


def _cumulative(prob: NDArray) -> NDArray:
    """Cumulative probabilities along the last axis, ending at exactly 1 (Taxi's start
    probabilities sum to 1 - 4e-15: a draw above must not pick the last state)."""
    cum = np.cumsum(prob, axis=-1)
    return cum / cum[..., -1:]


class TabularVectorEnv(NumpyVectorEnv):
    """``num_envs`` copies of a tabular MDP (``model`` from :func:`tabular_model`), stepped
    together, truncated after ``time_limit`` steps (None: never)."""

    def __init__(self, model: dict[str, Any], num_envs: int, time_limit: int | None = None):
        super().__init__(num_envs, model["obs_space"], model["act_space"], time_limit)
        self.model = model
        self._state = np.zeros(self.num_envs, dtype=np.int64)

    def _draw(self, cumprob: NDArray) -> NDArray:
        """An index per row of ``cumprob`` (cumulative probabilities, last column 1)."""
        u = self._rng.random(cumprob.shape[0])[:, None]
        return np.minimum((cumprob < u).sum(axis=1), cumprob.shape[1] - 1)

    def _start(self, options: dict | None) -> NDArray:
        # (The toy-text environments ignore reset options, and so does this one.)
        start = self.model["start"]
        self._state = self._draw(np.broadcast_to(start, (self.num_envs, start.size)))
        return self._state.copy()

    def step(self, actions: NDArray):
        s, a = self._state, np.asarray(actions, dtype=np.int64)
        j = self._draw(self.model["cumprob"][s, a])
        rows = (s, a, j)
        reward, terminated = self.model["reward"][rows], self.model["done"][rows]
        self._state = self.model["next"][rows]
        return self._state.copy(), reward, terminated, self._truncated(), {}
