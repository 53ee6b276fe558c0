"""Sampling distributions with a weighted maximum-likelihood ``fit``: the CE update's model.

Each family is one file. :data:`FAMILIES` names them, so that a checkpoint can say which
family its distribution is and be read back without running code; :func:`register` adds a
family of your own (``docs/architecture.md`` shows one, start to finish), which may use the
checks the built-in ones share: :func:`check_samples` and :func:`normalized_weights`.
"""

from typing import Any

from ._base import (
    Distribution,
    LocationScale,
    UnsupportedOperation,
    check_samples,
    normalized_weights,
)
from .bernoulli import Bernoulli
from .categorical import Categorical
from .diag_gaussian import DiagGaussian
from .exponential import Exponential
from .gaussian import Gaussian

#: The families a checkpoint may name, by class name.
FAMILIES: dict[str, type[Distribution]] = {
    "Gaussian": Gaussian,
    "DiagGaussian": DiagGaussian,
    "Bernoulli": Bernoulli,
    "Categorical": Categorical,
    "Exponential": Exponential,
}


def register(family: type[Distribution]) -> type[Distribution]:
    """Make a family of your own known to checkpoints (usable as a class decorator)."""
    if not (isinstance(family, type) and issubclass(family, Distribution)):
        raise TypeError(f"register takes a Distribution subclass, got {family!r}")
    known = FAMILIES.get(family.__name__)
    if known is not None and known is not family:
        raise ValueError(f"a family named {family.__name__!r} is registered already")
    FAMILIES[family.__name__] = family
    return family


def to_state(dist: Distribution) -> dict[str, Any]:
    """``dist`` as plain data: its family's name and its parameters."""
    return {"family": type(dist).__name__, "params": dist.state()}


def from_state(state: dict[str, Any]) -> Distribution:
    """The distribution :func:`to_state` describes; its family must be registered."""
    family = FAMILIES.get(state["family"])
    if family is None:
        raise LookupError(f"distribution family {state['family']!r} is not registered: "
                          f"call ceopt.distributions.register on it first")
    return family.from_state(state["params"])


__all__ = ["Distribution", "LocationScale", "UnsupportedOperation", "Gaussian", "DiagGaussian",
           "Bernoulli", "Categorical", "Exponential", "FAMILIES", "register", "check_samples",
           "normalized_weights"]
