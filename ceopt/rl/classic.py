"""Numpy vector environments for two of gymnasium's classic-control tasks with continuous
actions: Pendulum and MountainCarContinuous.

gymnasium gives CartPole a vector implementation of its own but not these, and a
``SyncVectorEnv`` steps its copies one Python call at a time (about 30,000 Pendulum steps/s).
Their dynamics are a few lines of arithmetic, so here every copy steps at once in numpy: the
same equations as gymnasium's ``step`` (tested against it, equal up to float rounding), with
start states drawn from the same distributions as its ``reset`` (not from the same random
stream). The classes are chosen by the registered entry point, so an environment registered
again with other keyword arguments or another time limit still gets them.

Stepping, seeding and the time limit are those of :class:`~ceopt.rl.numpy_env.NumpyVectorEnv`.
"""

from __future__ import annotations

from abc import abstractmethod

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from .numpy_env import NumpyVectorEnv


class _ClassicVectorEnv(NumpyVectorEnv):
    """What both environments share: the state, one row per copy, and no reset options (the
    bounds gymnasium's reset takes there are not implemented)."""

    def __init__(self, num_envs: int, observation_space: spaces.Box, action_space: spaces.Box,
                 time_limit: int | None = None):
        super().__init__(num_envs, observation_space, action_space, time_limit)
        self.state = np.zeros((self.num_envs, 2))

    def _start(self, options: dict | None) -> NDArray:
        if options:
            raise ValueError("these vector environments take no reset options")
        self.state = self._start_states()
        return self._observe()

    @abstractmethod
    def _start_states(self) -> NDArray:
        """A start state per copy, drawn as gymnasium's reset draws it."""

    @abstractmethod
    def _observe(self) -> NDArray:
        """The observations of the current states."""


class PendulumVectorEnv(_ClassicVectorEnv):
    """Pendulum-v1: swing a pendulum up and hold it there, torque in [-2, 2]."""

    max_speed, max_torque, dt, m, length = 8.0, 2.0, 0.05, 1.0, 1.0

    def __init__(self, num_envs: int, g: float = 10.0, time_limit: int | None = None):
        high = np.array([1.0, 1.0, self.max_speed], dtype=np.float32)
        super().__init__(num_envs, spaces.Box(-high, high, dtype=np.float32),
                         spaces.Box(-self.max_torque, self.max_torque, (1,), np.float32),
                         time_limit)
        self.g = float(g)

    def _start_states(self) -> NDArray:
        # angle uniform in [-pi, pi], angular velocity in [-1, 1]
        return self._rng.uniform([-np.pi, -1.0], [np.pi, 1.0], size=(self.num_envs, 2))

    def _observe(self) -> NDArray:
        th, thdot = self.state.T
        return np.stack([np.cos(th), np.sin(th), thdot], axis=1).astype(np.float32)

    def step(self, actions: NDArray):
        th, thdot = self.state.T
        u = np.clip(np.asarray(actions, dtype=np.float64).reshape(self.num_envs, -1)[:, 0],
                    -self.max_torque, self.max_torque)
        upright = (th + np.pi) % (2 * np.pi) - np.pi   # angle from upright, in [-pi, pi)
        cost = upright**2 + 0.1 * thdot**2 + 0.001 * u**2
        # thdot' = thdot + (3g/(2l) sin th + 3/(m l^2) u) dt, clipped; th' = th + thdot' dt
        thdot = np.clip(thdot + (3 * self.g / (2 * self.length) * np.sin(th)
                                 + 3.0 / (self.m * self.length**2) * u) * self.dt,
                        -self.max_speed, self.max_speed)
        self.state = np.stack([th + thdot * self.dt, thdot], axis=1)
        terminated = np.zeros(self.num_envs, dtype=bool)
        return self._observe(), -cost, terminated, self._truncated(), {}


class MountainCarContinuousVectorEnv(_ClassicVectorEnv):
    """MountainCarContinuous-v0: drive an underpowered car up a hill, force in [-1, 1]; 100
    for reaching the flag, less 0.1 a² for every action (the action as given, unclipped)."""

    min_position, max_position, max_speed = -1.2, 0.6, 0.07
    goal_position, power = 0.45, 0.0015

    def __init__(self, num_envs: int, goal_velocity: float = 0.0,
                 time_limit: int | None = None):
        low = np.array([self.min_position, -self.max_speed], dtype=np.float32)
        high = np.array([self.max_position, self.max_speed], dtype=np.float32)
        super().__init__(num_envs, spaces.Box(low, high, dtype=np.float32),
                         spaces.Box(-1.0, 1.0, (1,), np.float32), time_limit)
        self.goal_velocity = float(goal_velocity)

    def _start_states(self) -> NDArray:
        # position uniform in [-0.6, -0.4], at rest
        return np.stack([self._rng.uniform(-0.6, -0.4, self.num_envs),
                         np.zeros(self.num_envs)], axis=1)

    def _observe(self) -> NDArray:
        return self.state.astype(np.float32)

    def step(self, actions: NDArray):
        position, velocity = self.state.T
        a = np.asarray(actions, dtype=np.float64).reshape(self.num_envs, -1)[:, 0]
        force = np.clip(a, -1.0, 1.0)
        velocity = np.clip(velocity + force * self.power - 0.0025 * np.cos(3 * position),
                           -self.max_speed, self.max_speed)
        position = np.clip(position + velocity, self.min_position, self.max_position)
        velocity = np.where((position == self.min_position) & (velocity < 0), 0.0, velocity)
        terminated = (position >= self.goal_position) & (velocity >= self.goal_velocity)
        reward = 100.0 * terminated - 0.1 * a**2
        # gymnasium keeps the state in float32 between steps
        self.state = np.stack([position, velocity], axis=1).astype(np.float32).astype(float)
        return self._observe(), reward, terminated, self._truncated(), {}


#: gymnasium entry points with a vector environment here.
CLASSIC = {
    "gymnasium.envs.classic_control.pendulum:PendulumEnv": PendulumVectorEnv,
    "gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv":
        MountainCarContinuousVectorEnv,
}


def classic_vector_env(env_id: str, num_envs: int, **env_kwargs) -> gym.vector.VectorEnv | None:
    """``num_envs`` copies of ``env_id`` from :data:`CLASSIC` with its registered time
    limit, or None for other environments (and for keyword arguments other than the
    physical ones, e.g. a render mode, which gymnasium's own environments handle)."""
    spec = gym.spec(env_id)
    cls = CLASSIC.get(spec.entry_point)
    if cls is None:
        return None
    allowed = {"g"} if cls is PendulumVectorEnv else {"goal_velocity"}
    kwargs = {key: value for key, value in {**spec.kwargs, **env_kwargs}.items()
              if not (key == "render_mode" and value is None)}
    if set(kwargs) - allowed:
        return None
    return cls(num_envs, **kwargs, time_limit=spec.max_episode_steps)
