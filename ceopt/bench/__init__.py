"""The BBOB benchmark harness behind ``ceopt bench``: ceopt against scipy's optimisers and pycma
on the 24 noiseless functions of the COCO bbob suite.

The modules: :mod:`~ceopt.bench.run` (options, runs, files written), :mod:`~ceopt.bench.solvers`
(the solvers and the recorder that measures them), :mod:`~ceopt.bench.measure` (the raw runs
and COCO's measure), :mod:`~ceopt.bench.report` (the markdown tables) and
:mod:`~ceopt.bench.plots` (the ECDF figures). They need the ``bench`` extra, imported only
when a run starts; :func:`missing_extras` says which part of it is absent. The method and the
solvers' settings are described in benchmarks/README.md of ceopt's repository.
"""

from __future__ import annotations

import importlib.util

#: The bench extra: module imported -> package to install.
EXTRAS = {"cma": "cma", "cocoex": "coco-experiment", "matplotlib": "matplotlib",
          "tqdm": "tqdm"}


def missing_extras() -> list[str]:
    """The packages of the ``bench`` extra that cannot be imported, as pip names them."""
    return [package if module == package else f"{package} (module {module})"
            for module, package in EXTRAS.items() if importlib.util.find_spec(module) is None]
