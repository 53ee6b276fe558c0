"""The project's front door: the CLI demo, the README's quick start, CI, lint."""

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from ceopt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_has_a_demo_line_and_a_test_line():
    proc = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_test_line.py")],
                          capture_output=True, text=True, check=True)
    test_line = proc.stdout.strip()
    assert 'pip install ".[dev]"' in test_line and "pytest" in test_line
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install ".[gym]" && ceopt cartpole' in readme


def test_ci_runs_the_line_the_readme_gives():
    readme_line = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_test_line.py")],
                                 capture_output=True, text=True, check=True).stdout.strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_line in ci  # run as a command of its own, whose failure ends CI (set -e)
    assert f"ci_line='{readme_line}'" in ci  # and the drift check compares against it
    assert "set -euo pipefail" in ci


def test_demo_solves_its_problems(capsys):
    assert main(["demo", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("solved") == 4 and "NOT solved" not in out


@pytest.mark.gym
@pytest.mark.slow
def test_cartpole_command_solves_saves_and_exits_zero(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the command plots its training (pip install "
                        "'.[gym]')")
    from ceopt.rl.io import load_policy

    assert main(["cartpole", "--seed", "0", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "CartPole-v1: parameter-space CE, linear policy (10 parameters), seed 0" in out
    assert "evaluation over 100 episodes: mean" in out and "target 475" in out
    npz = tmp_path / "CartPole-v1-param-linear-seed0.npz"
    png = tmp_path / "CartPole-v1-param-linear-seed0.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    policy, params, spec = load_policy(npz)
    assert spec == {"env_id": "CartPole-v1", "env_kwargs": {}, "hidden": [], "activation": "tanh",
                    "method": "param", "seed": 0}
    assert params.shape == (policy.n_params,) == (10,)
    with np.load(npz) as data:
        assert data["eval_returns"].mean() >= 475 and data["history_best"].size >= 1


@pytest.mark.gym
def test_rl_command_exits_one_when_the_target_is_not_reached(tmp_path, capsys):
    from ceopt.rl.io import load_policy

    argv = ["rl", "CartPole-v1", "--method", "episode", "--hidden", "8", "--max-iter", "2",
            "--eval-episodes", "5", "--out", str(tmp_path), "--no-plot", "--quiet"]
    assert main(argv) == 1
    assert "not solved after 2 iterations" in capsys.readouterr().out
    policy, _, spec = load_policy(tmp_path / "CartPole-v1-episode-network-seed0.npz")
    assert policy.hidden == (8,) and spec["method"] == "episode"
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.gym
@pytest.mark.parametrize("argv, message", [
    (["cartpole", "--method", "episode", "--policy", "mlp"], "--policy chooses"),
    (["cartpole", "--hidden", "8"], "--hidden sets the width"),
    (["cartpole", "--method", "episode", "--noise"], "--episodes and --noise"),
    (["rl", "NoSuchEnv-v0"], "NoSuchEnv"),
    (["rl", "Pendulum-v1", "--method", "episode"], "Discrete action space"),
    (["rl", "Blackjack-v1"], "Box or Discrete observations"),
    (["rl", "CliffWalking-v1"], "give max_steps"),
])
def test_rl_command_reports_bad_input_with_exit_status_two(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.gym
def test_namespaced_env_ids_become_flat_file_names(tmp_path, capsys):
    import gymnasium as gym

    if "CeoptTest/Pole-v1" not in gym.registry:
        gym.register("CeoptTest/Pole-v1", max_episode_steps=60, reward_threshold=50.0,
                     entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv")
    assert main(["rl", "CeoptTest/Pole-v1", "--policy", "mlp", "--hidden", "4", "--out",
                 str(tmp_path), "--quiet", "--no-plot"]) == 0
    assert "MLP policy (4,)" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [
        "CeoptTest_Pole-v1-param-mlp-seed0.npz"]


@pytest.mark.gym
@pytest.mark.slow
def test_rl_command_with_noise_solves_mountain_car_continuous(tmp_path, capsys):
    assert main(["rl", "MountainCarContinuous-v0", "--noise", "--out", str(tmp_path),
                 "--quiet", "--no-plot"]) == 0
    assert "solved after" in capsys.readouterr().out


def test_rl_command_parse_errors(capsys):
    with pytest.raises(SystemExit):
        main(["cartpole", "--seed", "-1"])
    with pytest.raises(SystemExit):
        main(["rl"])  # the environment id is required


@pytest.mark.skipif(find_spec("ruff") is None, reason="needs ruff (pip install '.[dev]')")
def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
