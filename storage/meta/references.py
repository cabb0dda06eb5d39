"""Who references a digest: the claims that order GC against pushes, the order in which
transactions lock tables, and the whole-registry reads that garbage collection, fsck
and quotas need.

A *claim* is a row of ``gc_claims`` named after a digest (or ``repo@digest`` for a
manifest). GC holds a blob's claim while it deletes the blob's bytes; every
transaction that adds or removes a reference takes and drops the same claim inside
itself. Two writers of one primary key are ordered by any SQL database, so a push can
never link a digest at the moment GC is deleting it: it gets ``DigestBusy`` and tries
again. A claim older than ``CLAIM_LEASE`` was left by a GC that died and is taken over.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.meta.database import Database

CLAIM_LEASE = 60.0

# Every transaction that writes several tables takes its row locks in this order, so that
# on PostgreSQL concurrent pushes, deletes and pull-counter flushes wait instead of deadlocking.
LOCK_ORDER = ("gc_claims", "repositories", "manifests", "tags", "manifest_refs", "blob_links")


class DigestBusy(Exception):
    """Garbage collection is deleting this digest right now; retry in a moment."""


class MissingReferences(Exception):
    """A manifest names blobs not linked to its repository, or manifests not in it."""

    def __init__(self, digests: list[str]) -> None:
        super().__init__(", ".join(digests))
        self.digests = digests


def manifest_key(repo: str, digest: str) -> str:
    return f"{repo}@{digest}"


async def claim(tx: Database, names: Iterable[str], now: float) -> None:
    """Take and drop the claims on ``names`` inside ``tx``; DigestBusy when GC holds one."""
    for name in sorted(set(names)):  # one order for every transaction: waits, never deadlocks
        taken = await tx.execute(
            "INSERT INTO gc_claims (name, started) VALUES (?, ?) ON CONFLICT (name)"
            " DO UPDATE SET started = excluded.started WHERE gc_claims.started < ?",
            name, now, now - CLAIM_LEASE,
        )
        if not taken:
            raise DigestBusy(name)
        await tx.execute("DELETE FROM gc_claims WHERE name = ?", name)


@dataclass(slots=True)
class Snapshot:
    """Every reference in the registry at one moment, for planning GC and checking consistency."""

    links: list[tuple[str, str, int, float]]  # repo, digest, size, created
    manifests: list[tuple[str, str, int, float, str | None]]  # repo, digest, size, created, subject
    refs: list[tuple[str, str, str, str]]  # repo, manifest digest, child, kind
    tags: list[tuple[str, str, str]]  # repo, tag, digest


@dataclass(slots=True)
class BlobUses:
    """Every use of some digests at one moment: what decides whether deleting some manifests
    leaves them unreferenced, so that GC would free them."""

    links: list[tuple[str, str, float]]  # repo, digest, linked
    manifests: list[tuple[str, str, float]]  # repo, digest, created
    refs: list[tuple[str, str, str]]  # repo, manifest digest, child


USES_BATCH = 300  # digests asked about per query


class ReferenceQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def snapshot(self) -> Snapshot:
        async with self.db.transaction() as tx:  # one consistent view of all four tables
            return Snapshot(
                [tuple(r) for r in await tx.fetchall("SELECT repo, digest, size, created FROM blob_links")],
                [tuple(r) for r in await tx.fetchall("SELECT repo, digest, size, created, subject FROM manifests")],
                [tuple(r) for r in await tx.fetchall("SELECT repo, digest, child, kind FROM manifest_refs")],
                [tuple(r) for r in await tx.fetchall("SELECT repo, name, digest FROM tags")],
            )

    async def referenced_among(self, digests: Sequence[str]) -> set[str]:
        """Which of ``digests`` a repository links, a manifest is, or a manifest references:
        what GC keeps, asked a batch at a time so that no set of every digest is ever built."""
        if not digests:
            return set()
        marks = ",".join("?" * len(digests))
        rows = await self.db.fetchall(
            f"SELECT digest FROM blob_links WHERE digest IN ({marks})"
            f" UNION SELECT digest FROM manifests WHERE digest IN ({marks})"
            f" UNION SELECT child FROM manifest_refs WHERE child IN ({marks})",
            *digests, *digests, *digests,
        )
        return {r[0] for r in rows}

    async def uses_of(self, digests: Iterable[str]) -> BlobUses:
        """Where each of ``digests`` is linked, is a manifest, or is named by a manifest."""
        wanted = sorted(set(digests))
        uses = BlobUses([], [], [])
        for start in range(0, len(wanted), USES_BATCH):
            batch = wanted[start:start + USES_BATCH]
            marks = ",".join("?" * len(batch))
            async with self.db.transaction() as tx:  # one view of the three tables per batch
                uses.links += [tuple(r) for r in await tx.fetchall(
                    f"SELECT repo, digest, created FROM blob_links WHERE digest IN ({marks})", *batch)]
                uses.manifests += [tuple(r) for r in await tx.fetchall(
                    f"SELECT repo, digest, created FROM manifests WHERE digest IN ({marks})", *batch)]
                uses.refs += [tuple(r) for r in await tx.fetchall(
                    f"SELECT repo, digest, child FROM manifest_refs WHERE child IN ({marks})", *batch)]
        return uses

    async def begin_blob_deletion(self, digest: str) -> bool:
        """Claim an unreferenced blob for deletion; False when it is referenced or claimed."""
        now = time.time()
        async with self.db.transaction() as tx:
            try:
                await claim(tx, [digest], now)
            except DigestBusy:
                return False
            referenced = await tx.fetchone(
                "SELECT 1 FROM blob_links WHERE digest = ? UNION ALL SELECT 1 FROM manifests WHERE digest = ?"
                " UNION ALL SELECT 1 FROM manifest_refs WHERE child = ? LIMIT 1",
                digest, digest, digest,
            )
            if referenced is not None:
                return False
            await tx.execute("INSERT INTO gc_claims (name, started) VALUES (?, ?)", digest, now)
            return True

    async def end_blob_deletion(self, digest: str) -> None:
        await self.db.execute("DELETE FROM gc_claims WHERE name = ?", digest)

    async def clear_stale_claims(self) -> int:
        return await self.db.execute("DELETE FROM gc_claims WHERE started < ?", time.time() - CLAIM_LEASE)

    async def project_usage(self, project: str) -> int:
        """Bytes of the distinct blobs (manifests included) linked in the project's repositories."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT b.digest AS digest, b.size AS size"
            " FROM blob_links b JOIN repositories r ON r.name = b.repo WHERE r.project = ?) d",
            project,
        )
        return int(row[0])

    async def linked_in_project(self, project: str, digest: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM blob_links b JOIN repositories r ON r.name = b.repo WHERE r.project = ? AND b.digest = ?"
            " LIMIT 1",
            project, digest,
        )
        return row is not None
