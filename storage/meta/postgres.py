"""PostgreSQL adapter (asyncpg): what several Berth processes or machines share.

Queries arrive with ``?`` placeholders and are rewritten to ``$1 … $n`` once per
distinct text. Plain statements borrow a pooled connection for their duration; a
transaction holds one connection until it ends, and the object it yields runs every
statement on that connection — otherwise the statements would land on different
connections and commit separately. Migrations run under an advisory lock, so
processes that start together apply each version exactly once.
"""
from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.meta.database import Conflict, Database, Row

# pg_advisory_lock key for schema migrations: any constant unique to Berth ("berth" in ASCII).
_MIGRATION_LOCK = 0x6265727468
_CONNECT_TIMEOUT = 10.0


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """``?`` → ``$n`` outside string literals (a doubled quote toggles twice, so it is safe)."""
    pieces = sql.split("'")
    counter = 0
    for i in range(0, len(pieces), 2):
        parts = pieces[i].split("?")
        for j in range(1, len(parts)):
            counter += 1
            parts[j] = f"${counter}{parts[j]}"
        pieces[i] = "".join(parts)
    return "'".join(pieces)


def _rowcount(status: str) -> int:
    """asyncpg reports ``UPDATE 3`` / ``INSERT 0 1``; the count is the last word."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class _Statements(Database):
    """Statements run through ``target``: the pool (one borrowed connection each) or a held connection.

    asyncpg's Pool and Connection share execute/fetch/fetchrow/executemany, so one class
    serves both.
    """

    dialect = "postgres"

    def __init__(self, target: asyncpg.Pool | asyncpg.Connection) -> None:
        self.target = target

    async def _call(self, method: str, sql: str, *args: Any) -> Any:
        try:
            return await getattr(self.target, method)(translate(sql), *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise Conflict(str(exc)) from None

    async def execute(self, sql: str, *args: Any) -> int:
        return _rowcount(await self._call("execute", sql, *args))

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row = await self._call("fetchrow", sql, *args)
        return tuple(row) if row is not None else None

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return [tuple(r) for r in await self._call("fetch", sql, *args)]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._call("executemany", sql, rows)

    async def run_script(self, script: str) -> None:
        # Without arguments asyncpg uses the simple protocol, which accepts several statements.
        await self.target.execute(script)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        # Only reached on a held connection: a nested transaction becomes a savepoint.
        async with self.target.transaction():
            yield self

    async def close(self) -> None:
        """A held connection goes back to the pool when its context ends, not here."""


class PostgresDatabase(_Statements):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self.pool = pool

    @classmethod
    async def connect(cls, dsn: str, pool_size: int = 10) -> "PostgresDatabase":
        """Open the pool, or fail with a message that says which server refused and why."""
        if not dsn:
            raise ValueError(
                "database.dsn is empty: set it to postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
            )
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=max(1, pool_size), timeout=_CONNECT_TIMEOUT
            )
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # InterfaceError includes a DSN asyncpg cannot parse.
            reason = str(exc) or type(exc).__name__
            raise ConnectionError(f"database: cannot connect to {redact(dsn)}: {reason}") from None
        return cls(pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield _Statements(conn)

    @asynccontextmanager
    async def migration_lock(self) -> AsyncIterator[Database]:
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                yield _Statements(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    async def has_schema(self) -> bool:
        """Whether a registry was ever set up in this database."""
        row = await self.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        return bool(row and row[0])

    async def close(self) -> None:
        await self.pool.close()

