"""The documentation site builds without a warning, documents the API, and its examples run."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="needs sphinx (pip install '.[docs]')")
pytest.importorskip("myst_parser", reason="needs myst-parser (pip install '.[docs]')")

pytestmark = pytest.mark.docs

DOCS = Path(__file__).resolve().parents[1] / "docs"

# The guide pages written for the site, whose python blocks are whole programs.
EXAMPLE_PAGES = ["index.md", "continuous.md", "discrete.md", "rl.md", "workers.md",
                 "progress.md"]


def sphinx_build(source: Path, out: Path) -> subprocess.CompletedProcess:
    """The build the project documents: HTML, warnings as errors, every warning reported."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / "doctrees"), str(source), str(out / "html")],
        capture_output=True, text=True)


def page_text(path: Path) -> str:
    """An HTML page's text, without its tags."""
    return re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    # The API reference imports ceopt.rl, which needs gymnasium (the docs extra has it).
    pytest.importorskip("gymnasium", reason="the API reference of ceopt.rl needs gymnasium")
    build = sphinx_build(DOCS, tmp_path)
    assert build.returncode == 0, f"sphinx-build failed:\n{build.stderr}"
    html = tmp_path / "html"
    api = page_text(html / "api" / "optimize.html")
    assert "ceopt.minimize(fun, x0=None, sigma0=None, *, bounds=None" in api
    assert 'id="ceopt.minimize"' in (html / "api" / "optimize.html").read_text(encoding="utf-8")
    # Repository files outside docs/ are named, not copied into the site.
    assert "benchmarks/results/noise.md" in page_text(html / "noise.html")
    assert not (html / "_downloads").exists()


@pytest.mark.slow
def test_links_outside_docs_become_paths_and_broken_ones_fail(tmp_path):
    repository = tmp_path / "repository"
    (repository / "docs").mkdir(parents=True)
    (repository / "results").mkdir()
    shutil.copy(DOCS / "conf.py", repository / "docs" / "conf.py")
    (repository / "results" / "kept.md").write_text("# kept\n")
    (repository / "results" / "script.py").write_text("print('hello')\n")
    (repository / "docs" / "index.md").write_text(
        "# Links\n\n"
        "See [the results](../results/kept.md), [`results/script.py`](../results/script.py)"
        " and [a file that is not there](../results/missing.md).\n")

    build = sphinx_build(repository / "docs", tmp_path / "out")

    assert build.returncode != 0
    assert "missing" in build.stderr
    assert "kept" not in build.stderr and "script" not in build.stderr
    index = page_text(tmp_path / "out" / "html" / "index.html")
    assert "the results (results/kept.md)" in index
    assert "results/script.py" in index
    assert not (tmp_path / "out" / "html" / "_downloads").exists()


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_guide_examples_run(page, tmp_path):
    if page == "rl.md" and importlib.util.find_spec("gymnasium") is None:
        pytest.skip("the policy-search examples need gymnasium (the gym extra)")
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python example"
    for number, code in enumerate(blocks, start=1):
        # Each block is a program of its own, run as a script (the workers example starts
        # a process pool, which needs a real __main__), in a folder of its own.
        folder = tmp_path / f"example{number}"
        folder.mkdir()
        (folder / "example.py").write_text(code, encoding="utf-8")
        run = subprocess.run([sys.executable, "example.py"], cwd=folder, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, f"{page}, example {number} failed:\n{run.stderr}"
