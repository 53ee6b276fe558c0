"""Search spaces of real, integer and categorical variables (``minimize(fun, space=...)``).

:class:`Real`, :class:`Integer`, :class:`Choice` and :class:`Ordering` are the variables
(:mod:`ceopt.space.variables`); a :class:`Space` encodes them for the search and decodes
the samples for the objective (:mod:`ceopt.space.space`). ``docs/spaces.md`` is the guide.
"""

from .decoded import Decoded
from .space import Space, choice_floor
from .variables import Choice, Integer, Ordering, Real, Variable, integer_margin, with_margin

__all__ = ["Space", "Decoded", "Real", "Integer", "Choice", "Ordering", "Variable",
           "integer_margin", "with_margin", "choice_floor"]
