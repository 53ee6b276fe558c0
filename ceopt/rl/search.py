"""Policy search in parameter space: the CE loop maximising :class:`EpisodeReturn`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .._checks import flag, generator, integer, real
from ..cross_entropy import CrossEntropy
from ..distributions import DiagGaussian
from ..schedules import IPOP
from .episode_count import MAX_EPISODES, EpisodeCount
from .loop import Iterations, outcome_message, target_for
from .policies import MLPPolicy
from .rollout import EpisodeReturn, common_episodes_flag, has_native_vector_env

#: What ``noise=True`` sets, where not given (``docs/noise.md``; Pendulum-v1 in
#: ``benchmarks/results/control.md``): the spread is steered by the mean's path, not by
#: values (``keep_best`` would keep a lucky sample, ``tol_fun`` stop on flat noise), and a
#: search that has stalled for ``patience`` iterations restarts.
NOISY_DEFAULTS = {"method": "adaptive", "scale_control": "path", "keep_best": False,
                  "tol_fun": 0.0, "patience": 200}

#: Episodes per candidate under ``noise=True`` unless ``episodes=`` is given.
NOISY_EPISODES = 4

HISTORY_FIELDS = ("nfev", "env_steps", "time", "gamma", "best", "mean", "policy_return",
                  "spread", "episodes", "search")


def policy_search(env_id: str, policy: MLPPolicy | str = "linear", *,
                  noise: bool = False, common_episodes: bool = False,
                  popsize: int | None = None,
                  elite_frac: float | None = None, episodes: int | str | None = None,
                  max_episodes: int = MAX_EPISODES, sigma0: float = 1.0,
                  smoothing: float | None = None, max_iter: int = 100,
                  max_steps: int | None = None, target_return: float | None = None,
                  eval_episodes: int = 100, check_episodes: int | None = None,
                  check_best: bool = True,
                  seed: int | np.random.Generator | None = None,
                  progress: bool = True, callback: Callable[[OptimizeResult], Any] | None = None,
                  env_kwargs: dict | None = None, **options: Any) -> OptimizeResult:
    """Search a policy's parameters with the CE method, maximising the mean episode return.

    Every iteration samples ``popsize`` parameter vectors from a diagonal Gaussian (initially
    ``N(0, sigma0² I)``), plays ``episodes`` episodes with each and refits the Gaussian to the
    elites. In the same batched rollout the policies the search proposes, the distribution's
    **mean** and the **best candidate** found so far, each play ``check_episodes`` fresh
    episodes: they take no part in selection, so their mean return is an honest estimate of
    each policy's quality. When the better of the two reaches the target, and its check was
    the full ``eval_episodes`` (or a separate evaluation on that many fresh episodes confirms
    it), the run stops successfully (CartPole-v1 counts as solved at a mean of 475 over 100
    episodes).

    Parameters
    ----------
    env_id : str
        A gymnasium environment id (``"CartPole-v1"``, ``"Acrobot-v1"``, ...).
    policy : "linear", "mlp" or MLPPolicy
        ``"mlp"`` is one hidden layer of 16 tanh units.
    noise : bool
        The returns are noisy (random starts, stochastic dynamics: Pendulum, LunarLander),
        and the search must not read luck as progress. The defaults become those of
        :data:`NOISY_DEFAULTS`: method ``"adaptive"`` with the path control
        (``scale_control="path"``, :mod:`ceopt.updates.path_control`), which noise does not
        shrink, where the success rule and the textbook fit shrink the spread whenever noise
        hides the progress; no kept lucky sample; 4 episodes per candidate
        (:data:`NOISY_EPISODES`); the method's small population; and restarts of the same
        population after ``patience`` iterations without a better elite threshold, until
        ``max_iter``. A passed check is confirmed as under ``"auto"``.
        Measured in ``benchmarks/results/control.md``: Pendulum is solved with it, not
        without.
    common_episodes : bool
        In every iteration all candidates play the same training episodes (common random
        numbers: the ``k``-th episode of each starts from the same seed), so that their
        ranking is decided by their parameters, not by who drew the easier start states; each
        iteration draws new ones. Only for environments stepped by a ``SyncVectorEnv``
        (LunarLander, Acrobot, ...; not CartPole, Pendulum or the tabular ones).
    popsize, elite_frac, smoothing :
        Of :class:`ceopt.CrossEntropy`. ``popsize`` defaults to max(100, ``n_params``) (the
        method's own under ``noise``): a vector environment steps 100 copies nearly as fast
        as 10, so a population larger than a generic CE loop's costs little and saves
        iterations. ``elite_frac`` and ``smoothing`` default to the method's (0.1 and 0.7
        for ``"ce"``).
    episodes : int or "auto"
        Episodes per candidate in training (their mean return is its score); default 1, or
        4 under ``noise``. ``"auto"``, for
        noisy returns: a population plays more episodes until noise is at most a quarter of
        the variance of its scores, up to ``max_episodes`` (:mod:`ceopt.rl.episode_count`),
        and the next one starts from that many. A check that reaches the target is then
        confirmed on fresh episodes, by their mean less one standard error, and the returned
        policy's evaluation is played afresh after the run, so no episode that decided
        anything enters the reported return.
    max_episodes : int
        The most episodes per candidate under ``"auto"``.
    sigma0 : float
        Initial standard deviation of every parameter.
    max_iter : int
        Iterations at most.
    max_steps : int, optional
        Episode length cap (default: the environment's time limit).
    target_return : float, optional
        Default: the environment's ``reward_threshold`` (475 for CartPole-v1, -100 for
        Acrobot-v1); environments without one run for ``max_iter`` iterations.
    eval_episodes : int
        Episodes of every evaluation.
    check_episodes : int, optional
        Episodes the mean plays in every iteration's rollout. Default: ``eval_episodes`` where
        the environment has a native vector implementation (CartPole steps 200 copies at
        nearly the cost of 100, so the check is the evaluation), else 10 (a ``SyncVectorEnv``
        steps its copies one by one: an evaluation follows only a check that passes).
    check_best : bool
        Check the best candidate so far alongside the mean. The mean averages the elites, and
        on CartPole an average of different balancing policies is often worse than the best
        of them: checking both solved in a median of 2.5 iterations instead of 3 (20 % less
        time), for 100 more copies in the vector env.
    seed : int, numpy.random.Generator or None
        Seeds the search and every episode: the same seed gives the same run.
    progress : bool
        Show a tqdm progress bar with the iteration's best and mean return.
    callback : callable, optional
        ``callback(intermediate_result)`` after every iteration; ``True`` stops the run.
    env_kwargs : dict, optional
        Passed to ``gymnasium.make_vec``.
    **options :
        Further options of :class:`ceopt.CrossEntropy` (``method``, ``tol_spread``, ...);
        ``method`` defaults to ``"ce"``, and ``patience`` to ``max_iter`` (no stagnation stop:
        returns are noisy and plateau while the search still moves); under ``noise``, to
        :data:`NOISY_DEFAULTS`.

    Returns
    -------
    OptimizeResult
        ``x`` (the returned policy's parameters: the first proposal that passed its evaluation,
        else the final mean), ``policy``, ``eval_returns`` (the returns of its evaluation episodes)
        and ``eval_return`` (their mean), ``fun`` (its score; x is scored only by its
        evaluation, so this equals ``eval_return``), ``env_steps`` (all counted steps,
        evaluations included), ``nit``, ``nfev`` (candidates scored plus the proposals
        checked; evaluations not included), ``nrestarts`` (restarts of the search), ``success``
        (evaluation reached the target), ``message``, ``dist`` and ``history`` (the learning
        curve: per iteration ``nfev``, ``env_steps``, ``time``, ``gamma`` (elite threshold),
        ``best`` and ``mean`` (of the population's scores), ``policy_return`` (the better
        check return of the two proposals) and ``spread``), with ``env_id`` and
        ``env_kwargs``.

    Example
    -------
    >>> res = policy_search("CartPole-v1", seed=0, progress=False)
    >>> res.success, res.eval_return >= 475     # mean of 100 fresh episodes
    (True, True)
    """
    t0 = time.perf_counter()
    rng = generator(seed)
    env_kwargs = env_kwargs or {}
    eval_episodes = integer("eval_episodes", eval_episodes, 1)
    if check_episodes is None:
        native = has_native_vector_env(env_id, **env_kwargs)
        check_episodes = eval_episodes if native else min(10, eval_episodes)
    check_episodes = integer("check_episodes", check_episodes, 1)
    if check_episodes > eval_episodes:
        raise ValueError(f"check_episodes ({check_episodes}) must not exceed eval_episodes "
                         f"({eval_episodes}): a check is a cheaper evaluation")
    target = target_for(env_id, target_return)
    sigma0 = real("sigma0", sigma0, minimum=0.0)
    if sigma0 == 0:
        raise ValueError("sigma0 must be positive")
    # Episode returns are noisy and plateau (MountainCar sits at -200 until the first policy
    # reaches the flag): the elite threshold can stall for many iterations while the search
    # still progresses, so the stagnation stop is off unless asked for.
    max_iter = integer("max_iter", max_iter, 1)
    noise = flag("noise", noise)
    common_episodes = common_episodes_flag("common_episodes", common_episodes, env_id,
                                           **env_kwargs)
    if noise:
        for name, value in NOISY_DEFAULTS.items():
            options.setdefault(name, value)
        # Restarts of the same population until max_iter ends the run: doubling it (IPOP)
        # left one Pendulum seed at -865 after 3000 iterations, and 50 did worse than 20.
        options.setdefault("restarts", IPOP(max_restarts=max_iter, growth=1))
        # Four episodes: "auto" asks for 64 on Pendulum (its starts make most of a score's
        # variance), where the path control needs no more than four to progress; two seeds of
        # ten then ran out of max_iter at -586 and -816 (benchmarks/results/control.md).
        episodes = NOISY_EPISODES if episodes is None else episodes
    options.setdefault("patience", max_iter)
    # Method "ce", measured in benchmarks/results/cartpole.md; "adaptive"'s success rule reads
    # a noisy return as progress or stall, and is tuned on deterministic functions (BBOB).
    options.setdefault("method", "ce")
    count = EpisodeCount(1 if episodes is None else episodes, max_episodes)
    train = EpisodeReturn(env_id, policy, episodes=count.count, max_steps=max_steps, seed=rng,
                          common=common_episodes, **env_kwargs)
    policy = train.policy
    if popsize is None and not noise:
        popsize = max(100, policy.n_params)
    es = CrossEntropy(DiagGaussian(np.zeros(policy.n_params), sigma0), popsize=popsize,
                      elite_frac=elite_frac, smoothing=smoothing, maximize=True, seed=rng,
                      max_iter=max_iter, **options)
    evaluation = EpisodeReturn(env_id, policy, episodes=eval_episodes, max_steps=max_steps,
                               seed=rng, **env_kwargs)
    try:
        noisy = noise or count.adaptive  # confirm passes with a margin, report afresh
        passed, log = _search(es, train, evaluation, count, noisy, check_episodes,
                              bool(check_best), target, progress, callback, t0)
        stop_reason = es.stop() or "stopped"
        if passed is not None:
            x, fun, eval_returns = passed
            if noisy:  # the confirmation decided the stop: report fresh episodes
                eval_returns = evaluation.rollout(x[None])[0]
                fun = float(eval_returns.mean())
                if fun < target:
                    passed, stop_reason = None, ("a policy passed its check and confirmation, "
                                                 "not its fresh evaluation")
        else:
            x = es.dist.mode          # the last tell moved the mean: evaluate where it ended
            eval_returns = evaluation.rollout(x[None])[0]
            fun = float(eval_returns.mean())
        message = outcome_message(target, eval_returns, passed is not None, stop_reason)
    finally:
        train.close()
        evaluation.close()
    return OptimizeResult(
        x=x, policy=policy, fun=fun, eval_return=float(eval_returns.mean()),
        eval_returns=eval_returns, env_steps=train.env_steps + evaluation.env_steps,
        nit=es.nit, nfev=log.rows[-1][0], nrestarts=es.nrestarts,
        success=passed is not None, message=message, dist=es.dist, history=log.history(),
        env_id=env_id,
        env_kwargs=env_kwargs, time=time.perf_counter() - t0)


def _search(es: CrossEntropy, train: EpisodeReturn, evaluation: EpisodeReturn,
            count: EpisodeCount, noisy: bool, check_episodes: int, check_best: bool,
            target: float | None, progress: bool,
            callback: Callable[[OptimizeResult], Any] | None,
            t0: float) -> tuple[tuple | None, Iterations]:
    """The loop of :func:`policy_search`: ``((x, fun, eval_returns) or None, its log)``."""
    passed, n_checked = None, 0
    with Iterations(train.env_id, es.max_iter, HISTORY_FIELDS, progress, callback) as log:
        while passed is None and not es.stop():
            X = es.ask()
            # The policies the search proposes play their check episodes in the same batched
            # rollout as the population. The episodes are fresh: the policies were fixed
            # before they were played, and they take no part in selection.
            proposals = [es.dist.mode] + ([es.best_x] if check_best and es.nit else [])
            k, episodes = len(proposals), count.count
            counts = np.r_[np.full(len(X), episodes), np.full(k, check_episodes)]
            returns = train.episode_returns(np.vstack([X, *proposals]), counts)
            n_train = len(X) * episodes
            played = returns[:n_train].reshape(len(X), episodes)
            while extra := count.more(played):  # "auto": until the ranking is mostly signal
                again = train.episode_returns(X, np.full(len(X), extra))
                played = np.hstack([played, again.reshape(len(X), extra)])
            scores = played.mean(axis=1)
            checks = returns[n_train:].reshape(k, check_episodes)
            best = int(np.argmax(checks.mean(axis=1)))  # ties go to the mean
            x, fun = proposals[best], float(checks[best].mean())
            es.tell(X, scores)
            if target is not None and fun >= target:
                checked = (checks[best] if check_episodes == evaluation.episodes
                           and not noisy else evaluation.rollout(x[None])[0])
                if _confirms(checked, target, noisy):
                    passed = (x, float(checked.mean()), checked)
            n_checked += k
            row = (es.nfev + n_checked, train.env_steps + evaluation.env_steps,
                   time.perf_counter() - t0, es.gamma, scores.max(), scores.mean(), fun,
                   es.dist.spread, played.shape[1], es.nrestarts)
            if log.record(row, x, fun, best=scores.max(), mean=scores.mean(), policy=fun):
                es.request_stop()
    return passed, log


def _confirms(returns: np.ndarray, target: float, noisy: bool) -> bool:
    """Whether an evaluation's ``returns`` show the target reached: their mean, or under
    noisy returns (``noise`` or ``episodes="auto"``) their mean less one standard error, so
    that a policy just short of the target rarely passes by luck."""
    margin = returns.std(ddof=1) / np.sqrt(returns.size) if noisy and returns.size > 1 else 0
    return bool(returns.mean() - margin >= target)
