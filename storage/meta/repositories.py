"""Repositories: created by the first write into them, deleted with everything in them.

The repository row is the first row every writing transaction locks after its
claims (see ``LOCK_ORDER``), which is why other stores call ``ensure`` and ``touch``
inside their own transactions.
"""
from __future__ import annotations

from storage.meta.database import Database
from storage.meta.records import RepositoryRecord


class RepositoryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, tx: Database, name: str, project: str, now: float) -> None:
        """Create the repository inside ``tx``, or mark it updated; a new one is counted in
        its project's kept repository count (the project row is locked after the repository's)."""
        if await tx.execute("UPDATE repositories SET updated = ? WHERE name = ?", now, name):
            return
        if await tx.execute("INSERT INTO repositories (name, project, created, updated) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT (name) DO NOTHING", name, project, now, now):
            await tx.execute("UPDATE projects SET repo_count = repo_count + 1 WHERE name = ?", project)
        else:  # another transaction created it a moment ago
            await tx.execute("UPDATE repositories SET updated = ? WHERE name = ?", now, name)

    async def touch(self, tx: Database, name: str, now: float) -> None:
        """Mark the repository updated inside ``tx`` (and so lock its row)."""
        await tx.execute("UPDATE repositories SET updated = ? WHERE name = ?", now, name)

    async def count_manifests(self, tx: Database, name: str, change: int) -> None:
        """Keep the repository's manifest count (its artifact total's source) inside ``tx``,
        whose repository row is locked already (``ensure`` or ``touch``)."""
        await tx.execute("UPDATE repositories SET manifest_count = manifest_count + ? WHERE name = ?", change, name)

    async def get(self, name: str) -> RepositoryRecord | None:
        row = await self.db.fetchone(
            "SELECT name, project, created, updated, pull_count, id, description FROM repositories WHERE name = ?", name
        )
        return RepositoryRecord(*row) if row else None

    async def describe(self, name: str, description: str, now: float) -> bool:
        """Set the repository's description; False when there is no such repository."""
        return await self.db.execute("UPDATE repositories SET description = ?, updated = ? WHERE name = ?",
                                     description, now, name) > 0

    async def names(self, last: str = "", limit: int = 1000) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?", last, limit
        )
        return [r[0] for r in rows]

    async def delete(self, name: str) -> bool:
        async with self.db.transaction() as tx:
            # The repository row is locked first, as every writer does (see LOCK_ORDER).
            if not await tx.execute("UPDATE repositories SET updated = updated WHERE name = ?", name):
                return False
            await tx.execute("DELETE FROM artifact_labels WHERE artifact_id IN"
                             " (SELECT id FROM manifests WHERE repo = ?)", name)
            for table in ("manifests", "tags", "manifest_refs", "blob_links"):
                await tx.execute(f"DELETE FROM {table} WHERE repo = ?", name)
            await tx.execute("UPDATE projects SET repo_count = repo_count - 1"
                             " WHERE name = (SELECT project FROM repositories WHERE name = ?)", name)
            return await tx.execute("DELETE FROM repositories WHERE name = ?", name) > 0
