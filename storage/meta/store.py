"""MetaStore: every metadata query Berth makes, over either database adapter.

Only facts live here (what exists, what links to what); the rules that decide what
may be written live in ``registry.core``.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from storage.meta.accounts import RobotStore, UserStore
from storage.meta.audit import AuditStore
from storage.meta.catalog import CatalogQueries
from storage.meta.database import Database
from storage.meta.projects import ProjectStore
from storage.meta.references import MissingReferences, ReferenceQueries, claim, manifest_key, remove_manifest
from storage.meta.migrations import MIGRATIONS, render
from storage.meta.secrets import SecretStore
from storage.meta.sessions import SessionStore
from storage.meta.upstreams import UpstreamStore
from storage.meta.webhooks import WebhookStore
from storage.meta.records import (
    ManifestRecord,
    ManifestReference,
    PullEvent,
    RepositoryRecord,
    UploadRecord,
)

# Every transaction that writes several tables takes its row locks in this order, so that
# on PostgreSQL concurrent pushes, deletes and pull-counter flushes wait instead of deadlocking.
LOCK_ORDER = ("gc_claims", "repositories", "manifests", "tags", "manifest_refs", "blob_links")

_MANIFEST_COLUMNS = (
    "repo, digest, media_type, size, artifact_type, subject, config_digest, annotations,"
    " created, pull_count, pull_time"
)


def _manifest(row: tuple) -> ManifestRecord:
    return ManifestRecord(*row)


class MetaStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = UserStore(db)
        self.robots = RobotStore(db)
        self.projects = ProjectStore(db)
        self.audit = AuditStore(db)
        self.secrets = SecretStore(db)
        self.catalog = CatalogQueries(db)
        self.sessions = SessionStore(db)
        self.webhooks = WebhookStore(db)
        self.references = ReferenceQueries(db)
        self.upstreams = UpstreamStore(db)

    # --- lifecycle -------------------------------------------------------------
    async def migrate(self) -> int:
        """Bring the schema to the newest version; return that version."""
        async with self.db.migration_lock() as db:
            await db.run_script(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)"
            )
            row = await db.fetchone("SELECT MAX(version) FROM schema_version")
            current = (row[0] or 0) if row else 0
            for version, script in MIGRATIONS:
                if version > current:
                    # One script, one transaction: a migration applies wholly or not at all.
                    await db.run_script(
                        "BEGIN;\n" + render(script, db.dialect)
                        + f"\nINSERT INTO schema_version (version, applied) VALUES ({version}, {time.time()});\nCOMMIT;"
                    )
                    current = version
            return current

    async def close(self) -> None:
        await self.db.close()

    # --- repositories ----------------------------------------------------------
    async def ensure_repository(self, tx: Database, name: str, project: str, now: float) -> None:
        await tx.execute(
            "INSERT INTO repositories (name, project, created, updated) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET updated = excluded.updated",
            name, project, now, now,
        )

    async def repository(self, name: str) -> RepositoryRecord | None:
        row = await self.db.fetchone(
            "SELECT name, project, created, updated, pull_count FROM repositories WHERE name = ?", name
        )
        return RepositoryRecord(*row) if row else None

    async def repository_names(self, last: str = "", limit: int = 1000) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?", last, limit
        )
        return [r[0] for r in rows]

    async def delete_repository(self, name: str) -> bool:
        async with self.db.transaction() as tx:
            # The repository row is locked first, as every writer does (see LOCK_ORDER).
            if not await tx.execute("UPDATE repositories SET updated = updated WHERE name = ?", name):
                return False
            for table in ("manifests", "tags", "manifest_refs", "blob_links"):
                await tx.execute(f"DELETE FROM {table} WHERE repo = ?", name)
            return await tx.execute("DELETE FROM repositories WHERE name = ?", name) > 0

    # --- blob links --------------------------------------------------------------
    async def link_blob(self, repo: str, project: str, digest: str, size: int) -> None:
        """Link a blob (again: the link time moves, marking it part of the newest push).

        Raises DigestBusy while garbage collection is deleting the blob.
        """
        now = time.time()
        async with self.db.transaction() as tx:
            await claim(tx, [digest], now)
            await self.ensure_repository(tx, repo, project, now)
            await tx.execute(
                "INSERT INTO blob_links (repo, digest, size, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (repo, digest) DO UPDATE SET created = excluded.created",
                repo, digest, size, now,
            )

    async def linked_size(self, repo: str, digest: str) -> int | None:
        row = await self.db.fetchone("SELECT size FROM blob_links WHERE repo = ? AND digest = ?", repo, digest)
        return row[0] if row else None

    async def linked_sizes(self, repo: str, digests: Iterable[str]) -> dict[str, int]:
        """Size of each of ``digests`` that is linked to ``repo``; absent ones are left out."""
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT digest, size FROM blob_links WHERE repo = ? AND digest IN ({marks})", repo, *wanted
        )
        return dict(rows)

    async def unlink_blob(self, repo: str, digest: str) -> bool:
        return await self.db.execute("DELETE FROM blob_links WHERE repo = ? AND digest = ?", repo, digest) > 0

    async def is_blob_referenced(self, digest: str) -> bool:
        """True while any repository links the blob — what GC must never delete."""
        row = await self.db.fetchone("SELECT 1 FROM blob_links WHERE digest = ? LIMIT 1", digest)
        return row is not None

    # --- manifests ---------------------------------------------------------------
    async def put_manifest(self, record: ManifestRecord, project: str, tags: Iterable[str],
                           check_references: bool = False) -> None:
        """Record a manifest, its references, its own blob link and its tags in one transaction.

        With ``check_references``, blobs it names must be linked to the repository and
        manifests it lists must be in it, checked inside the transaction (MissingReferences),
        so a concurrent delete cannot slip between a push's check and its write. Raises
        DigestBusy while garbage collection is deleting one of the digests.
        """
        now = time.time()
        async with self.db.transaction() as tx:
            await claim(tx, [record.digest, manifest_key(record.repo, record.digest)]
                        + [r.digest if r.kind == "blob" else manifest_key(record.repo, r.digest)
                           for r in record.references], now)
            if check_references:
                await self._check_references(tx, record)
            await self.ensure_repository(tx, record.repo, project, now)
            await tx.execute(
                f"INSERT INTO manifests ({_MANIFEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)"
                " ON CONFLICT (repo, digest) DO NOTHING",
                record.repo, record.digest, record.media_type, record.size, record.artifact_type,
                record.subject, record.config_digest, record.annotations, now,
            )
            for tag in sorted(tags):
                await tx.execute(
                    "INSERT INTO tags (repo, name, digest, updated) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (repo, name) DO UPDATE SET digest = excluded.digest, updated = excluded.updated",
                    record.repo, tag, record.digest, now,
                )
            await tx.executemany(
                "INSERT INTO manifest_refs (repo, digest, child, kind, size) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (repo, digest, child) DO NOTHING",
                [(record.repo, record.digest, r.digest, r.kind, r.size) for r in record.references],
            )
            await tx.execute(
                "INSERT INTO blob_links (repo, digest, size, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (repo, digest) DO NOTHING",
                record.repo, record.digest, record.size, now,
            )

    async def _check_references(self, tx: Database, record: ManifestRecord) -> None:
        missing = []
        for ref in record.references:
            table = "blob_links" if ref.kind == "blob" else "manifests"
            if await tx.fetchone(f"SELECT 1 FROM {table} WHERE repo = ? AND digest = ?", record.repo, ref.digest) is None:
                missing.append(ref.digest)
        if missing:
            raise MissingReferences(missing)

    async def manifest(self, repo: str, digest: str) -> ManifestRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_MANIFEST_COLUMNS} FROM manifests WHERE repo = ? AND digest = ?", repo, digest
        )
        return _manifest(row) if row else None

    async def manifest_references(self, repo: str, digest: str) -> list[ManifestReference]:
        rows = await self.db.fetchall(
            "SELECT child, kind, size FROM manifest_refs WHERE repo = ? AND digest = ? ORDER BY child",
            repo, digest,
        )
        return [ManifestReference(*r) for r in rows]

    async def existing_manifests(self, repo: str, digests: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT digest FROM manifests WHERE repo = ? AND digest IN ({marks})", repo, *wanted
        )
        return {r[0] for r in rows}

    async def manifests(self, repo: str) -> list[ManifestRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_MANIFEST_COLUMNS} FROM manifests WHERE repo = ? ORDER BY created DESC, digest", repo
        )
        return [_manifest(r) for r in rows]

    async def referrers(self, repo: str, subject: str) -> list[ManifestRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_MANIFEST_COLUMNS} FROM manifests WHERE repo = ? AND subject = ? ORDER BY digest",
            repo, subject,
        )
        return [_manifest(r) for r in rows]

    async def delete_manifest(self, repo: str, digest: str) -> bool:
        """Remove a manifest with its tags and references; unlink it and the blobs pushed for it."""
        async with self.db.transaction() as tx:
            return await remove_manifest(tx, repo, digest, time.time())

    async def parents_of(self, repo: str, digest: str) -> list[str]:
        """Indexes in ``repo`` that list the manifest ``digest`` as a child."""
        rows = await self.db.fetchall(
            "SELECT digest FROM manifest_refs WHERE repo = ? AND child = ? AND kind = 'manifest'", repo, digest
        )
        return [r[0] for r in rows]

    # --- tags ----------------------------------------------------------------------
    async def resolve_tag(self, repo: str, tag: str) -> str | None:
        row = await self.db.fetchone("SELECT digest FROM tags WHERE repo = ? AND name = ?", repo, tag)
        return row[0] if row else None

    async def tags(self, repo: str, last: str = "", limit: int | None = None) -> list[str]:
        sql = "SELECT name FROM tags WHERE repo = ? AND name > ? ORDER BY name"
        args: list = [repo, last]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in await self.db.fetchall(sql, *args)]

    async def tags_by_digest(self, repo: str) -> dict[str, list[tuple[str, float, float | None]]]:
        rows = await self.db.fetchall(
            "SELECT digest, name, updated, pull_time FROM tags WHERE repo = ? ORDER BY name", repo
        )
        result: dict[str, list[tuple[str, float, float | None]]] = {}
        for digest, name, updated, pull_time in rows:
            result.setdefault(digest, []).append((name, updated, pull_time))
        return result

    async def delete_tag(self, repo: str, tag: str) -> bool:
        return await self.db.execute("DELETE FROM tags WHERE repo = ? AND name = ?", repo, tag) > 0

    # --- uploads -------------------------------------------------------------------
    async def create_upload(self, upload_id: str, repo: str, client: str | None) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO uploads (id, repo, created, updated, client) VALUES (?, ?, ?, ?, ?)",
            upload_id, repo, now, now, client,
        )

    async def upload(self, upload_id: str) -> UploadRecord | None:
        row = await self.db.fetchone(
            "SELECT id, repo, created, updated, client FROM uploads WHERE id = ?", upload_id
        )
        return UploadRecord(*row) if row else None

    async def touch_upload(self, upload_id: str) -> None:
        await self.db.execute("UPDATE uploads SET updated = ? WHERE id = ?", time.time(), upload_id)

    async def delete_upload(self, upload_id: str) -> bool:
        return await self.db.execute("DELETE FROM uploads WHERE id = ?", upload_id) > 0

    async def count_uploads(self, client: str) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM uploads WHERE client = ?", client)
        return row[0]

    async def stale_uploads(self, before: float) -> list[str]:
        rows = await self.db.fetchall("SELECT id FROM uploads WHERE updated < ?", before)
        return [r[0] for r in rows]

    # --- pull counters -------------------------------------------------------------
    async def add_pulls(self, events: Iterable[PullEvent]) -> None:
        """Add aggregated pulls; increments, so several processes' counts add up exactly."""
        events = list(events)
        if not events:
            return
        # Tables in LOCK_ORDER and rows in a fixed order, so concurrent flushes, pushes and
        # deletes queue on row locks instead of deadlocking.
        events.sort(key=lambda e: (e.repo, e.digest))
        per_repository: dict[str, int] = {}
        for e in events:
            per_repository[e.repo] = per_repository.get(e.repo, 0) + e.count
        async with self.db.transaction() as tx:
            for repo, count in sorted(per_repository.items()):
                await tx.execute("UPDATE repositories SET pull_count = pull_count + ? WHERE name = ?", count, repo)
            for e in events:
                await tx.execute(
                    "UPDATE manifests SET pull_count = pull_count + ?,"
                    " pull_time = CASE WHEN pull_time IS NULL OR pull_time < ? THEN ? ELSE pull_time END"
                    " WHERE repo = ? AND digest = ?",
                    e.count, e.last, e.last, e.repo, e.digest,
                )
            for e in events:
                for tag, when in sorted(e.tags.items()):
                    await tx.execute(
                        "UPDATE tags SET pull_time = ? WHERE repo = ? AND name = ?", when, e.repo, tag
                    )
