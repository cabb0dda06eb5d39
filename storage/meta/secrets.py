"""Named secrets shared by every Berth process: the token signing key, HMAC keys.

Kept in the database rather than on one machine's disk so that every process and
replica signs and verifies with the same keys. The first process to create a secret
wins; the others read it back.
"""
from __future__ import annotations

from collections.abc import Callable

from storage.meta.database import Database


class SecretStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        row = await self.db.fetchone("SELECT value FROM secrets WHERE name = ?", name)
        if row:
            return row[0]
        await self.db.execute(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, make()
        )
        return (await self.db.fetchone("SELECT value FROM secrets WHERE name = ?", name))[0]
