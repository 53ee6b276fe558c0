"""CartPole-v1 and other classic-control tasks: what ceopt.rl solves, in how long.

1. CartPole-v1 over ``--seeds`` seeds for the parameter-space method (linear and MLP policy)
   and the episode-level method: successes (mean return >= 475 over 100 evaluation
   episodes), and median and range of iterations, env steps and wall time to a solved policy,
   its evaluation included. A plain hand-rolled CEM (population 50, 10 elites, smoothing 0.7,
   a 100-episode evaluation of the mean after every iteration, no ceopt) runs on the same
   seeds in the same process as the baseline.
2. Env steps per second of a batched rollout (``EpisodeReturn``) against a plain single-env
   loop, both acting with the same numpy policy.
3. Acrobot-v1, MountainCar-v0 (linear) and Pendulum-v1 (MLP) with the default settings:
   the return the search reaches.

Writes benchmarks/results/cartpole.md and cartpole.png. One BLAS thread, one process.

    python benchmarks/cartpole.py [--seeds 20] [--other-seeds 3]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

import ceopt  # noqa: E402
from ceopt.rl import (  # noqa: E402
    EpisodeReturn,
    LinearPolicy,
    episode_cross_entropy,
    policy_search,
)

RESULTS = Path(__file__).parent / "results"
METHODS = {
    "param, linear": lambda seed: policy_search("CartPole-v1", "linear", seed=seed,
                                                progress=False),
    "param, MLP (16 tanh)": lambda seed: policy_search("CartPole-v1", "mlp", seed=seed,
                                                       progress=False),
    "episode, MLP (128 relu)": lambda seed: episode_cross_entropy("CartPole-v1", seed=seed,
                                                                  progress=False),
}
OTHERS = [("Acrobot-v1", "linear", {"max_iter": 30}),
          ("MountainCar-v0", "linear", {"max_iter": 30}),
          ("MountainCar-v0", "linear", {"max_iter": 40, "episodes": 5}),
          ("Pendulum-v1", "mlp", {"max_iter": 50}),
          ("Pendulum-v1", "mlp", {"max_iter": 50, "episodes": 3})]


# -- the baseline: CEM as one would write it by hand ------------------------------------------

def plain_cem(seed, popsize=50, n_elite=10, smoothing=0.7, eval_episodes=100, max_iter=100):
    """Hand-rolled CEM on a linear policy; returns (solved, iterations, env steps)."""
    rng = np.random.default_rng(seed)
    mean, std = np.zeros(10), np.ones(10)
    train = gym.make_vec("CartPole-v1", num_envs=popsize, vectorization_mode="vector_entry_point")
    test = gym.make_vec("CartPole-v1", num_envs=eval_episodes,
                        vectorization_mode="vector_entry_point")
    steps = 0

    def returns(env, W):  # W: (n, 10), one linear policy per sub-env
        nonlocal steps
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        total, live = np.zeros(len(W)), np.ones(len(W), dtype=bool)
        for _ in range(500):
            logits = np.einsum("nd,nda->na", obs.astype(float), W[:, :8].reshape(-1, 4, 2))
            obs, r, term, trunc, _ = env.step((logits + W[:, 8:]).argmax(axis=1))
            total += r * live
            steps += int(live.sum())
            live &= ~(term | trunc)
            if not live.any():
                break
        return total

    for it in range(1, max_iter + 1):
        X = mean + std * rng.standard_normal((popsize, 10))
        elites = X[np.argsort(returns(train, X))[-n_elite:]]
        mean = smoothing * elites.mean(axis=0) + (1 - smoothing) * mean
        std = smoothing * elites.std(axis=0) + (1 - smoothing) * std
        if returns(test, np.tile(mean, (eval_episodes, 1))).mean() >= 475:
            return True, it, steps
    return False, max_iter, steps


# -- measurements ------------------------------------------------------------------------------

def solve_runs(seeds):
    runs = {name: [] for name in ["plain CEM (baseline)", *METHODS]}
    for seed in range(seeds):
        t0 = time.perf_counter()
        ok, nit, steps = plain_cem(seed)
        runs["plain CEM (baseline)"].append((ok, nit, steps, time.perf_counter() - t0, None))
        for name, run in METHODS.items():
            t0 = time.perf_counter()
            res = run(seed)
            runs[name].append((res.success, res.nit, res.env_steps, time.perf_counter() - t0,
                               res))
        print(f"seed {seed}: " + ", ".join(f"{n} {r[-1][3]:.2f}s" for n, r in runs.items()),
              flush=True)
    return runs


def steps_per_second(env_id, n_envs_list, repeats=5):
    """Counted env steps per second: batched EpisodeReturn against a single-env loop, for
    random linear policies (uneven, mostly short episodes: the vector env keeps stepping
    until the longest ends) and, where the search solves the task, copies of a solved policy
    (every episode long: the rollout's throughput)."""
    env = gym.make(env_id)
    policy = LinearPolicy(env.observation_space, env.action_space)
    rng = np.random.default_rng(0)
    populations = {"random": lambda n: rng.normal(size=(n, policy.n_params))}
    if env_id == "CartPole-v1":
        solved = policy_search(env_id, policy, seed=0, progress=False).x
        populations["solved"] = lambda n: np.tile(solved, (n, 1))

    def single(P):
        steps = 0
        for params in P:
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
            while True:
                obs, _, term, trunc, _ = env.step(policy.act(params, obs))
                steps += 1
                if term or trunc:
                    break
        return steps

    rows = []
    for kind, make in populations.items():
        for n in n_envs_list:
            P = make(n)
            f = EpisodeReturn(env_id, policy, seed=0)
            f(P)  # build the vector env outside the timing
            batched, plain = [], []
            for _ in range(repeats):
                before, t0 = f.env_steps, time.perf_counter()
                f(P)
                batched.append((f.env_steps - before) / (time.perf_counter() - t0))
                t0 = time.perf_counter()
                steps = single(P[: min(n, 16)])
                plain.append(steps / (time.perf_counter() - t0))
            rows.append((kind, n, np.median(batched), np.median(plain)))
    return rows


def other_envs(seeds):
    out = []
    for case, (env_id, policy, kwargs) in enumerate(OTHERS):
        for seed in range(seeds):
            t0 = time.perf_counter()
            res = policy_search(env_id, policy, seed=seed, progress=False, **kwargs)
            out.append((case, seed, res, time.perf_counter() - t0))
            print(f"{env_id} seed {seed}: eval {res.eval_return:.1f} after {res.nit} its, "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)
    return out


# -- report ------------------------------------------------------------------------------------

def span(values, fmt):
    values = np.asarray(values, dtype=float)
    return f"{fmt(np.median(values))} [{fmt(values.min())}–{fmt(values.max())}]"


def report(runs, speed, others, seeds, elapsed):
    base_time = np.median([r[3] for r in runs["plain CEM (baseline)"]])
    lines = [
        "# CartPole-v1 and classic control with ceopt.rl",
        "",
        f"`python benchmarks/cartpole.py --seeds {seeds}` — ceopt {ceopt.__version__}, "
        f"gymnasium {gym.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}, one process, one BLAS thread; {elapsed / 60:.0f} min.",
        "",
        "## Solving CartPole-v1",
        "",
        "Solved = the returned policy's mean return over 100 fresh episodes is at least 475. "
        "Wall time is the whole call, its evaluation included. Medians with [min–max] over "
        f"seeds 0..{seeds - 1}; the ratio is the median wall time over the plain CEM's, both "
        "measured in this run.",
        "",
        "| method | solved | iterations | env steps | wall time (s) | vs plain CEM |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        ok = sum(r[0] for r in rs)
        wall = np.median([r[3] for r in rs])
        lines.append(
            f"| {name} | {ok}/{len(rs)} | {span([r[1] for r in rs], lambda v: f'{v:.0f}')} | "
            f"{span([r[2] for r in rs], lambda v: f'{v / 1e3:.0f}k')} | "
            f"{span([r[3] for r in rs], lambda v: f'{v:.2f}')} | {wall / base_time:.2f} |")
    lines += [
        "",
        "Goals (issue 3): linear parameter-space 20/20, median < 0.12 s, none over 0.3 s; "
        "episode-level 20/20, median < 0.8 s.",
        "",
        "## Env steps per second",
        "",
        "Counted steps (none after an episode's end) per second, one episode per policy: "
        "`EpisodeReturn` on a vector env against a plain loop stepping one `gymnasium.make` "
        "env with the same numpy policy. *random*: random linear policies, mostly short "
        "episodes (the vector env steps every copy until the longest episode ends, so the "
        "finished copies' steps are work that counts for nothing); *solved*: copies of a "
        "solved policy, every episode long. Medians of 5 repeats.",
        "",
        "| env | policies | copies | batched (steps/s) | single-env loop (steps/s) | ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for env_id, rows in speed.items():
        for kind, n, batched, plain in rows:
            lines.append(f"| {env_id} | {kind} | {n} | {batched / 1e3:,.0f}k | "
                         f"{plain / 1e3:,.0f}k | {batched / plain:.1f}x |")
    lines += [
        "",
        "## Other classic-control tasks (defaults, `policy_search`)",
        "",
        "Per seed: the returned policy's mean return over 100 fresh episodes, iterations, "
        "wall time.",
        "",
        "| env | policy | options | target | evaluation return | iterations | wall time (s) |",
        "|---|---|---|---:|---|---|---|",
    ]
    for case, (env_id, policy, kwargs) in enumerate(OTHERS):
        rs = [o for o in others if o[0] == case]
        target = gym.spec(env_id).reward_threshold
        options = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        lines.append(f"| {env_id} | {policy} | {options} | "
                     f"{'none' if target is None else f'{target:g}'} | "
                     f"{', '.join(f'{o[2].eval_return:.1f}' for o in rs)} | "
                     f"{', '.join(str(o[2].nit) for o in rs)} | "
                     f"{', '.join(f'{o[3]:.0f}' for o in rs)} |")
    return "\n".join(lines) + "\n"


def plot(runs, others, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(METHODS)
    fig, axes = plt.subplots(2, 3, figsize=(14, 8), layout="constrained")
    for ax, name in zip(axes[0], names, strict=True):
        for r in runs[name]:
            h = r[4].history
            key = "mean" if name.startswith("episode") else "policy_return"
            ax.plot(h["env_steps"], h[key], lw=0.8, alpha=0.6)
        ax.axhline(475, color="grey", ls="--", lw=1)
        ylabel = "batch mean return" if name.startswith("episode") else "proposal's check"
        ax.set(title=f"CartPole-v1: {name}", xlabel="env steps", ylabel=ylabel)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v / 1e3:.0f}k")
    # Bottom row: the first seed of each other case, one panel per environment.
    panels = {}
    for case, (env_id, policy, kwargs) in enumerate(OTHERS):
        if env_id not in panels:
            panels[env_id] = axes[1][len(panels)]
        ax = panels[env_id]
        h = next(o[2] for o in others if o[0] == case).history
        its = np.arange(1, len(h["best"]) + 1)
        line, = ax.plot(its, h["policy_return"], lw=1.2,
                        label=f"{policy}, episodes={kwargs.get('episodes', 1)}: "
                              "better proposal's check")
        ax.plot(its, h["best"], lw=0.7, ls=":", color=line.get_color(), label="best candidate")
        target = gym.spec(env_id).reward_threshold
        if target is not None:
            ax.axhline(target, color="grey", ls="--", lw=1)
        ax.set(title=f"{env_id} (seed 0)", xlabel="iteration", ylabel="return")
        ax.legend(fontsize="x-small")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--other-seeds", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    runs = solve_runs(args.seeds)
    speed = {"CartPole-v1 (native)": steps_per_second("CartPole-v1", [16, 100, 256]),
             "Acrobot-v1 (sync)": steps_per_second("Acrobot-v1", [16, 100], repeats=3)}
    others = other_envs(args.other_seeds)
    RESULTS.mkdir(exist_ok=True)
    text = report(runs, speed, others, args.seeds, time.perf_counter() - t0)
    (RESULTS / "cartpole.md").write_text(text, encoding="utf-8")
    plot(runs, others, RESULTS / "cartpole.png")
    print(text)


if __name__ == "__main__":
    main()
