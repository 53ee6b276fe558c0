"""The project's front door: the CLI demo, the README's quick start, CI, lint."""

import re
import subprocess
import sys
from pathlib import Path

from ceopt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def quick_start_lines():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^#+[^\n]*quick[ -]?start[^\n]*\n.*?```[a-z]*\n(.*?)```", text,
                      re.I | re.S | re.M)
    assert block, "README.md needs a Quick start code block"
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_readme_quick_start_has_a_demo_line_and_a_test_line():
    demo, tests = quick_start_lines()
    assert "pip install" in demo and "ceopt" in demo.split("&&")[-1]
    assert 'pip install ".[test]"' in tests and "pytest" in tests


def test_ci_runs_the_readme_test_line():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "lines[1]" in ci and "README.md" in ci  # it reads the line from the README


def test_demo_solves_its_problems(capsys):
    assert main(["demo", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("solved") == 4 and "NOT solved" not in out


def test_ruff_is_clean():
    # ruff comes with the test extra; the README's test line installs it.
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
