"""The solvers of the BBOB benchmark and the recorder that measures them: ceopt/bench/solvers.py,
re-exported here for the scripts of this folder that import ``bbob_solvers``."""

from ceopt.bench.solvers import *  # noqa: F403
