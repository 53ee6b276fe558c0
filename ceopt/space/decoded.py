"""The objective of a run over a space: it gets decoded values, the search encoded ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numpy.typing import NDArray

from .space import Space


class Decoded:
    """The objective of a run over a :class:`~ceopt.space.Space`: called with the encoded
    samples, it calls ``fun`` with their decoded values (picklable, for process pools)."""

    def __init__(self, fun: Callable[..., Any], space: Space, vectorized: bool):
        self.fun, self.space, self.vectorized = fun, space, vectorized

    def describe(self, x: NDArray) -> str:
        """One encoded point as failure messages show it: its decoded values."""
        return short(self.space.decode_point(x))

    def __call__(self, x: NDArray, *args: Any) -> Any:
        values = self.space.decode(x) if self.vectorized else self.space.decode_point(x)
        try:
            return self.fun(values, *args)
        except (TypeError, KeyError, IndexError, AttributeError) as exc:
            kind = "dict" if self.space.names is not None else "list"
            form = (f"a {kind} of columns, one array per variable" if self.vectorized
                    else f"a {kind} of values, one per variable")
            message = (f"{exc} -- fun was called with the decoded values of the space "
                       f"({form}), here {short(values)}")
            try:
                hinted = type(exc)(message)
            except Exception:  # an exception class of the user's own, with other arguments
                raise exc from None
            raise hinted from exc


def short(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 300 else text[:297] + "..."
