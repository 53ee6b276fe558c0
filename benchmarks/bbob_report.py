"""Tables and plots of a BBOB run, from its raw CSV (bbob.py writes both).

    python benchmarks/bbob_report.py benchmarks/results/bbob-runs.csv

The code is the package's: ceopt/bench/measure.py (the raw runs and the measure),
ceopt/bench/report.py (the tables) and ceopt/bench/plots.py (the figures), re-exported here for
the scripts of this folder that import ``bbob_report``.
"""

from ceopt.bench.measure import *  # noqa: F403
from ceopt.bench.plots import *  # noqa: F403
from ceopt.bench.report import *  # noqa: F403
from ceopt.bench.report import _duration, _table, main  # noqa: F401

if __name__ == "__main__":
    main()
