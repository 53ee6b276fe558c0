"""The project's front door: the CLI demo, the README's quick start, CI, lint."""

import subprocess
import sys
from pathlib import Path

from ceopt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_has_a_demo_line_and_a_test_line():
    proc = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_test_line.py")],
                          capture_output=True, text=True, check=True)
    test_line = proc.stdout.strip()
    assert 'pip install ".[test]"' in test_line and "pytest" in test_line
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install . && ceopt demo" in readme


def test_ci_runs_the_line_the_readme_gives():
    readme_line = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_test_line.py")],
                                 capture_output=True, text=True, check=True).stdout.strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == readme_line  # the last command, so its exit status is CI's
    assert f"ci_line='{readme_line}'" in ci  # and the drift check compares against it
    assert "set -euo pipefail" in ci


def test_demo_solves_its_problems(capsys):
    assert main(["demo", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("solved") == 4 and "NOT solved" not in out


def test_ruff_is_clean():
    # ruff comes with the test extra; the README's test line installs it.
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
