"""Blob links: which repositories may serve which blobs, and since when.

The link time matters: deleting a manifest unlinks only the blobs linked no later
than the manifest was pushed, so each new link of a blob moves it.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from storage.meta.database import Database
from storage.meta.references import claim
from storage.meta.repositories import RepositoryStore


class BlobLinkStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._repositories = RepositoryStore(db)

    async def link(self, repo: str, project: str, digest: str, size: int) -> None:
        """Link a blob (again: the link time moves, marking it part of the newest push).

        Raises DigestBusy while garbage collection is deleting the blob.
        """
        now = time.time()
        async with self.db.transaction() as tx:
            await claim(tx, [digest], now)
            await self._repositories.ensure(tx, repo, project, now)
            await self.add(tx, repo, digest, size, now, renew=True)

    async def add(self, tx: Database, repo: str, digest: str, size: int, now: float, renew: bool) -> None:
        """Link inside ``tx``; with ``renew`` an existing link takes ``now`` as its time, else keeps its own."""
        on_conflict = "DO UPDATE SET created = excluded.created" if renew else "DO NOTHING"
        await tx.execute(
            f"INSERT INTO blob_links (repo, digest, size, created) VALUES (?, ?, ?, ?) ON CONFLICT (repo, digest)"
            f" {on_conflict}",
            repo, digest, size, now,
        )

    async def size(self, repo: str, digest: str) -> int | None:
        row = await self.db.fetchone("SELECT size FROM blob_links WHERE repo = ? AND digest = ?", repo, digest)
        return row[0] if row else None

    async def sizes(self, repo: str, digests: Iterable[str]) -> dict[str, int]:
        """Size of each of ``digests`` that is linked to ``repo``; absent ones are left out."""
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT digest, size FROM blob_links WHERE repo = ? AND digest IN ({marks})", repo, *wanted
        )
        return dict(rows)

    async def unlink(self, repo: str, digest: str) -> bool:
        return await self.db.execute("DELETE FROM blob_links WHERE repo = ? AND digest = ?", repo, digest) > 0

    async def drop(self, tx: Database, repo: str, digests: Iterable[str]) -> None:
        """Unlink ``digests`` from ``repo`` inside ``tx``."""
        for digest in digests:
            await tx.execute("DELETE FROM blob_links WHERE repo = ? AND digest = ?", repo, digest)
