"""The ``ceopt`` command: the demo, policy search on gymnasium environments (:mod:`ceopt.rl.cli`)
and the BBOB benchmark (:mod:`ceopt.bench`). Its help is written for the terminal, in
:data:`DESCRIPTION` and the subcommands' descriptions, not taken from these docstrings.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._version import __version__
from .bench import run as bench
from .distributions import Bernoulli, Categorical
from .optimize import maximize, minimize


def rosenbrock(X: np.ndarray) -> np.ndarray:
    """Rosenbrock's curved valley, vectorised over rows; minimum 0 at (1, ..., 1)."""
    return (100.0 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1.0 - X[:, :-1]) ** 2).sum(axis=1)


def rastrigin(X: np.ndarray) -> np.ndarray:
    """Rastrigin's egg-box, vectorised over rows; global minimum 0 at the origin."""
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2 * np.pi * X)).sum(axis=1)


def demo(seed: int) -> int:
    """Solve one continuous, one multimodal and two discrete problems; 0 if all are solved."""
    rng = np.random.default_rng(seed)
    hidden = rng.integers(0, 10, size=30)
    shift = rng.uniform(-4, 4, size=2)
    problems = [
        ("Rosenbrock, 5-d", "f < 1e-6",
         lambda: minimize(rosenbrock, x0=rng.uniform(-5, 5, 5), ftarget=1e-6,
                          vectorized=True, seed=seed),
         lambda r: r.fun < 1e-6),
        # Shifted: the search starts at the box's centre, Rastrigin's own optimum.
        ("Rastrigin, 2-d, shifted, restarts", "global optimum",
         lambda: minimize(lambda X: rastrigin(X - shift), bounds=[(-5.12, 5.12)] * 2,
                          ftarget=1e-8, max_evals=20_000, vectorized=True, seed=seed),
         lambda r: r.fun < 1e-8),
        ("OneMax, 100 bits", "all ones",
         lambda: maximize(lambda B: B.sum(axis=1), dist=Bernoulli(np.full(100, 0.5)),
                          vectorized=True, seed=seed),
         lambda r: r.fun == 100),
        ("hidden string, 30 symbols of 10", "exact match",
         lambda: maximize(lambda S: (S == hidden).sum(axis=1),
                          dist=Categorical(np.full((30, 10), 0.1)), vectorized=True, seed=seed),
         lambda r: r.fun == 30),
    ]
    print(f"ceopt {__version__} demo (seed {seed})\n")
    print(f"{'problem':<40} {'goal':<15} {'result':>12} {'evals':>8} {'time':>7}  stop")
    all_solved = True
    for name, goal, run, solved in problems:
        t0 = time.perf_counter()
        res = run()
        ok = solved(res)
        all_solved &= ok
        print(f"{name:<40} {goal:<15} {res.fun:>12.3g} {res.nfev:>8d} "
              f"{time.perf_counter() - t0:>6.2f}s  {'solved' if ok else 'NOT solved'}: "
              f"{res.message}")
    return 0 if all_solved else 1


def _seed(text: str) -> int:
    seed = int(text)
    if seed < 0:
        raise argparse.ArgumentTypeError(f"seed must be non-negative, got {seed}")
    return seed


DESCRIPTION = """\
Black-box optimisation and rare-event estimation with the cross-entropy method.
Run "ceopt COMMAND --help" for a command's options.
"""

EPILOG = """\
examples:
  ceopt demo
  ceopt cartpole --seed 1
  ceopt rl Acrobot-v1 --policy mlp
  ceopt bench --quick

cartpole and rl need the gym extra, bench the bench extra; install them from
ceopt's project folder: pip install ".[gym]" or pip install ".[bench]".
"""

DEMO_DESCRIPTION = """\
Optimise four small problems (Rosenbrock, a shifted Rastrigin, OneMax and a
hidden string) and report each result. Exit status 0 when all four are solved.
"""

RL_DESCRIPTION = """\
Train a policy by cross-entropy search, evaluate it, and save it (.npz) with its
learning curve (.png) into --out, named after the environment, method, policy
and seed. A file of an earlier run of the same name is kept: the command stops
before training unless --force is given. Exit status: 0 when the evaluation
reaches the target return (or the environment has none), 1 when it does not,
2 on bad input.
"""

BENCH_DESCRIPTION = """\
Run ceopt against scipy's optimisers and pycma on the 24 noiseless functions of
COCO's bbob suite and write the results into --out (default ./ceopt-bench, or
./ceopt-bench/quick with --quick): bbob-runs.csv (one row per run),
bbob-meta.json (settings and versions), bbob.md (the tables) and one ECDF plot
per dimension, bbob-ecdf-d<dim>.png. The results of an earlier run in --out are
kept unless --force (replace them) or --update (rerun some solvers) is given.
The full default run takes about 18 minutes on 2 cores, --quick under a minute.
The runs are spread over --jobs processes; for wall times comparable with the
published ones, give each one BLAS thread: OPENBLAS_NUM_THREADS=1 ceopt bench.

Needs the bench extra: pip install ".[bench]" from ceopt's project folder, or
pip install cma coco-experiment matplotlib tqdm.
"""

BENCH_RESULTS = Path("ceopt-bench")  # relative: the folder the command is run from


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ceopt`` command with ``argv`` (default: the command line); the exit status."""
    plain = argparse.RawDescriptionHelpFormatter  # keeps the descriptions' line breaks
    parser = argparse.ArgumentParser(prog="ceopt", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=plain)
    parser.add_argument("--version", action="version", version=f"ceopt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_demo = commands.add_parser("demo", help="optimise a few small problems and report",
                                 description=DEMO_DESCRIPTION, formatter_class=plain)
    p_demo.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p_cart = commands.add_parser("cartpole", help="solve CartPole-v1 by policy search (gym extra)",
                                 description=RL_DESCRIPTION, formatter_class=plain)
    p_rl = commands.add_parser("rl", help="policy search on a gymnasium environment (gym extra)",
                               description=RL_DESCRIPTION, formatter_class=plain)
    p_rl.add_argument("env_id", help="a registered gymnasium id, e.g. Acrobot-v1")
    for p in (p_cart, p_rl):
        _add_rl_arguments(p)
    p_bench = commands.add_parser("bench", help="the bbob benchmark, against scipy and pycma "
                                                 "(bench extra)",
                                  description=BENCH_DESCRIPTION, formatter_class=plain)
    bench.add_options(p_bench, BENCH_RESULTS, force=True)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.seed)
    if args.command == "bench":
        return bench.start(bench.settle(args, p_bench.error, BENCH_RESULTS), "ceopt bench",
                           keep_earlier=True)
    try:
        from .rl.cli import run  # gymnasium is an extra: imported only when asked for
    except ImportError as exc:
        print(f"ceopt {args.command}: {exc}", file=sys.stderr)
        return 2
    return run("CartPole-v1" if args.command == "cartpole" else args.env_id, args)


def _add_rl_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``cartpole`` and ``rl`` share (their help is read in a terminal)."""
    parser.add_argument("--method", choices=("param", "episode"), default="param",
                        help="param: CE over the policy's parameters (default); episode: "
                             "train a network on elite episodes")
    parser.add_argument("--policy", choices=("linear", "mlp"), default="linear",
                        help="policy of the param method (default linear)")
    parser.add_argument("--hidden", type=int, nargs="+", default=None,
                        help="hidden layer widths of the network (default: 16 for --policy "
                             "mlp, 128 for --method episode)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    parser.add_argument("--max-iter", type=_positive, default=None,
                        help="iterations at most (default 100 param, 300 episode)")
    parser.add_argument("--target", type=float, default=None,
                        help="target mean return (default: the env's reward threshold)")
    parser.add_argument("--eval-episodes", type=_positive, default=100,
                        help="episodes of the final evaluation (default 100)")
    parser.add_argument("--episodes", type=_episodes, default=None,
                        help="training episodes per candidate of the param method: a number "
                             "(default 1, 4 with --noise) or 'auto' for noisy returns "
                             "(FrozenLake)")
    parser.add_argument("--noise", action="store_true",
                        help="the returns are noisy (Pendulum): the param method's search "
                             "settings for noise (docs/noise.md)")
    parser.add_argument("--max-steps", type=_positive, default=None,
                        help="episode length cap (default: the env's time limit; needed "
                             "for envs without one)")
    parser.add_argument("--out", type=Path, default=Path("ceopt-out"),
                        help="folder for the policy (.npz) and learning curve (.png); "
                             "default ./ceopt-out")
    parser.add_argument("--force", action="store_true",
                        help="replace a policy and curve of the same name already in --out")
    parser.add_argument("--no-plot", action="store_true", help="skip the learning-curve PNG")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _episodes(text: str) -> int | str:
    return "auto" if text == "auto" else _positive(text)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
