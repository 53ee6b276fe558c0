"""What ceopt's own vector environments share (:mod:`ceopt.rl.tabular`,
:mod:`ceopt.rl.classic`): every copy steps in one numpy call.

A subclass writes ``_start(options)`` (draw the start states, return the first observations)
and ``step``, which ends with :meth:`NumpyVectorEnv._truncated`. Randomness comes from a
generator that ``reset(seed=...)`` makes. All copies start together and none is reset on its
own (a finished copy keeps stepping; :func:`~ceopt.rl.rollout.play` masks it), so one step
count serves them all, and the registered time limit truncates every episode as gymnasium's
``TimeLimit`` wrapper does (a shorter ``max_steps`` of ``play`` cuts it first).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray


class NumpyVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` copies with these single-copy spaces, truncated after ``time_limit``
    steps (None: never)."""

    def __init__(self, num_envs: int, observation_space: gym.Space, action_space: gym.Space,
                 time_limit: int | None = None):
        self.num_envs = int(num_envs)
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        self.observation_space = batch_space(observation_space, self.num_envs)
        self.action_space = batch_space(action_space, self.num_envs)
        self.time_limit = time_limit
        self._elapsed = 0
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._elapsed = 0
        return self._start(options), {}

    @abstractmethod
    def _start(self, options: dict | None) -> NDArray:
        """Draw every copy's start state; the first observations."""

    def _truncated(self) -> NDArray:
        """One more step taken; whether it reached the time limit, per copy."""
        self._elapsed += 1
        limit_reached = self.time_limit is not None and self._elapsed >= self.time_limit
        return np.full(self.num_envs, limit_reached)

    def close(self, **kwargs: Any) -> None:
        pass
