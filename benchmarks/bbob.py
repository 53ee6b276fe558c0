"""ceopt against scipy's optimisers and pycma on the COCO bbob suite.

    python benchmarks/bbob.py                # the full default run, about 18 min on 2 cores
    python benchmarks/bbob.py --quick        # 5 functions, d = 2 and 5, about 5 s
    python benchmarks/bbob.py --dims 10 --functions 10-14 --instances 1-3 --budget 200
    python benchmarks/bbob.py --ablation     # ceopt's variants, for the ablation table
    python benchmarks/bbob.py --update --solvers ceopt   # rerun one, keep the others' runs

The harness is the package's ceopt.bench (ceopt/bench/run.py), also run by ``ceopt bench``;
this script runs it into --out (default benchmarks/results, or benchmarks/results/quick with
--quick), replacing the results there, which are kept under version control: ``bbob-runs.csv``
(one row per run: evaluations to reach each target, best f - f_opt, wall time),
``bbob-meta.json`` (settings, versions, f_opt of every problem), ``bbob.md`` (the tables) and
``bbob-ecdf-d<dim>.png``. ``--ablation`` runs ceopt's variants instead and writes
``bbob-ablation-*``; ``bbob.md`` then gains the ablation table. How f_opt is found and why
each solver is set as it is: benchmarks/README.md. Needs the bench extra:
pip install ".[bench]".
"""

import os

# One BLAS thread per process: the runs are spread over the cores instead. Set before numpy is
# loaded (by ceopt), which reads it once.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from ceopt.bench import run as harness  # noqa: E402

# The other scripts of this folder import these from here.
from ceopt.bench.run import DEFAULT, QUICK, int_list, run, tasks  # noqa: E402, F401

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv=None) -> argparse.Namespace:
    return harness.parse_args(argv, prog="python benchmarks/bbob.py", results=RESULTS,
                              description=__doc__)


def main(argv=None) -> int:
    """Run as ``argv`` say; the exit status (2, with a message, when nothing could run)."""
    return harness.start(parse_args(argv), "bbob.py", keep_earlier=False)


if __name__ == "__main__":
    sys.exit(main())
