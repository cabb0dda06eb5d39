"""Online garbage collection: delete blobs nothing references, while pushes and pulls go on.

What is kept
    A blob is referenced while a repository links it (an upload, a mount or a
    manifest push links it; DELETE of a blob or manifest and repository deletion
    unlink it), while it is a manifest, or while a manifest names it. Everything else
    is garbage once its bytes are older than the grace period, which protects content
    committed a moment ago by a push that has not linked it yet. With ``untagged``,
    manifests that no tag points at, no index lists and no existing subject holds are
    deleted first (older than the grace period too), which unlinks the blobs they
    brought.

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

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from registry.oci.digest import Digest
from registry.core import metrics
from registry.core.errors import RegistryError
from storage.blobs.base import BlobStore
from storage.meta.references import DigestBusy, Snapshot
from storage.meta.store import MetaStore

log = logging.getLogger("berth.gc")
T = TypeVar("T")
RETRY_DELAY = 0.05
RETRIES = 100  # five seconds: a claim is held only while one blob is deleted


async def linking(write: Callable[[], Awaitable[T]]) -> T:
    """Run a transaction that links digests, waiting while GC deletes one of them."""
    for _ in range(RETRIES):
        try:
            return await write()
        except DigestBusy:
            await asyncio.sleep(RETRY_DELAY)
    error = RegistryError("UNAVAILABLE", "garbage collection is deleting this content; retry shortly", status=503)
    error.headers["Retry-After"] = "1"
    raise error


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


def untagged_garbage(snapshot: Snapshot, before: float) -> list[tuple[str, str]]:
    """(repo, digest) of manifests the untagged policy removes, each after any index listing it."""
    created = {(repo, digest): (when, subject) for repo, digest, _, when, subject in snapshot.manifests}
    tagged = {(repo, digest) for repo, _, digest in snapshot.tags}
    parents: dict[tuple[str, str], set[str]] = {}
    for repo, digest, child, kind in snapshot.refs:
        if kind == "manifest":
            parents.setdefault((repo, child), set()).add(digest)
    gone: list[tuple[str, str]] = []
    alive = set(created)
    changed = True
    while changed:
        changed = False
        for key in sorted(alive):
            when, subject = created[key]
            repo = key[0]
            if key in tagged or when >= before:
                continue
            if any((repo, parent) in alive for parent in parents.get(key, ())):
                continue
            if subject and (repo, subject) in alive:
                continue
            alive.discard(key)
            gone.append(key)
            changed = True
    return gone


def referenced_after(snapshot: Snapshot, removed: set[tuple[str, str]]) -> set[str]:
    """What stays referenced once ``removed`` manifests are deleted — the dry run's view.

    Mirrors ``remove_manifest``: a blob child goes with its manifest when no remaining
    manifest of the repository names it and its link is no newer than the manifest.
    """
    remaining = [m for m in snapshot.manifests if (m[0], m[1]) not in removed]
    refs = [r for r in snapshot.refs if (r[0], r[1]) not in removed]
    still_named = {(repo, child) for repo, _, child, _ in refs}
    created = {(m[0], m[1]): m[3] for m in snapshot.manifests}
    dropped = set(removed)
    links = {(repo, digest): when for repo, digest, _, when in snapshot.links}
    for repo, digest, child, kind in snapshot.refs:
        if (repo, digest) in removed and kind == "blob" and (repo, child) not in still_named \
                and links.get((repo, child), float("inf")) <= created[(repo, digest)]:
            dropped.add((repo, child))
    return ({digest for repo, digest in links if (repo, digest) not in dropped}
            | {m[1] for m in remaining} | {child for _, _, child, _ in refs})


class GarbageCollector:
    def __init__(self, meta: MetaStore, blobs: BlobStore,
                 forget_manifest: Callable[[str, str], None] | None = None) -> None:
        self.meta = meta
        self.blobs = blobs
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
        snapshot = await refs.snapshot()
        doomed = untagged_garbage(snapshot, before) if untagged else []
        if dry_run:
            report.manifests = [f"{repo}@{digest}" for repo, digest in doomed]
            referenced = referenced_after(snapshot, set(doomed))
        else:
            for repo, digest in doomed:
                if await refs.delete_untagged_manifest(repo, digest, before):
                    report.manifests.append(f"{repo}@{digest}")
                    if self.forget_manifest is not None:
                        self.forget_manifest(repo, digest)
            referenced = await refs.referenced_digests()
        async for digest, size, mtime in self.blobs.list():
            if str(digest) in referenced or mtime >= before:
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
            return await self.blobs.delete(digest)
        finally:
            await self.meta.references.end_blob_deletion(str(digest))

    def _refreshed(self, digest: Digest, before: float) -> bool:
        path = self.blobs.local_path(digest)
        if path is None:
            return False
        try:
            return os.stat(path).st_mtime >= before
        except FileNotFoundError:
            return True  # someone else removed it; nothing for this run to free
