"""A registry: the parts of one kind by name, for ``method=``/``restarts=`` and for checkpoints,
which name a part instead of importing it (reading one runs no code)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Registry(dict):
    """``name -> class`` for subclasses of ``base``; ``key`` gives a class's name, ``where``
    is the module whose ``register`` a user calls (for the error that names it)."""

    def __init__(self, kind: str, base: type, where: str,
                 key: Callable[[type], str] = lambda cls: cls.name,
                 parts: tuple[type, ...] = ()):
        super().__init__()
        self.kind, self.base, self.where, self.key = kind, base, where, key
        for part in parts:
            self.register(part)

    def register(self, part: Any) -> Any:
        """Add ``part`` (usable as a class decorator); registering it again is harmless."""
        if not (isinstance(part, type) and issubclass(part, self.base)):
            raise TypeError(f"register takes a {self.base.__name__} subclass, got {part!r}")
        name = self.key(part)
        known = self.get(name)
        if known is not None and known is not part:
            raise ValueError(f"a {self.kind} named {name!r} is registered already")
        self[name] = part
        return part

    def find(self, name: str) -> Any:
        """The class registered as ``name``; a LookupError that says how to register it."""
        part = self.get(name)
        if part is None:
            raise LookupError(f"{self.kind} {name!r}, which is not registered: call "
                              f"{self.where}.register on it first")
        return part
