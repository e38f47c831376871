"""One ``Registry`` class for every name-to-thing table of the package (BasicSR's
``basicsr/utils/registry.py`` pattern): backbones (:mod:`stdo.models`), methods
(:mod:`stdo.methods`) and claims (:mod:`stdo.report.claims`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from stdo.core.errors import StdoError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to objects of one ``kind``, in registration order.

    ``load`` runs before every look-up (importing the package's own entries and the config's
    plugins, see :mod:`stdo.core.plugins`); ``hint`` ends the error for an unknown name (where to
    add one)."""

    def __init__(self, kind: str, *, load: Callable[[], None] | None = None, hint: str = ""):
        self.kind = kind
        self._load = load
        self._hint = hint
        self._entries: dict[str, T] = {}

    def add(self, name: str, obj: T) -> T:
        """Register ``obj`` as ``name``; the same object again is a no-op, another one an error."""
        if name in self._entries and self._entries[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[name] = obj
        return obj

    def remove(self, name: str) -> None:
        """Forget ``name`` (a test that registered one cleans up)."""
        del self._entries[name]

    def _loaded(self) -> dict[str, T]:
        if self._load is not None:
            self._load()
        return self._entries

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name stops with the registered ones."""
        entries = self._loaded()
        if name not in entries:
            hint = f" ({self._hint})" if self._hint else ""
            raise StdoError(f"unknown {self.kind} {name!r}; registered: {', '.join(sorted(entries))}{hint}")
        return entries[name]

    def names(self) -> list[str]:
        return list(self._loaded())

    def values(self) -> list[T]:
        return list(self._loaded().values())

    def raw(self) -> dict[str, T]:
        """The entries without loading (a registration checking what is taken)."""
        return self._entries

    def __contains__(self, name: object) -> bool:
        return name in self._loaded()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._loaded())
