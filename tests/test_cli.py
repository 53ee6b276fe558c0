"""The ``ceopt`` command: plain-text help, ``python -m ceopt``, ``ceopt bench``, and no saved
policy or result replaced without ``--force``. (The demo's and cartpole's runs are tested in
test_project.py.)"""

import re
import subprocess
import sys

import pytest

import ceopt
from ceopt.cli import main

HELPS = [[], ["demo"], ["cartpole"], ["rl"], ["bench"]]
TINY_BENCH = ["bench", "--quick", "--functions", "1", "--solvers", "ceopt", "de",
              "--budget", "20", "--jobs", "1", "--quiet"]


def help_text(command: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", HELPS, ids=lambda c: " ".join(c) or "ceopt")
def test_help_is_plain_text_for_a_terminal(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps its own text to this width
    text = help_text(command, capsys)
    assert not re.search(r"``|:(func|mod|class|data|meth):|`", text), text
    assert max(map(len, text.splitlines())) <= 80
    assert text.startswith(f"usage: ceopt {' '.join(command)}".rstrip())


def test_the_main_help_names_every_command_and_the_extras(capsys):
    text = help_text([], capsys)
    for command in ("demo", "cartpole", "rl", "bench"):
        assert re.search(rf"^\s+{command}\s+\w", text, re.MULTILINE), command
    assert 'pip install ".[gym]"' in text and 'pip install ".[bench]"' in text


def test_subcommand_help_documents_force_and_the_output_folders(capsys):
    rl = help_text(["rl"], capsys)
    assert "--force" in rl and "ceopt-out" in rl
    bench = help_text(["bench"], capsys)
    assert "--force" in bench and "./ceopt-bench/quick with --quick" in bench
    assert "pip install cma coco-experiment matplotlib tqdm" in bench


@pytest.mark.slow
def test_python_dash_m_ceopt_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "ceopt", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == f"ceopt {ceopt.__version__}"
    proc = subprocess.run([sys.executable, "-m", "ceopt"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "usage: ceopt" in proc.stderr


# -- cartpole and rl: a saved policy is replaced only with --force -----------------------------
@pytest.fixture
def no_training(monkeypatch):
    """Make any training an error, to show that a refusal comes before it."""
    import ceopt.rl.cli

    def train(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(ceopt.rl.cli, "_train", train)


@pytest.mark.gym
@pytest.mark.parametrize("existing", ["npz", "png", "both"])
def test_an_earlier_policy_is_kept_and_nothing_is_trained(existing, tmp_path, capsys,
                                                          no_training):
    stem = tmp_path / "CartPole-v1-param-linear-seed0"
    suffixes = [".npz", ".png"] if existing == "both" else [f".{existing}"]
    for suffix in suffixes:
        stem.with_suffix(suffix).write_bytes(b"an earlier run")
    assert main(["cartpole", "--max-iter", "1", "--out", str(tmp_path), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--force" in captured.err and "--out" in captured.err
    assert all(str(stem.with_suffix(s)) in captured.err for s in suffixes)
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == [b"an earlier run"] * len(
        suffixes)


@pytest.mark.gym
def test_no_plot_ignores_an_earlier_curve_and_force_replaces_the_policy(tmp_path, capsys):
    from ceopt.rl.io import load_policy

    npz = tmp_path / "CartPole-v1-param-linear-seed0.npz"
    png = npz.with_suffix(".png")
    png.write_bytes(b"an earlier curve")
    argv = ["cartpole", "--max-iter", "1", "--eval-episodes", "2", "--out", str(tmp_path),
            "--quiet", "--no-plot"]
    assert main(argv) in (0, 1)  # the curve is not written, so it is no conflict
    assert png.read_bytes() == b"an earlier curve" and npz.exists()
    npz.write_bytes(b"an earlier run")
    assert main(argv) == 2
    assert main([*argv, "--force"]) in (0, 1)
    policy, params, spec = load_policy(npz)
    assert spec["env_id"] == "CartPole-v1" and params.shape == (policy.n_params,)
    assert "saved " + str(npz) in capsys.readouterr().out


# -- ceopt bench ---------------------------------------------------------------------------------
@pytest.mark.bench
@pytest.mark.slow
def test_bench_quick_writes_its_table_and_keeps_it_unless_forced(tmp_path, capsys, monkeypatch):
    out = tmp_path / "results"
    assert main([*TINY_BENCH, "--out", str(out)]) == 0
    text = (out / "bbob.md").read_text()
    headline = text[text.index("## Headline"):text.index("## Where ceopt stands")]
    rows = [line for line in headline.splitlines() if line.startswith("| ")]
    assert {row.split("|")[1].strip() for row in rows[1:]} == {"ceopt", "de"}
    assert {p.name for p in out.iterdir()} == {"bbob.md", "bbob-runs.csv", "bbob-meta.json",
                                               "bbob-ecdf-d2.png", "bbob-ecdf-d5.png"}
    capsys.readouterr()

    import ceopt.bench.run

    def run(args):
        raise AssertionError("the benchmark ran")
    monkeypatch.setattr(ceopt.bench.run, "run", run)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main([*TINY_BENCH, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "--update" in err and str(out) in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(AssertionError, match="the benchmark ran"):  # --force goes ahead
        main([*TINY_BENCH, "--out", str(out), "--force"])


def test_bench_without_its_extra_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "cocoex", None)  # as if coco-experiment were missing
    out = tmp_path / "results"
    assert main([*TINY_BENCH, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ceopt bench: ")
    assert "coco-experiment" in err and 'pip install ".[bench]"' in err
    assert "cma," not in err  # only what is missing is named
    assert not out.exists()


def test_bench_refuses_update_and_force_together(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([*TINY_BENCH, "--out", str(tmp_path), "--update", "--force"])
    assert "not both" in capsys.readouterr().err
