"""SQLite adapter: one connection in WAL mode, called directly from the event loop.

SQLite statements on an indexed table take microseconds, far less than a thread
hop, so they run inline. A transaction holds no await that suspends, which makes it
atomic with respect to other tasks of this process; ``BEGIN IMMEDIATE`` and a busy
timeout order it against other processes sharing the file.
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from storage.meta.database import Conflict, Database, Row


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The database holds password hashes and the token signing key: owner only.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self._depth = 0
        self._data_version: int | None = None

    def change_marker(self) -> tuple[int, int]:
        """A value that differs whenever the database may have changed, for caches of reads.

        ``PRAGMA data_version`` moves when another connection commits and ``total_changes``
        when this one writes. The pragma is read at most once per event-loop pass: the
        callback that forgets it is queued when it is read, and the loop runs callbacks
        in order, so a request whose bytes arrive after the read is handled after that
        callback and reads it afresh; a commit acknowledged before the request was sent
        is always seen.
        """
        if self._data_version is None:
            self._data_version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            asyncio.get_running_loop().call_soon(self._forget_data_version)
        return self._data_version, self.conn.total_changes

    def _forget_data_version(self) -> None:
        self._data_version = None

    def _run(self, sql: str, args: tuple) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from None

    async def execute(self, sql: str, *args: Any) -> int:
        return self._run(sql, args).rowcount

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        return self._run(sql, args).fetchone()

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return self.conn.execute(sql, args).fetchall()

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    async def run_script(self, script: str) -> None:
        self.conn.executescript(script)

    async def close(self) -> None:
        self.conn.close()
