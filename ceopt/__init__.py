"""ceopt: black-box optimisation and rare-event estimation with the cross-entropy method."""

from ._version import __version__ as __version__
from .cross_entropy import CrossEntropy
from .distributions import (
    Bernoulli,
    BernoulliTree,
    Categorical,
    DiagGaussian,
    Distribution,
    Exponential,
    Gaussian,
    Mixture,
    NodeTransition,
    Ordinal,
    Permutation,
    PlackettLuce,
    PositionMatrix,
    Product,
    ShiftedNormal,
)
from .driver import resume
from .nataf import Nataf
from .optimize import maximize, minimize
from .plotting import plot
from .rare_event import RareEventResult, RareEventWarning, estimate_rare_event
from .reliability import FailureResult, estimate_failure_probability
from .space import Choice, Integer, Ordering, Real, Space

__all__ = [
    "CrossEntropy",
    "minimize",
    "maximize",
    "resume",
    "Distribution",
    "Gaussian",
    "DiagGaussian",
    "Bernoulli",
    "BernoulliTree",
    "Categorical",
    "Exponential",
    "Ordinal",
    "Product",
    "Mixture",
    "ShiftedNormal",
    "Permutation",
    "NodeTransition",
    "PositionMatrix",
    "PlackettLuce",
    "Real",
    "Integer",
    "Choice",
    "Ordering",
    "Space",
    "estimate_rare_event",
    "RareEventResult",
    "RareEventWarning",
    "estimate_failure_probability",
    "FailureResult",
    "Nataf",
    "plot",
]
