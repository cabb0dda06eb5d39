"""The small async SQL interface both database adapters offer.

Queries are written once, with ``?`` placeholders and portable SQL (upserts with
``ON CONFLICT``, ``RETURNING``); each adapter translates what it must.
"""
from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

Row = tuple[Any, ...]


class Conflict(Exception):
    """A write broke a uniqueness rule (the row already exists); adapters translate to it."""


class Database(abc.ABC):
    dialect: str

    @abc.abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; return the number of rows it changed."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...

    @abc.abstractmethod
    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abc.abstractmethod
    def transaction(self) -> "asynccontextmanager[Database]":
        """A context in which every statement commits together or not at all."""

    @abc.abstractmethod
    async def run_script(self, script: str) -> None:
        """Run several DDL statements (migrations)."""

    @asynccontextmanager
    async def migration_lock(self) -> AsyncIterator["Database"]:
        """Hold off other processes' migrations; yields the database to migrate through.

        SQLite needs nothing: ``serve`` migrates once before it forks workers. A server
        shared by several machines overrides this with a lock of its own.
        """
        yield self

    async def ping(self) -> None:
        """Answer one trivial query, or raise: what a health check asks."""
        await self.fetchone("SELECT 1")

    @abc.abstractmethod
    async def close(self) -> None: ...

