"""Manifests and what they name: written with their tags and links in one transaction,
deleted with what the caller's rule says they take with them.

Which blobs a deleted manifest takes along, and whether a manifest may go at all, are
rules of the registry, passed in as callables: this store reads the facts they need
inside the deleting transaction, asks, and deletes what they chose.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from storage.meta.blob_links import BlobLinkStore
from storage.meta.database import Database
from storage.meta.records import BlobChild, ManifestHolds, ManifestRecord, ManifestReference
from storage.meta.references import MissingReferences, claim, manifest_key
from storage.meta.repositories import RepositoryStore
from storage.meta.tags import TagStore

# (the manifest's created time, its blob children) → the digests to unlink with it
OrphanRule = Callable[[float, list[BlobChild]], Iterable[str]]
# what holds a manifest now → whether it goes
HoldRule = Callable[[ManifestHolds], bool]

_COLUMNS = (
    "repo, digest, media_type, size, artifact_type, subject, config_digest, annotations,"
    " created, pull_count, pull_time"
)
_SELECT = _COLUMNS + ", id"


def _manifest(row: tuple) -> ManifestRecord:
    return ManifestRecord(*row)


class ManifestStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._repositories = RepositoryStore(db)
        self._tags = TagStore(db)
        self._links = BlobLinkStore(db)

    async def put(self, record: ManifestRecord, project: str, tags: Iterable[str],
                  check_references: bool = False) -> None:
        """Record a manifest, its references, its own blob link and its tags in one transaction.

        With ``check_references``, blobs it names must be linked to the repository and
        manifests it lists must be in it, checked inside the transaction (MissingReferences),
        so a concurrent delete cannot slip between a push's check and its write. Raises
        DigestBusy while garbage collection is deleting one of the digests.
        """
        now = time.time()
        async with self.db.transaction() as tx:  # tables in LOCK_ORDER
            await claim(tx, [record.digest, manifest_key(record.repo, record.digest)]
                        + [r.digest if r.kind == "blob" else manifest_key(record.repo, r.digest)
                           for r in record.references], now)
            if check_references:
                await self._check_references(tx, record)
            await self._repositories.ensure(tx, record.repo, project, now)
            if await tx.execute(
                f"INSERT INTO manifests ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)"
                " ON CONFLICT (repo, digest) DO NOTHING",
                record.repo, record.digest, record.media_type, record.size, record.artifact_type,
                record.subject, record.config_digest, record.annotations, now,
            ):
                await self._repositories.count_manifests(tx, record.repo, 1)
            await self._tags.point(tx, record.repo, tags, record.digest, now)
            await tx.executemany(
                "INSERT INTO manifest_refs (repo, digest, child, kind, size) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (repo, digest, child) DO NOTHING",
                [(record.repo, record.digest, r.digest, r.kind, r.size) for r in record.references],
            )
            await self._links.add(tx, record.repo, record.digest, record.size, now, renew=False)

    async def _check_references(self, tx: Database, record: ManifestRecord) -> None:
        missing = []
        for ref in record.references:
            table = "blob_links" if ref.kind == "blob" else "manifests"
            if await tx.fetchone(f"SELECT 1 FROM {table} WHERE repo = ? AND digest = ?", record.repo, ref.digest) is None:
                missing.append(ref.digest)
        if missing:
            raise MissingReferences(missing)

    async def get(self, repo: str, digest: str) -> ManifestRecord | None:
        row = await self.db.fetchone(f"SELECT {_SELECT} FROM manifests WHERE repo = ? AND digest = ?", repo, digest)
        return _manifest(row) if row else None

    async def references(self, repo: str, digest: str) -> list[ManifestReference]:
        """What the manifest names: its blobs, or the manifests an index lists."""
        rows = await self.db.fetchall(
            "SELECT child, kind, size FROM manifest_refs WHERE repo = ? AND digest = ? ORDER BY child",
            repo, digest,
        )
        return [ManifestReference(*r) for r in rows]

    async def existing(self, repo: str, digests: Iterable[str]) -> set[str]:
        """Those of ``digests`` that are manifests of ``repo``."""
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT digest FROM manifests WHERE repo = ? AND digest IN ({marks})", repo, *wanted
        )
        return {r[0] for r in rows}

    async def some(self, repo: str, digests: Iterable[str]) -> list[ManifestRecord]:
        """Those of ``digests`` that are manifests of ``repo``, as records."""
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return []
        rows = await self.db.fetchall(
            f"SELECT {_SELECT} FROM manifests WHERE repo = ? AND digest IN ({','.join('?' * len(wanted))})",
            repo, *wanted,
        )
        return [_manifest(r) for r in rows]

    async def of_repository(self, repo: str) -> list[ManifestRecord]:
        """Every manifest of ``repo``, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_SELECT} FROM manifests WHERE repo = ? ORDER BY created DESC, digest", repo
        )
        return [_manifest(r) for r in rows]

    async def referrers(self, repo: str, subject: str) -> list[ManifestRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_SELECT} FROM manifests WHERE repo = ? AND subject = ? ORDER BY digest",
            repo, subject,
        )
        return [_manifest(r) for r in rows]

    async def parents(self, repo: str, digest: str) -> list[str]:
        """Indexes in ``repo`` that list the manifest ``digest`` as a child."""
        rows = await self.db.fetchall(
            "SELECT digest FROM manifest_refs WHERE repo = ? AND child = ? AND kind = 'manifest'", repo, digest
        )
        return [r[0] for r in rows]

    async def delete(self, repo: str, digest: str, orphans: OrphanRule, only_if: HoldRule | None = None) -> bool:
        """Remove a manifest with its tags and references; unlink it and the blobs ``orphans`` picks.

        With ``only_if``, the manifest goes only when that rule, asked with what holds it
        at this moment, says so: the manifest's claim is taken before the facts are read,
        so decision and deletion are one transaction. False when nothing was deleted.
        """
        now = time.time()
        async with self.db.transaction() as tx:
            if only_if is not None:
                await claim(tx, [manifest_key(repo, digest)], now)
                holds = await self._holds(tx, repo, digest)
                if holds is None or not only_if(holds):
                    return False
            return await self._remove(tx, repo, digest, now, orphans)

    async def _holds(self, tx: Database, repo: str, digest: str) -> ManifestHolds | None:
        row = await tx.fetchone(
            "SELECT m.created,"
            " EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest),"
            " EXISTS (SELECT 1 FROM manifest_refs p WHERE p.repo = m.repo AND p.child = m.digest"
            " AND p.kind = 'manifest'),"
            " EXISTS (SELECT 1 FROM manifests s WHERE s.repo = m.repo AND s.digest = m.subject)"
            " FROM manifests m WHERE m.repo = ? AND m.digest = ?",
            repo, digest,
        )
        if row is None:
            return None
        created, tagged, listed, subject_present = row
        tags = await tx.fetchall("SELECT name FROM tags WHERE repo = ? AND digest = ? ORDER BY name", repo, digest)
        return ManifestHolds(created, bool(tagged), bool(listed), bool(subject_present), tuple(t[0] for t in tags))

    async def _blob_children(self, tx: Database, repo: str, digest: str) -> list[BlobChild]:
        rows = await tx.fetchall(
            "SELECT r.child, b.created, EXISTS (SELECT 1 FROM manifest_refs o WHERE o.repo = r.repo"
            " AND o.child = r.child AND o.digest <> r.digest)"
            " FROM manifest_refs r LEFT JOIN blob_links b ON b.repo = r.repo AND b.digest = r.child"
            " WHERE r.repo = ? AND r.digest = ? AND r.kind = 'blob' ORDER BY r.child",
            repo, digest,
        )
        return [BlobChild(child, linked, bool(elsewhere)) for child, linked, elsewhere in rows]

    async def _remove(self, tx: Database, repo: str, digest: str, now: float, orphans: OrphanRule) -> bool:
        row = await tx.fetchone("SELECT created FROM manifests WHERE repo = ? AND digest = ?", repo, digest)
        if row is None:
            return False
        children = await self._blob_children(tx, repo, digest)
        unlinked = sorted(set(orphans(row[0], children)))
        await claim(tx, [manifest_key(repo, digest), digest, *unlinked], now)
        await self._repositories.touch(tx, repo, now)  # tables in LOCK_ORDER from here on
        await tx.execute("DELETE FROM artifact_labels WHERE artifact_id IN"
                         " (SELECT id FROM manifests WHERE repo = ? AND digest = ?)", repo, digest)
        if await tx.execute("DELETE FROM manifests WHERE repo = ? AND digest = ?", repo, digest):
            await self._repositories.count_manifests(tx, repo, -1)
        await self._tags.drop(tx, repo, digest)
        await tx.execute("DELETE FROM manifest_refs WHERE repo = ? AND digest = ?", repo, digest)
        await self._links.drop(tx, repo, [digest, *unlinked])
        return True
