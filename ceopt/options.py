"""Which part of a run each option of :class:`~ceopt.CrossEntropy` (and ``minimize``) goes to.

The run takes the options of its parts as keywords; each part checks its own: the population
sizes and the update rule's options go to the rule (:mod:`ceopt.updates`), the stopping
tolerances to every local search's :class:`~ceopt.stopping.Convergence`, ``separable`` to
the restart schedule (:mod:`ceopt.schedules`).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from ._checks import integer, real
from .distributions import Distribution
from .stopping import Convergence
from .updates import UpdateRule

SIZE_OPTIONS = ("popsize", "elite_frac", "n_elite")
RULE_OPTIONS = ("weights", "scale_control", "keep_best", "smoothing", "smoothing_cov",
                "rank_one", "active")
STOP_OPTIONS = ("tol_spread", "patience", "tol_fun", "search_evals")
SCHEDULE_OPTIONS = ("separable",)
OPTIONS = SIZE_OPTIONS + RULE_OPTIONS + STOP_OPTIONS + SCHEDULE_OPTIONS
#: scipy.optimize's names for arguments that ceopt spells otherwise.
SCIPY_NAMES = {"maxiter": "max_iter", "maxfev": "max_evals", "maxfun": "max_evals"}


def check_options(options: dict[str, Any], caller: str = "CrossEntropy",
                  *takes: Callable) -> None:
    """A TypeError for a keyword argument that neither the options nor the named parameters
    of ``takes`` (functions or classes) include. It names ``caller``, the function the user
    called, as Python's own error would, and the name meant: scipy's spelling's (``maxiter``
    is ``max_iter``), else the closest of those names."""
    known = OPTIONS + tuple(name for function in takes
                            for name, parameter in inspect.signature(function).parameters.items()
                            if parameter.kind is not parameter.VAR_KEYWORD)
    for name in options:
        if name in known:
            continue
        if name in SCIPY_NAMES:
            hint = f": scipy's {name} is {SCIPY_NAMES[name]} in ceopt"
        else:
            # A two-letter name shares one letter at most with the one meant (xo, x0).
            near = difflib.get_close_matches(name, known, n=1,
                                             cutoff=0.5 if len(name) <= 2 else 0.6)
            hint = (f"; did you mean {near[0]}=?" if near
                    else f"; help(ceopt.{caller}) lists the arguments it takes")
        raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}{hint}")


def picked(options: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The options of one part (None where not given)."""
    return {name: options.get(name) for name in names}


def convergence(dist: Distribution, rule: UpdateRule, options: dict[str, Any]) -> Convergence:
    """When a local search ends, from ``tol_spread`` (relative to the initial spread above the
    family's floor; default 1e-12 continuous, 1e-6 discrete), ``patience`` (20) and
    ``tol_fun`` (the method's default), ``search_evals`` (None)."""
    tol_spread = options.get("tol_spread")
    if tol_spread is None:
        tol_spread = 1e-6 if dist.discrete else 1e-12
    tol_spread = real("tol_spread", tol_spread, minimum=0.0)
    patience = integer("patience", 20 if options.get("patience") is None
                       else options["patience"], 1)
    tol_fun = options.get("tol_fun")
    tol_fun = real("tol_fun", rule.TOL_FUN if tol_fun is None else tol_fun, minimum=0.0)
    search_evals = options.get("search_evals")
    if search_evals is not None:
        search_evals = integer("search_evals", search_evals, 1)
    return Convergence(tol_spread * dist.spread_above_floor, patience, tol_fun, search_evals)
