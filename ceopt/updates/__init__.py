"""The update rules (methods) of the CE update, one file each, by the name ``method=`` takes.

| method | for | weights | scale control | keep_best | tol_fun | separable | elites | smoothing |
|---|---|---|---|---|---|---|---|---|
| ``"adaptive"`` | location-scale (default) | rank | success | on | 1e-11 | tested | 1/2 | 1 |
| ``"ce"`` | any (default otherwise) | equal | off | off | 0 | off | 0.1 | 0.7 |
| ``"textbook"`` | any | equal | off | off | 0 | off | 0.1 | 0.7 |

``keep_best`` for a Gaussian keeps the previous population's best sample for its mean; for
the other families under ``"ce"`` it keeps the search's best sample among the elites of every
fit, and improved runs of tours and assignments turn it on (:mod:`ceopt.improvement`).

A rule of your own: subclass :class:`UpdateRule` and :func:`register` it
(``docs/architecture.md``).
"""

from __future__ import annotations

from typing import Any

from .._registry import Registry
from ..distributions import Distribution, LocationScale
from ..distributions.product import Product
from .adaptive import Adaptive
from .base import UpdateRule, rank_weights
from .blockwise import Blockwise
from .previous_mean import PreviousMean
from .textbook import Textbook

#: The methods by name.
UPDATES = Registry("method", UpdateRule, "ceopt.updates",
                   parts=(Adaptive, PreviousMean, Textbook))
#: Make an update rule of your own available as ``method=rule.name``.
register = UPDATES.register


def check_method(method: Any) -> None:
    """Refuse a ``method`` that names no registered rule (None, the default, passes)."""
    if method is not None and (not isinstance(method, str) or method not in UPDATES):
        raise ValueError(f"method must be one of {tuple(UPDATES)}, got {method!r}")


def rule_class(method: str | None, dist: Distribution) -> type[UpdateRule]:
    """The rule ``method`` names; None: "adaptive" for a location-scale family, else "ce"."""
    check_method(method)
    if method is None:
        method = "adaptive" if isinstance(dist, LocationScale) else "ce"
    return UPDATES[method]


def make_rule(method: str | None, dist: Distribution,
              options: dict[str, Any]) -> UpdateRule | Blockwise:
    """The rule ``method`` names, made for ``dist`` with ``options`` (None: the presets); for
    a :class:`~ceopt.distributions.Product`, one such rule per block (:class:`Blockwise`)."""
    if isinstance(dist, Product):
        return Blockwise(dist, method, options, make_rule)
    return rule_class(method, dist)(dist, **options)


def default_popsize(method: str | None, dist: Distribution) -> int:
    """The population a run of ``method`` on ``dist`` draws when none is given."""
    return make_rule(method, dist, {}).sizes(dist)[0]


__all__ = ["UPDATES", "UpdateRule", "Adaptive", "PreviousMean", "Textbook", "Blockwise",
           "rank_weights", "register", "check_method", "rule_class", "make_rule",
           "default_popsize"]
