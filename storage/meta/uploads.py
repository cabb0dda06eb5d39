"""Upload sessions: which repository an upload is for, who started it, when it last moved."""
from __future__ import annotations

import time

from storage.meta.database import Database
from storage.meta.records import UploadRecord


class UploadStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, upload_id: str, repo: str, client: str | None) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO uploads (id, repo, created, updated, client) VALUES (?, ?, ?, ?, ?)",
            upload_id, repo, now, now, client,
        )

    async def get(self, upload_id: str) -> UploadRecord | None:
        row = await self.db.fetchone(
            "SELECT id, repo, created, updated, client FROM uploads WHERE id = ?", upload_id
        )
        return UploadRecord(*row) if row else None

    async def touch(self, upload_id: str) -> None:
        await self.db.execute("UPDATE uploads SET updated = ? WHERE id = ?", time.time(), upload_id)

    async def delete(self, upload_id: str) -> bool:
        return await self.db.execute("DELETE FROM uploads WHERE id = ?", upload_id) > 0

    async def count_of(self, client: str) -> int:
        """Open sessions started by ``client``."""
        row = await self.db.fetchone("SELECT COUNT(*) FROM uploads WHERE client = ?", client)
        return row[0]

    async def stale(self, before: float) -> list[str]:
        """Sessions that have not moved since ``before``."""
        rows = await self.db.fetchall("SELECT id FROM uploads WHERE updated < ?", before)
        return [r[0] for r in rows]
