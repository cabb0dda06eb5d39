"""Online garbage collection: delete blobs nothing references, while pushes and pulls go on.

What is kept
    A blob is referenced while a repository links it (an upload, a mount or a
    manifest push links it; DELETE of a blob or manifest and repository deletion
    unlink it), while it is a manifest, or while a manifest names it. Everything else
    is garbage once its bytes are older than the grace period, which protects content
    committed a moment ago by a push that has not linked it yet. With ``untagged``,
    manifests that no tag points at, no index lists and no existing subject holds are
    deleted first (older than the grace period too), which unlinks the blobs they
    brought. Both rules are in ``registry.core.references``: each deleting transaction
    asks them, and a dry run replays the deletions on a snapshot asking the same ones.

Why a concurrent push cannot lose a blob
    GC decides from a snapshot, which is stale by the time it acts, so each deletion
    is one more step:

    1. ``begin_blob_deletion`` re-checks, in a transaction, that nothing references
       the digest and leaves a *claim* on it (a row in ``gc_claims``).
    2. On a local disk, the blob's modification time is read again: a push that
       found the content already stored has just refreshed it, so it is kept.
    3. The bytes are deleted, then the claim is dropped.

    Every transaction that links a digest takes the same claim first, so it waits
    (``linking`` retries it) while step 3 runs; once it commits, no later GC can start
    on that digest. After linking, the pusher checks the bytes are there: if a GC
    finished deleting them just before the link, an upload is answered with a
    retryable error, a mount falls back to an upload, and a manifest is written
    again. A blob a client was told about (201) is therefore never deleted while
    linked. A GC killed between steps 1 and 3 leaves a claim that expires after
    ``CLAIM_LEASE`` seconds.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from registry.oci.digest import Digest
from registry.core.references import orphaned_blobs, untagged_garbage
from registry.core import metrics
from storage.blobs.base import BlobStore
from storage.meta.records import BlobChild, ManifestHolds
from storage.meta.references import Snapshot
from storage.meta.store import MetaStore

log = logging.getLogger("berth.gc")
T = TypeVar("T")
SWEEP_BATCH = 500  # stored blobs checked against the database per query


def _among(kept: set[str]) -> Callable[[list[str]], Awaitable[set[str]]]:
    async def among(batch: list[str]) -> set[str]:
        return kept.intersection(batch)
    return among


async def _batches(items: AsyncIterator[T], size: int) -> AsyncIterator[list[T]]:
    batch: list[T] = []
    async for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class GcReport:
    dry_run: bool
    manifests: list[str] = field(default_factory=list)  # repo@digest, deleted (or that would be)
    blobs: int = 0
    bytes: int = 0
    kept_in_race: int = 0  # candidates a concurrent push re-linked or refreshed

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {len(self.manifests)} manifest(s) and {self.blobs} blob(s), "
                f"{self.bytes} bytes; {self.kept_in_race} kept because a push used them meanwhile")


Key = tuple[str, str]  # repository, manifest digest


class Replay:
    """The registry of a snapshot, deleting manifests the way storage does, by the same rules.

    The dry run's view, and the order in which a real run deletes: each deletion reads
    the facts as they stand after the ones before it, as each transaction of a run does.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.manifests: dict[Key, tuple[float, str | None]] = {
            (repo, digest): (created, subject) for repo, digest, _, created, subject in snapshot.manifests}
        self.links: dict[Key, float] = {(repo, digest): created for repo, digest, _, created in snapshot.links}
        self.tagged: set[Key] = {(repo, digest) for repo, _, digest in snapshot.tags}
        self.refs: dict[Key, list[tuple[str, str]]] = {}  # manifest → (child, kind)
        self.named_by: dict[Key, set[str]] = {}  # (repo, child) → manifests naming it
        self.listed_by: dict[Key, set[str]] = {}  # (repo, child manifest) → indexes listing it
        for repo, digest, child, kind in snapshot.refs:
            self.refs.setdefault((repo, digest), []).append((child, kind))
            self.named_by.setdefault((repo, child), set()).add(digest)
            if kind == "manifest":
                self.listed_by.setdefault((repo, child), set()).add(digest)

    def holds(self, key: Key) -> ManifestHolds:
        created, subject = self.manifests[key]
        return ManifestHolds(created, key in self.tagged, bool(self.listed_by.get(key)),
                             subject is not None and (key[0], subject) in self.manifests)

    def blob_children(self, key: Key) -> list[BlobChild]:
        repo, digest = key
        return [BlobChild(child, self.links.get((repo, child)), bool(self.named_by[(repo, child)] - {digest}))
                for child, kind in self.refs.get(key, []) if kind == "blob"]

    def delete(self, key: Key) -> None:
        repo, digest = key
        unlinked = orphaned_blobs(self.manifests[key][0], self.blob_children(key))
        del self.manifests[key]
        self.tagged.discard(key)
        for child, kind in self.refs.pop(key, []):
            self.named_by[(repo, child)].discard(digest)
            if kind == "manifest":
                self.listed_by[(repo, child)].discard(digest)
        for gone in (digest, *unlinked):
            self.links.pop((repo, gone), None)

    def delete_untagged(self, before: float) -> list[Key]:
        """Delete what the untagged policy deletes, each after any index listing it or subject it needs."""
        gone: list[Key] = []
        changed = True
        while changed:  # deleting an index or a subject can free what it held
            changed = False
            for key in sorted(self.manifests):
                if untagged_garbage(self.holds(key), before):
                    self.delete(key)
                    gone.append(key)
                    changed = True
        return gone

    def referenced(self) -> set[str]:
        """Every digest still linked, a manifest, or named by one: what GC keeps."""
        return ({digest for _, digest in self.links} | {digest for _, digest in self.manifests}
                | {child for (_, child), names in self.named_by.items() if names})


class GarbageCollector:
    def __init__(self, meta: MetaStore, store: BlobStore,
                 forget_manifest: Callable[[str, str], None] | None = None) -> None:
        self.meta = meta
        self.store = store
        # Drops a deleted manifest from a server's in-memory cache, when GC runs inside one.
        self.forget_manifest = forget_manifest

    async def run(self, grace: float = 3600.0, untagged: bool = False, dry_run: bool = False) -> GcReport:
        try:
            report = await self._run(grace, untagged, dry_run)
        except Exception:
            if not dry_run:
                metrics.gc_failed()
            raise
        if not dry_run:
            metrics.gc_finished(report.blobs, report.bytes, len(report.manifests))
        return report

    async def _run(self, grace: float, untagged: bool, dry_run: bool) -> GcReport:
        before = time.time() - grace
        report = GcReport(dry_run)
        refs = self.meta.references
        if not dry_run:
            await refs.clear_stale_claims()
        # Only the untagged rule needs every reference in memory (it replays deletions);
        # otherwise the database answers what is referenced, one batch of stored blobs at a time.
        replay = Replay(await refs.snapshot()) if untagged else None
        doomed = replay.delete_untagged(before) if replay is not None else []
        referenced = refs.referenced_among
        if dry_run:
            report.manifests = [f"{repo}@{digest}" for repo, digest in doomed]
            if replay is not None:  # what the run would keep once those manifests went
                referenced = _among(replay.referenced())
        else:
            garbage = functools.partial(untagged_garbage, before=before)
            for repo, digest in doomed:
                if await self.meta.manifests.delete(repo, digest, orphaned_blobs, only_if=garbage):
                    report.manifests.append(f"{repo}@{digest}")
                    if self.forget_manifest is not None:
                        self.forget_manifest(repo, digest)
        async for batch in _batches(self.store.list(), SWEEP_BATCH):
            keep = await referenced([str(digest) for digest, _, _ in batch])
            for digest, size, mtime in batch:
                if str(digest) in keep or mtime >= before:
                    continue
                if dry_run or await self._delete(digest, before):
                    report.blobs += 1
                    report.bytes += size
                else:
                    report.kept_in_race += 1
        log.info("gc: %s", report.summary())
        return report

    async def _delete(self, digest: Digest, before: float) -> bool:
        if not await self.meta.references.begin_blob_deletion(str(digest)):
            return False
        try:
            if self._refreshed(digest, before):
                return False
            return await self.store.delete(digest)
        finally:
            await self.meta.references.end_blob_deletion(str(digest))

    def _refreshed(self, digest: Digest, before: float) -> bool:
        path = self.store.local_path(digest)
        if path is None:
            return False
        try:
            return os.stat(path).st_mtime >= before
        except FileNotFoundError:
            return True  # someone else removed it; nothing for this run to free
