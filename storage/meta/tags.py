"""Tags: names in a repository that point at one of its manifests."""
from __future__ import annotations

import time
from collections.abc import Iterable

from storage.meta.database import Database


class TagStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def point(self, tx: Database, repo: str, names: Iterable[str], digest: str, now: float) -> None:
        """Point ``names`` at ``digest`` inside ``tx``, moving tags that point elsewhere."""
        for name in sorted(names):  # rows in one order, so concurrent pushes wait instead of deadlocking
            await tx.execute(
                "INSERT INTO tags (repo, name, digest, updated) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (repo, name) DO UPDATE SET digest = excluded.digest, updated = excluded.updated",
                repo, name, digest, now,
            )

    async def add(self, repo: str, name: str, digest: str) -> bool:
        """Point a new tag at ``digest``; False when the tag exists already."""
        return await self.db.execute(
            "INSERT INTO tags (repo, name, digest, updated) VALUES (?, ?, ?, ?) ON CONFLICT (repo, name) DO NOTHING",
            repo, name, digest, time.time(),
        ) > 0

    async def resolve(self, repo: str, name: str) -> str | None:
        row = await self.db.fetchone("SELECT digest FROM tags WHERE repo = ? AND name = ?", repo, name)
        return row[0] if row else None

    async def names(self, repo: str, last: str = "", limit: int | None = None) -> list[str]:
        sql = "SELECT name FROM tags WHERE repo = ? AND name > ? ORDER BY name"
        args: list = [repo, last]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in await self.db.fetchall(sql, *args)]

    async def by_digest(self, repo: str, digests: Iterable[str] | None = None
                        ) -> dict[str, list[tuple[str, float, float | None]]]:
        """Manifest digest → its (tag, updated, pull time) entries: of ``digests``, or of all."""
        sql, args = "SELECT digest, name, updated, pull_time FROM tags WHERE repo = ?", [repo]
        if digests is not None:
            wanted = list(dict.fromkeys(digests))
            if not wanted:
                return {}
            sql += f" AND digest IN ({','.join('?' * len(wanted))})"
            args.extend(wanted)
        # Sorted here, not by the database: an ORDER BY name would let the planner walk the
        # repository's every tag in name order instead of looking the digests up.
        rows = sorted(await self.db.fetchall(sql, *args), key=lambda row: row[1])
        result: dict[str, list[tuple[str, float, float | None]]] = {}
        for digest, name, updated, pull_time in rows:
            result.setdefault(digest, []).append((name, updated, pull_time))
        return result

    async def of_digest(self, repo: str, digest: str) -> list[str]:
        """The tags pointing at ``digest``, in order."""
        rows = await self.db.fetchall("SELECT name FROM tags WHERE repo = ? AND digest = ? ORDER BY name", repo, digest)
        return [r[0] for r in rows]

    async def delete(self, repo: str, name: str) -> bool:
        return await self.db.execute("DELETE FROM tags WHERE repo = ? AND name = ?", repo, name) > 0

    async def drop(self, tx: Database, repo: str, digest: str) -> None:
        """Remove every tag pointing at ``digest`` inside ``tx``."""
        await tx.execute("DELETE FROM tags WHERE repo = ? AND digest = ?", repo, digest)
