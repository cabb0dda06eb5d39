"""Answers of metadata reads, remembered while the database provably has not changed.

A manifest GET by tag, or a Basic-authenticated request, would otherwise cost a
metadata query each. Stores that offer a change marker (SQLite: see
``SqliteDatabase.change_marker``) let this cache answer instead; any change to the
database, by any process, empties it, so a moved tag or a revoked right is never
served stale. Stores without a marker (PostgreSQL, where checking would cost a round
trip like the query itself) are always asked.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_ENTRIES = 10000


class ReadCache(Generic[V]):
    def __init__(self, marker: Callable[[], Hashable] | None, max_entries: int = MAX_ENTRIES) -> None:
        self._marker = marker
        self._seen: Hashable = None
        self._items: dict[Hashable, V] = {}
        self.max_entries = max_entries

    @classmethod
    def over(cls, meta) -> "ReadCache[V]":
        """A cache gated by ``meta``'s database, or a pass-through if it has no change marker."""
        return cls(meta.change_marker)

    def lookup(self, key: Hashable) -> tuple[V | None, Hashable]:
        """The cached value (or None), and the marker to hand back to ``store``."""
        if self._marker is None:
            return None, None
        marker = self._marker()
        if marker != self._seen:
            self._items.clear()
            self._seen = marker
            return None, marker
        return self._items.get(key), marker

    def store(self, key: Hashable, value: V, marker: Hashable) -> None:
        """Remember ``value`` if the database has not changed since ``marker`` was read."""
        if marker is None or self._marker is None or self._marker() != marker:
            return
        if len(self._items) >= self.max_entries:
            self._items.clear()
        self._items[key] = value
