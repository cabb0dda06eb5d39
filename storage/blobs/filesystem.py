"""Blobs on a local filesystem: ``blobs/<alg>/<2 hex>/<hex>`` and ``uploads/<id>``.

Every blob is written to the upload area first, fsynced, verified by the caller and
then renamed into place, so a crash can never leave a partial file under a digest.
Small synchronous writes go straight to the page cache from the event loop — that is
faster than a thread hop per chunk — while fsync, the slow part, runs in a thread.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import aiofiles

from registry.oci.digest import ALGORITHMS, Digest
from storage.blobs.base import BlobStore, BlobUploadUnknown, is_upload_id

READ_CHUNK = 1 << 20
WRITE_BATCH = 1 << 20


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refresh(path: Path) -> bool:
    """Mark an existing blob as just written; False when it is not there.

    A push that finds its content already stored refreshes the modification time, so
    garbage collection's grace period protects the blob until the push has linked it.
    """
    try:
        os.utime(path)
        return True
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# writev takes at most this many pieces (Linux: 1024); a body that arrives in many small
# TCP segments or chunks would otherwise fail with EINVAL.
IOV_MAX = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 1024


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every piece in order, at most IOV_MAX per writev, short writes finished."""
    views = [memoryview(p) for p in pieces if p]
    first = 0
    while first < len(views):
        written = os.writev(fd, views[first:first + IOV_MAX])
        while first < len(views) and written >= len(views[first]):
            written -= len(views[first])
            first += 1
        if written:
            views[first] = views[first][written:]


class FilesystemBlobStore(BlobStore):
    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.uploads = self.root / "uploads"
        self.fsync = fsync
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.uploads.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: Digest) -> Path:
        return self.blobs / digest.algorithm / digest.hex[:2] / digest.hex

    def _upload_path(self, upload_id: str) -> Path:
        if not is_upload_id(upload_id):
            raise BlobUploadUnknown(upload_id)
        return self.uploads / upload_id

    async def stat(self, digest: Digest) -> int | None:
        try:
            return os.stat(self._path(digest)).st_size
        except FileNotFoundError:
            return None

    def local_path(self, digest: Digest) -> Path | None:
        return self._path(digest)

    async def capacity(self) -> tuple[int, int] | None:
        usage = await asyncio.to_thread(shutil.disk_usage, self.blobs)
        return usage.total, usage.free

    async def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        remaining = None if end is None else end - start + 1
        async with aiofiles.open(self._path(digest), "rb") as f:
            await f.seek(start)
            while remaining is None or remaining > 0:
                size = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                chunk = await f.read(size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def get_bytes(self, digest: Digest) -> bytes | None:
        try:
            with open(self._path(digest), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    async def put_bytes(self, digest: Digest, data: bytes) -> None:
        target = self._path(digest)
        if _refresh(target):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.uploads / f"put-{digest.hex[:16]}-{os.getpid()}-{time.monotonic_ns()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        if self.fsync:
            await asyncio.to_thread(_fsync_and_close, fd)
        else:
            os.close(fd)
        os.replace(tmp, target)
        if self.fsync:
            await asyncio.to_thread(_fsync_dir, target.parent)

    async def delete(self, digest: Digest) -> bool:
        try:
            os.unlink(self._path(digest))
            return True
        except FileNotFoundError:
            return False

    async def list(self) -> AsyncIterator[tuple[Digest, int, float]]:
        for algorithm in ALGORITHMS:
            base = self.blobs / algorithm
            if not base.is_dir():
                continue
            for prefix in sorted(os.listdir(base)):
                for name in sorted(os.listdir(base / prefix)):
                    try:
                        st = os.stat(base / prefix / name)
                        yield Digest.parse(f"{algorithm}:{name}"), st.st_size, st.st_mtime
                    except (FileNotFoundError, ValueError):
                        continue
            await asyncio.sleep(0)

    def upload_file(self, upload_id: str) -> Path | None:
        return self._upload_path(upload_id)

    async def upload_start(self, upload_id: str) -> None:
        fd = os.open(self._upload_path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.close(fd)

    async def upload_append(
        self, upload_id: str, offset: int, chunks: AsyncIterable[bytes], on_chunk=None
    ) -> int:
        path = self._upload_path(upload_id)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            raise BlobUploadUnknown(upload_id) from None
        try:
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
            size = offset
            pending: list[bytes] = []
            pending_len = 0
            async for chunk in chunks:
                if on_chunk is not None:
                    on_chunk(chunk)
                pending.append(chunk)
                pending_len += len(chunk)
                if pending_len >= WRITE_BATCH or len(pending) >= IOV_MAX:
                    _write_all(fd, pending)
                    size += pending_len
                    pending, pending_len = [], 0
            if pending:
                _write_all(fd, pending)
                size += pending_len
            return size
        except BaseException:
            os.ftruncate(fd, offset)  # all or nothing: a body that broke off leaves no trace
            raise
        finally:
            os.close(fd)

    async def upload_size(self, upload_id: str) -> int | None:
        try:
            return os.stat(self._upload_path(upload_id)).st_size
        except (FileNotFoundError, BlobUploadUnknown):
            return None

    async def upload_read(self, upload_id: str) -> AsyncIterator[bytes]:
        path = self._upload_path(upload_id)
        if not path.exists():
            raise BlobUploadUnknown(upload_id)
        async with aiofiles.open(path, "rb") as f:
            while chunk := await f.read(READ_CHUNK):
                yield chunk

    async def upload_commit(self, upload_id: str, digest: Digest) -> int:
        source = self._upload_path(upload_id)
        target = self._path(digest)
        try:
            size = os.stat(source).st_size
        except FileNotFoundError:
            raise BlobUploadUnknown(upload_id) from None
        if _refresh(target):
            os.unlink(source)
            return size
        if self.fsync:
            fd = os.open(source, os.O_RDONLY)
            await asyncio.to_thread(_fsync_and_close, fd)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        if self.fsync:
            await asyncio.to_thread(_fsync_dir, target.parent)
        return size

    async def upload_abort(self, upload_id: str) -> None:
        try:
            os.unlink(self._upload_path(upload_id))
        except (FileNotFoundError, BlobUploadUnknown):
            pass

    async def list_uploads(self) -> AsyncIterator[tuple[str, float]]:
        for name in os.listdir(self.uploads):
            try:
                yield name, os.stat(self.uploads / name).st_mtime
            except FileNotFoundError:
                continue
