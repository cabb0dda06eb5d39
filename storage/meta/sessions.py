"""Browser sessions of the web UI: an opaque cookie maps to a user and a CSRF token.

Only a hash of the cookie value is stored, so a copy of the database does not let
anyone act as a logged-in user. Kept in the database so every worker and replica
sees the same sessions and a logout ends them everywhere.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database


@dataclass(slots=True)
class SessionRecord:
    username: str
    csrf: str
    expires: float


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, key_hash: str, username: str, csrf: str, expires: float) -> None:
        now = time.time()
        await self.db.execute("DELETE FROM sessions WHERE expires < ?", now)
        await self.db.execute(
            "INSERT INTO sessions (id, username, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
            key_hash, username, csrf, now, expires,
        )

    async def get(self, key_hash: str) -> SessionRecord | None:
        row = await self.db.fetchone(
            "SELECT username, csrf, expires FROM sessions WHERE id = ? AND expires > ?", key_hash, time.time()
        )
        return SessionRecord(*row) if row else None

    async def delete(self, key_hash: str) -> None:
        await self.db.execute("DELETE FROM sessions WHERE id = ?", key_hash)

    async def delete_user(self, username: str) -> None:
        """End every session of a user (deleted, or password changed)."""
        await self.db.execute("DELETE FROM sessions WHERE username = ?", username)
