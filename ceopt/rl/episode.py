"""Episode-level CE: train a categorical policy pi(a|s) on its own elite episodes.

The CE update ``q <- argmax E[H(x) log q(x)]`` applied to whole episodes ``x = (s_0, a_0, ...)``
with ``H`` = "the episode's return is in the top ``100 - percentile`` %" keeps the elite
episodes and maximises ``sum log pi(a_t | s_t)`` over their steps (the environment's
transition probabilities do not depend on the policy and drop out). With pi a network that
is a classification fit: minimise the cross-entropy between the network's softmax and the
actions the elite episodes took. One gradient step per batch replaces the exact MLE (the
network has no closed form), which also smooths the update. This is the recipe of Lapan's
*Deep Reinforcement Learning Hands-On*, chapter 4, written in numpy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult

from .._checks import generator, integer, real
from .adam import Adam
from .loop import Iterations, outcome_message, target_for
from .policies import MLPPolicy
from .rollout import (
    SEED_BOUND,
    EpisodeReturn,
    env_spaces,
    episode_limit,
    make_vector_env,
    play,
)

HISTORY_FIELDS = ("nfev", "env_steps", "time", "gamma", "best", "mean", "policy_return",
                  "loss")


def sample_actions(logits: NDArray, rng: np.random.Generator) -> NDArray:
    """One action index per row of ``logits (n, k)``, drawn from their softmax.

    The Gumbel-max trick: with ``G`` standard Gumbel noise, ``argmax_k (logits_k + G_k)`` has
    exactly the softmax distribution, and costs a fifth of inverting the cumulative sums.
    """
    return (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)


def stochastic_actor(policy: MLPPolicy, params: NDArray,
                     rng: np.random.Generator) -> Callable[[NDArray], NDArray]:
    """pi(a|s) for fixed ``params`` as a function ``obs (m, ...) -> sampled actions (m,)``."""
    logits = policy.network(params)
    return lambda obs: policy.action_space.start + sample_actions(logits(obs), rng)


def episode_cross_entropy(env_id: str, *, hidden: int | tuple[int, ...] = 128,
                          batch_episodes: int = 16, percentile: float = 70, lr: float = 0.01,
                          max_iter: int = 300, max_steps: int | None = None,
                          target_return: float | None = None, eval_episodes: int = 100,
                          seed: int | np.random.Generator | None = None, progress: bool = True,
                          callback: Callable[[OptimizeResult], Any] | None = None,
                          env_kwargs: dict | None = None) -> OptimizeResult:
    """Train a policy network with the episode-level CE method.

    Every iteration plays ``batch_episodes`` episodes with the stochastic policy (actions
    sampled from the network's softmax) in one vector environment, keeps the episodes whose
    return reaches the ``percentile``-th percentile of the batch, and takes one Adam step on
    the cross-entropy of the network against the elite (observation, action) pairs. When the
    batch's mean return reaches the target, the greedy policy (argmax of the logits, what
    :meth:`MLPPolicy.act` does) is evaluated on ``eval_episodes`` fresh episodes; the run
    stops successfully once that evaluation reaches the target.

    Parameters
    ----------
    env_id : str
        A gymnasium environment with a Discrete action space.
    hidden : int or tuple of int
        Hidden layer widths of the relu network (one layer of 128 by default).
    batch_episodes : int
        Episodes per iteration.
    percentile : float in [0, 100)
        Episodes with a return at or above this percentile of the batch are the elites.
    lr : float
        Adam's learning rate.
    max_iter : int
        Iterations at most.
    max_steps : int, optional
        Episode length cap (default: the environment's time limit).
    target_return : float, optional
        Default: the environment's ``reward_threshold``.
    eval_episodes : int
        Episodes of each evaluation of the greedy policy.
    seed : int, numpy.random.Generator or None
        Seeds the initial network, the actions and the episodes.
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        ``callback(intermediate_result)`` after every iteration; ``True`` stops the run.
    env_kwargs : dict, optional
        Passed to ``gymnasium.make_vec``.

    Returns
    -------
    OptimizeResult
        ``x`` (network parameters), ``policy`` (the :class:`MLPPolicy` they belong to),
        ``fun`` (the last batch's mean return, a training score of the stochastic policy),
        ``eval_return`` and ``eval_returns`` (the greedy policy's evaluation), ``env_steps``,
        ``nit``, ``nfev`` (training episodes played), ``success``, ``message``, ``env_id``,
        ``env_kwargs`` and ``history`` (per
        iteration ``nfev``, ``env_steps``, ``time``, ``gamma`` (elite threshold), ``best``,
        ``mean``, ``policy_return`` (evaluation of the greedy policy, nan where none ran) and
        ``loss``).

    Example
    -------
    >>> res = episode_cross_entropy("CartPole-v1", seed=0, progress=False)
    >>> res.success, res.eval_return >= 475
    (True, True)
    """
    t0 = time.perf_counter()
    rng = generator(seed)
    env_kwargs = env_kwargs or {}
    batch_episodes = integer("batch_episodes", batch_episodes, 2)
    max_iter = integer("max_iter", max_iter, 1)
    percentile = real("percentile", percentile, minimum=0.0)
    if percentile >= 100:
        raise ValueError(f"percentile must be in [0, 100), got {percentile}")
    eval_episodes = integer("eval_episodes", eval_episodes, 1)
    max_steps = episode_limit(env_id, max_steps)
    target = target_for(env_id, target_return)
    adam = Adam(lr)
    # The policy first (it checks the spaces), then the environments, closed whatever happens.
    policy = MLPPolicy(*_spaces(env_id, env_kwargs), hidden=hidden, activation="relu")
    params = policy.init_params(rng)
    env = make_vector_env(env_id, batch_episodes, **env_kwargs)
    evaluation = EpisodeReturn(env_id, policy, episodes=eval_episodes, max_steps=max_steps,
                               seed=rng, **env_kwargs)
    env_steps, fun = 0, np.nan
    eval_returns: NDArray | None = None  # of the current params, when they were evaluated
    success, stopped = False, False
    log = Iterations(env_id, max_iter, HISTORY_FIELDS, progress, callback)
    try:
        for _ in range(max_iter):
            batch = play(env, stochastic_actor(policy, params, rng), max_steps,
                         int(rng.integers(SEED_BOUND)), record=True)
            env_steps += int(batch.lengths.sum())
            gamma = float(np.percentile(batch.returns, percentile))
            elite = batch.returns >= gamma
            # The steps elite episodes actually took (the live mask drops autoreset steps).
            steps = batch.live & elite[None, :]
            loss, grad = policy.cross_entropy(params, batch.obs[steps], batch.actions[steps])
            params = adam.step(params, grad)
            fun = float(batch.returns.mean())

            eval_returns, policy_return = None, np.nan
            if target is not None and fun >= target:
                eval_returns = evaluation.rollout(params[None])[0]
                policy_return = float(eval_returns.mean())
                success = policy_return >= target
            row = ((len(log.rows) + 1) * batch_episodes, env_steps + evaluation.env_steps,
                   time.perf_counter() - t0, gamma, float(batch.returns.max()), fun,
                   policy_return, loss)
            stopped = log.record(row, params, fun, best=batch.returns.max(), mean=fun)
            if success or stopped:
                break
        if eval_returns is None:
            eval_returns = evaluation.rollout(params[None])[0]
    finally:
        log.close()
        env.close()
        evaluation.close()

    message = outcome_message(target, eval_returns, success,
                              "stopped by the callback" if stopped else "max_iter reached",
                              " of the greedy policy")
    return OptimizeResult(
        x=params, policy=policy, fun=fun, eval_return=float(eval_returns.mean()),
        eval_returns=eval_returns, env_steps=env_steps + evaluation.env_steps,
        nit=len(log.rows), nfev=len(log.rows) * batch_episodes, success=success,
        message=message, history=log.history(), env_id=env_id,
        env_kwargs=env_kwargs, time=time.perf_counter() - t0)


def _spaces(env_id: str, env_kwargs: dict) -> tuple[gym.Space, gym.Space]:
    """The observation and a Discrete action space of ``env_id``, or a ValueError."""
    obs_space, act_space = env_spaces(env_id, **env_kwargs)
    if not isinstance(act_space, gym.spaces.Discrete):
        raise ValueError(f"episode_cross_entropy needs a Discrete action space, {env_id} has "
                         f"{act_space}")
    return obs_space, act_space
