"""Sampling distributions with a weighted maximum-likelihood ``fit``: the CE update's model.

Each family is one file. :data:`FAMILIES` names them, so that a checkpoint can say which
family its distribution is and be read back without running code; :func:`register` adds a
family of your own (``docs/architecture.md`` shows one, start to finish), which may use the
checks the built-in ones share: :func:`check_samples` and :func:`normalized_weights`.
"""

from typing import Any

from .._registry import Registry
from ._base import (
    Distribution,
    LocationScale,
    UnsupportedOperation,
    check_samples,
    normalized_weights,
)
from ._permutation import PermutationModel
from .bernoulli import Bernoulli
from .bernoulli_tree import BernoulliTree
from .categorical import Categorical
from .diag_gaussian import DiagGaussian
from .exponential import Exponential
from .gaussian import Gaussian
from .mixture import Mixture
from .ordinal import Ordinal
from .permutation import Permutation
from .plackett_luce import PlackettLuce
from .position import PositionMatrix
from .product import Product
from .shifted_normal import ShiftedNormal
from .transition import NodeTransition

#: The families a checkpoint may name, by class name.
FAMILIES = Registry("distribution family", Distribution, "ceopt.distributions",
                    key=lambda family: family.__name__,
                    parts=(Gaussian, DiagGaussian, Bernoulli, BernoulliTree, Categorical,
                           Exponential, Ordinal, Product, NodeTransition, PositionMatrix,
                           PlackettLuce, Mixture, ShiftedNormal))
#: Make a family of your own known to checkpoints (usable as a class decorator).
register = FAMILIES.register


def to_state(dist: Distribution) -> dict[str, Any]:
    """``dist`` as plain data: its family's name and its parameters."""
    return {"family": type(dist).__name__, "params": dist.state()}


def from_state(state: dict[str, Any]) -> Distribution:
    """The distribution :func:`to_state` describes; its family must be registered."""
    return FAMILIES.find(state["family"]).from_state(state["params"])


__all__ = ["Distribution", "LocationScale", "UnsupportedOperation", "Gaussian", "DiagGaussian",
           "Bernoulli", "BernoulliTree", "Categorical", "Exponential", "Ordinal", "Product",
           "Mixture", "ShiftedNormal", "Permutation",
           "PermutationModel", "NodeTransition", "PositionMatrix", "PlackettLuce", "FAMILIES",
           "register",
           "check_samples", "normalized_weights"]
