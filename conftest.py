"""What the optional extras mean for a test run (``testpaths = tests ceopt`` in setup.cfg).

With only the core and the test extra installed (``pip install ".[test]"``), the run passes or
skips everywhere, and every skip names the package to install:

- A test marked ``gym``, ``dask``, ``bench`` or ``docs`` (the markers setup.cfg registers) is
  skipped when a package its marker stands for is missing. A test file that imports such a
  package at its top also calls ``pytest.importorskip`` before that import.
- The doctests of a ceopt subpackage that cannot be imported without an optional package
  (ceopt.rl needs gymnasium) are not collected; the report header says so. When the package
  is there, those doctests carry the marker of their extra, like the tests.
- A few doctests are slow (a whole estimate or training run); they carry ``slow``.

This file sits at the repository root rather than in ceopt/ so that it is not installed with
the package.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

import pytest

# Marker -> the importable packages it stands for, and the extra that installs them.
MARKER_NEEDS = {
    "gym": (("gymnasium",), "gym"),
    "dask": (("distributed",), "dask"),
    "bench": (("cma", "cocoex"), "bench"),
    "docs": (("sphinx", "myst_parser"), "docs"),
}

# ceopt subpackages whose import needs an optional package: folder -> marker.
SUBPACKAGE_MARKER = {"ceopt/rl": "gym"}

# Doctests that run a whole estimate or training (seconds each), by their pytest name.
SLOW_DOCTESTS = {
    "ceopt.reliability.estimate_failure_probability",
    "ceopt.rl.episode.episode_cross_entropy",
}

ROOT = Path(__file__).resolve().parent


@cache
def missing(marker: str) -> tuple[str, ...]:
    """The packages ``marker`` stands for that are not installed."""
    packages, _ = MARKER_NEEDS[marker]
    return tuple(name for name in packages if find_spec(name) is None)


# Paths relative to this file; pytest reads the name at collection.
collect_ignore = [folder for folder, marker in SUBPACKAGE_MARKER.items() if missing(marker)]


def pytest_report_header() -> list[str]:
    return [f"doctests of {folder} not collected: needs {', '.join(missing(marker))} "
            f"(pip install '.[{MARKER_NEEDS[marker][1]}]')"
            for folder, marker in SUBPACKAGE_MARKER.items() if folder in collect_ignore]


# First, so that ``-m "not slow"`` and ``-m gym`` see the markers added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        if path.is_relative_to(ROOT / "ceopt"):  # only doctests are collected there
            mark_doctest(item, path.relative_to(ROOT).as_posix())
        for marker in MARKER_NEEDS:
            if item.get_closest_marker(marker) and (absent := missing(marker)):
                extra = MARKER_NEEDS[marker][1]
                item.add_marker(pytest.mark.skip(
                    reason=f"needs {', '.join(absent)} (pip install '.[{extra}]')"))


def mark_doctest(item: pytest.Item, where: str) -> None:
    if item.name in SLOW_DOCTESTS:
        item.add_marker(pytest.mark.slow)
    for folder, marker in SUBPACKAGE_MARKER.items():
        if where.startswith(folder + "/"):
            item.add_marker(getattr(pytest.mark, marker))
