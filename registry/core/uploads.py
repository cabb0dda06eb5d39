"""Blob upload sessions: start, append chunks, report progress, finish, cancel.

Session state (repository, creation time) is in metadata and the bytes are in the
blob store's upload area, so a session survives a restart and can be continued by
another process. The running hash lives in this process's memory for the fast path;
when it is missing or out of step (after a restart, or on another replica) the
digest is recomputed from the stored bytes.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from registry.oci.digest import Digest
from registry.core.errors import RegistryError, upload_unknown
from registry.core import metrics
from registry.core.links import BlobLinks
from storage.blobs.base import BlobStore, BlobUploadUnknown
from storage.meta.store import MetaStore


def _range_error(message: str, size: int) -> RegistryError:
    error = RegistryError("RANGE_INVALID", message, {"size": size})
    error.headers["Range"] = f"0-{max(size - 1, 0)}"
    return error


async def _spanning(chunks: AsyncIterable[bytes], span: tuple[int, int], size: int) -> AsyncIterator[bytes]:
    """The body, refused as soon as it overruns ``span`` or when it ends short of it.

    Checked on the bytes themselves, so a chunked body (whose length no header gives) is
    held to its Content-Range like any other; the store then keeps nothing of it.
    """
    first, last = span
    announced = last - first + 1
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > announced:
            break
        yield chunk
    if received != announced:
        arrived = "more" if received > announced else str(received)
        raise _range_error(f"Content-Range {first}-{last} announced {announced} bytes but {arrived} arrived", size)


@dataclass(slots=True)
class _HashState:
    hasher: "hashlib._Hash"
    offset: int


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_sessions_per_client: int = 256
    stale_after: float = 24 * 3600.0


class UploadService:
    def __init__(self, meta: MetaStore, store: BlobStore, links: BlobLinks,
                 limits: UploadLimits | None = None) -> None:
        self.meta = meta
        self.store = store
        self.links = links
        self.limits = limits or UploadLimits()
        self._hashes: dict[str, _HashState] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self, repo: str, client: str | None = None) -> str:
        await self.links.refuse_push(repo)
        if client and await self.meta.uploads.count_of(client) >= self.limits.max_sessions_per_client:
            raise RegistryError(
                "TOOMANYREQUESTS",
                f"too many open upload sessions for this client (limit {self.limits.max_sessions_per_client})",
            )
        upload_id = str(uuid.uuid4())
        await self.store.upload_start(upload_id)
        await self.meta.uploads.create(upload_id, repo, client)
        self._hashes[upload_id] = _HashState(hashlib.sha256(), 0)
        metrics.upload_started()
        return upload_id

    async def open_sessions(self) -> int:
        """Upload sessions open across the registry (every process, every restart)."""
        return len(await self.meta.uploads.stale(time.time() + 1))  # every session touched until now

    async def _session(self, repo: str, upload_id: str) -> int:
        """The session's current size; BLOB_UPLOAD_UNKNOWN when it is not this repo's."""
        record = await self.meta.uploads.get(upload_id)
        if record is None or record.repo != repo:
            raise upload_unknown(upload_id)
        size = await self.store.upload_size(upload_id)
        if size is None:
            raise upload_unknown(upload_id)
        return size

    def _lock(self, upload_id: str) -> asyncio.Lock:
        lock = self._locks.get(upload_id)
        if lock is None:
            lock = self._locks[upload_id] = asyncio.Lock()
        return lock

    async def status(self, repo: str, upload_id: str) -> int:
        return await self._session(repo, upload_id)

    async def append(
        self, repo: str, upload_id: str, chunks: AsyncIterable[bytes], span: tuple[int, int] | None = None
    ) -> int:
        """Append a chunk; ``span`` (from Content-Range) must start at the current size and
        cover exactly the bytes sent, whatever the body's framing. A chunk that fails —
        out of range, broken off, stalled — leaves the upload as it was."""
        async with self._lock(upload_id):
            size = await self._session(repo, upload_id)
            if span is not None:
                if span[0] != size:
                    raise _range_error(f"chunk starts at {span[0]} but the upload has {size} bytes", size)
                chunks = _spanning(chunks, span, size)
            state = self._hashes.get(upload_id)
            if state is not None and state.offset != size:
                state = None
                self._hashes.pop(upload_id, None)
            try:
                new_size = await self.store.upload_append(
                    upload_id, size, chunks, state.hasher.update if state else None
                )
            except BlobUploadUnknown:
                raise upload_unknown(upload_id) from None
            except BaseException:
                # The store kept nothing of the chunk, but the hash has seen part of it.
                self._hashes.pop(upload_id, None)
                raise
            if state is not None:
                state.offset = new_size
            await self.meta.uploads.touch(upload_id)
            return new_size

    async def _digest_of_upload(self, upload_id: str, algorithm: str, size: int) -> str:
        state = self._hashes.get(upload_id)
        if state is not None and state.offset == size and state.hasher.name == algorithm:
            return state.hasher.hexdigest()
        hasher = hashlib.new(algorithm)
        async for chunk in self.store.upload_read(upload_id):
            hasher.update(chunk)
        return hasher.hexdigest()

    async def finish(self, repo: str, upload_id: str, expected: Digest) -> int:
        """Verify the whole upload against ``expected``, commit it and link it to ``repo``."""
        async with self._lock(upload_id):
            size = await self._session(repo, upload_id)
            actual = await self._digest_of_upload(upload_id, expected.algorithm, size)
            if actual != expected.hex:
                await self._discard(upload_id, "invalid")
                raise RegistryError(
                    "DIGEST_INVALID", "provided digest did not match uploaded content",
                    {"expected": str(expected), "actual": f"{expected.algorithm}:{actual}"},
                )
            try:
                await self.links.check_quota(repo, [(str(expected), size)])
            except RegistryError:
                await self._discard(upload_id, "invalid")
                raise
            await self.store.upload_commit(upload_id, expected)
            await self.meta.uploads.delete(upload_id)
            self._forget(upload_id)
            metrics.upload_ended("committed")
            if not await self.links.link(repo, str(expected), size):
                # Garbage collection deleted the stored copy between the commit and the link.
                raise RegistryError("UNAVAILABLE", "the blob was collected while this upload finished; push it again",
                                    status=503)
            return size

    async def cancel(self, repo: str, upload_id: str) -> None:
        await self._session(repo, upload_id)
        await self._discard(upload_id, "cancelled")

    async def _discard(self, upload_id: str, outcome: str) -> None:
        await self.store.upload_abort(upload_id)
        await self.meta.uploads.delete(upload_id)
        self._forget(upload_id)
        metrics.upload_ended(outcome)

    def _forget(self, upload_id: str) -> None:
        self._hashes.pop(upload_id, None)
        self._locks.pop(upload_id, None)

    async def purge_stale(self) -> int:
        """Remove sessions idle for longer than the limit, and orphaned upload files."""
        cutoff = time.time() - self.limits.stale_after
        stale = await self.meta.uploads.stale(cutoff)
        for upload_id in stale:
            await self._discard(upload_id, "purged")
        async for upload_id, mtime in self.store.list_uploads():
            if mtime < cutoff and await self.meta.uploads.get(upload_id) is None:
                await self.store.upload_abort(upload_id)
        return len(stale)
