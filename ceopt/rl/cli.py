"""What ``ceopt cartpole`` and ``ceopt rl ENV_ID`` do: train a policy, evaluate it, save it and
its learning curve (the options are defined in :mod:`ceopt.cli`).

The exit status is 0 when the evaluation reaches the target return (CartPole-v1: a mean of
475 over 100 episodes) or the environment has none, 1 when it does not, 2 on bad input. Files
of an earlier run of the same name are bad input unless ``--force`` is given: the command
stops before any training, rather than write under a new name and leave the user to guess
which file is current.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
from scipy.optimize import OptimizeResult

from .episode import episode_cross_entropy
from .io import save_policy
from .loop import target_for
from .policies import MLPPolicy
from .rollout import env_spaces
from .search import policy_search


def run(env_id: str, args: argparse.Namespace) -> int:
    """Train as ``args`` say, print the evaluation, save the results.

    Returns 0 when the target is met (or there is none), 1 when it is not, 2 on bad input.
    """
    if args.method == "episode" and args.policy != "linear":
        return _usage("--policy chooses the param method's policy; --method episode trains "
                      "its own network (set its width with --hidden)")
    if args.method == "episode" and (args.episodes is not None or args.noise):
        return _usage("--episodes and --noise set the param method's search; --method "
                      "episode plays a batch of episodes per iteration")
    if args.method == "param" and args.hidden is not None and args.policy != "mlp":
        return _usage("--hidden sets the width of --policy mlp or of --method episode")
    npz, png = output_paths(env_id, args)
    earlier = [p for p in ([npz] if args.no_plot else [npz, png]) if p.exists()]
    if earlier and not args.force:
        verb = "exists" if len(earlier) == 1 else "exist"
        return _usage(f"{' and '.join(map(str, earlier))} already {verb}, from an earlier run: "
                      "give --force to replace it, or --out another folder (nothing was run)")
    try:
        res, label = _train(env_id, args)
    except (ValueError, gym.error.Error) as exc:  # unknown env, unsupported spaces, ...
        return _usage(str(exc))

    target = target_for(env_id, args.target)
    print(f"{env_id}: {label}, seed {args.seed}")
    print(f"{'solved' if res.success else 'not solved'} after {res.nit} iterations, "
          f"{res.env_steps:,} env steps, {res.time:.2f} s")
    returns = res.eval_returns
    print(f"evaluation over {returns.size} episodes: mean {returns.mean():.4g} "
          f"(min {returns.min():g}, max {returns.max():g})"
          + (f", target {target:g}" if target is not None else
             " (the environment has no target: give --target to set one)"))

    args.out.mkdir(parents=True, exist_ok=True)
    saved = [save_policy(npz, res, method=args.method, seed=args.seed)]
    if not args.no_plot:
        saved.append(plot_learning_curve(res, png, target, label))
    print("saved " + ", ".join(str(p) for p in saved))
    return 0 if res.success or target is None else 1


def output_paths(env_id: str, args: argparse.Namespace) -> tuple[Path, Path]:
    """The policy (.npz) and learning curve (.png) a run of ``args`` writes, named after the
    environment, method, policy and seed."""
    kind = "network" if args.method == "episode" else args.policy
    # Namespaced ids (ALE/Pong-v5) must not become folders.
    stem = re.sub(r"[^\w.-]", "_", f"{env_id}-{args.method}-{kind}-seed{args.seed}")
    return args.out / f"{stem}.npz", args.out / f"{stem}.png"


def _train(env_id: str, args: argparse.Namespace) -> tuple[OptimizeResult, str]:
    common = {"target_return": args.target, "eval_episodes": args.eval_episodes,
              "max_steps": args.max_steps, "seed": args.seed, "progress": not args.quiet}
    if args.max_iter is not None:
        common["max_iter"] = args.max_iter
    if args.method == "episode":
        hidden = tuple(args.hidden or (128,))
        res = episode_cross_entropy(env_id, hidden=hidden, **common)
        return res, f"episode-level CE, relu network {hidden}"
    policy: MLPPolicy | str = args.policy
    if policy == "mlp":
        policy = MLPPolicy(*env_spaces(env_id), hidden=tuple(args.hidden or (16,)))
    res = policy_search(env_id, policy, episodes=args.episodes, noise=args.noise, **common)
    kind = f"MLP policy {res.policy.hidden}" if res.policy.hidden else "linear policy"
    return res, f"parameter-space CE, {kind} ({res.policy.n_params} parameters)"


def _usage(message: str) -> int:
    print(f"ceopt: {message}", file=sys.stderr)
    return 2


def plot_learning_curve(res: OptimizeResult, path: Path, target: float | None,
                        title: str) -> Path:
    """Population (or batch) best and mean return, and the evaluations, against env steps."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    h = res.history
    steps = h["env_steps"]
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    ax.plot(steps, h["best"], ".-", label="best of the iteration")
    ax.plot(steps, h["mean"], ".-", label="mean of the iteration")
    evaluated = np.isfinite(h["policy_return"])
    ax.plot(steps[evaluated], h["policy_return"][evaluated], "o-", ms=4,
            label="policy's evaluation")
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label=f"target {target:g}")
    ax.set(xlabel="environment steps", ylabel="episode return",
           title=f"{res.env_id}: {title}")
    ax.legend(loc="best", fontsize="small")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
