"""A BlobStore that times every call to the store it wraps, for the storage latency metric.

Wrapping the port rather than each backend keeps the filesystem and S3 drivers free
of metrics and measures exactly what core waits for. Streams (reads, listings) are
timed to their end, failed calls are counted as errors as well.
"""
from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

from registry.core import metrics
from registry.oci.digest import Digest
from storage.blobs.base import BlobStore

T = TypeVar("T")


class TimedBlobStore(BlobStore):
    def __init__(self, inner: BlobStore, driver: str) -> None:
        self.inner = inner
        self.driver = driver

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        start = time.perf_counter()
        failed = True
        try:
            result = await call
            failed = False
            return result
        finally:
            metrics.storage_operation(self.driver, operation, time.perf_counter() - start, failed)

    async def _timed_stream(self, operation: str, stream: AsyncIterator[T]) -> AsyncIterator[T]:
        start = time.perf_counter()
        failed = True
        try:
            async for item in stream:
                yield item
            failed = False
        except GeneratorExit:  # the reader stopped early (a client went away): not the store's fault
            failed = False
            raise
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
            metrics.storage_operation(self.driver, operation, time.perf_counter() - start, failed)

    async def stat(self, digest: Digest) -> int | None:
        return await self._timed("stat", self.inner.stat(digest))

    def local_path(self, digest: Digest) -> Path | None:
        return self.inner.local_path(digest)

    def upload_file(self, upload_id: str) -> Path | None:
        return self.inner.upload_file(upload_id)

    async def capacity(self) -> tuple[int, int] | None:
        return await self._timed("capacity", self.inner.capacity())

    async def redirect_url(self, digest: Digest) -> str | None:
        return await self._timed("redirect_url", self.inner.redirect_url(digest))

    def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self._timed_stream("read", self.inner.read(digest, start, end))

    async def get_bytes(self, digest: Digest) -> bytes | None:
        return await self._timed("get_bytes", self.inner.get_bytes(digest))

    async def put_bytes(self, digest: Digest, data: bytes) -> None:
        await self._timed("put_bytes", self.inner.put_bytes(digest, data))

    async def delete(self, digest: Digest) -> bool:
        return await self._timed("delete", self.inner.delete(digest))

    def list(self) -> AsyncIterator[tuple[Digest, int, float]]:
        return self._timed_stream("list", self.inner.list())

    async def upload_start(self, upload_id: str) -> None:
        await self._timed("upload_start", self.inner.upload_start(upload_id))

    async def upload_append(self, upload_id: str, offset: int, chunks: AsyncIterable[bytes], on_chunk=None) -> int:
        return await self._timed("upload_append", self.inner.upload_append(upload_id, offset, chunks, on_chunk))

    async def upload_size(self, upload_id: str) -> int | None:
        return await self._timed("upload_size", self.inner.upload_size(upload_id))

    def upload_read(self, upload_id: str) -> AsyncIterator[bytes]:
        return self._timed_stream("upload_read", self.inner.upload_read(upload_id))

    async def upload_commit(self, upload_id: str, digest: Digest) -> int:
        return await self._timed("upload_commit", self.inner.upload_commit(upload_id, digest))

    async def upload_abort(self, upload_id: str) -> None:
        await self._timed("upload_abort", self.inner.upload_abort(upload_id))

    def list_uploads(self) -> AsyncIterator[tuple[str, float]]:
        return self._timed_stream("list_uploads", self.inner.list_uploads())

    async def close(self) -> None:
        await self.inner.close()
