"""Argument checks that name the argument, for the public entry points; and a seed's generator."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def _require_number(name: str, value, kind: str = "a number") -> None:
    """A real number, not a bool (which ``numbers.Real`` would otherwise let through)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}")


def integer(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; integral floats (50.0) are accepted, 50.5 is not."""
    _require_number(name, value, "an integer")
    if not (math.isfinite(value) and float(value).is_integer()):
        raise ValueError(f"{name} must be an integer, got {value}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {int(value)}")
    return int(value)


def fraction(name: str, value, *, low_open: bool = True, high_open: bool = True) -> float:
    """``value`` as a float in the interval (0, 1), with either end closed on request."""
    _require_number(name, value)
    value = float(value)
    above = value > 0 if low_open else value >= 0
    below = value < 1 if high_open else value <= 1
    if not (above and below):
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def real(name: str, value, *, minimum: float | None = None) -> float:
    """``value`` as a finite float (>= ``minimum`` when given)."""
    _require_number(name, value)
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" and >= {minimum:g}"
        raise ValueError(f"{name} must be finite{bound}, got {value}")
    return value


def flag(name: str, value) -> bool:
    """``value`` as a bool; only True or False (also numpy's) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def generator(seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)``, with an error that names ``seed``."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"seed must be None, a non-negative int or a numpy Generator; got "
                        f"{seed!r} ({exc})") from None


#: The bit generators a checkpoint may name (numpy's own).
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def generator_from_state(state: dict[str, Any]) -> np.random.Generator:
    """The generator a bit generator's ``state`` (``bit_generator.state``) describes, exactly
    where it was."""
    if state.get("bit_generator") not in BIT_GENERATORS:
        raise LookupError(f"bit generator {state.get('bit_generator')!r}, which is not one of "
                          f"numpy's {BIT_GENERATORS}")
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array; a TypeError naming ``name`` if it holds no numbers."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {value!r:.80}") from None


def outside_bounds(name: str, x: np.ndarray, low: np.ndarray, high: np.ndarray,
                   shown: int = 3) -> str:
    """Why ``x`` is not within ``[low, high]``: its first few coordinates outside, their
    values and bounds (a message for a ValueError)."""
    x, low, high = (np.broadcast_to(np.asarray(a, dtype=np.float64), np.shape(x))
                    for a in (x, low, high))
    outside = np.flatnonzero((x < low) | (x > high))
    parts = [f"{name}[{j}] = {x[j]:g} not in [{low[j]:g}, {high[j]:g}]" for j in outside[:shown]]
    more = f" and {outside.size - shown} more" if outside.size > shown else ""
    return (f"{name} lies outside the bounds in {outside.size} of its {x.size} coordinates: "
            f"{', '.join(parts)}{more}")


def add_note(exc: BaseException, text: str) -> None:
    """``exc.add_note(text)``: printed with the traceback on Python >= 3.11. On 3.10 the note
    is kept in ``exc.__notes__`` all the same (PEP 678's attribute), for code that reads it."""
    if hasattr(exc, "add_note"):
        exc.add_note(text)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", []), text]
