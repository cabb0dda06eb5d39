"""The BlobStore port every blob backend implements.

Blobs are global and content-addressed. The store knows nothing of repositories or
access: linking a blob to a repository is metadata, kept elsewhere. Uploads live in
a separate area keyed by an upload id, so that a half-written blob is never
addressable by digest.
"""
from __future__ import annotations

import abc
import re
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from registry.oci.digest import Digest

_UPLOAD_ID_RE = re.compile(r"[A-Za-z0-9-]{8,64}")


def is_upload_id(text: str) -> bool:
    """Whether ``text`` can name an upload: the only ids a store turns into a path or key."""
    return _UPLOAD_ID_RE.fullmatch(text) is not None


class BlobUploadUnknown(LookupError):
    """The upload id names no upload in the store's upload area."""


class BlobStore(abc.ABC):
    """Content-addressed bytes plus an area for uploads in progress."""

    # --- committed blobs -------------------------------------------------------
    @abc.abstractmethod
    async def stat(self, digest: Digest) -> int | None:
        """Size in bytes of the blob, or None when it is not stored."""

    def local_path(self, digest: Digest) -> Path | None:
        """A local file holding the blob, for sendfile; None for remote backends."""
        return None

    async def capacity(self) -> tuple[int, int] | None:
        """(total, free) bytes of the volume the blobs live on; None for a store with no
        fixed size to report (an object store grows as it is filled)."""
        return None

    async def redirect_url(self, digest: Digest) -> str | None:
        """A URL the client may fetch the blob from directly, when configured."""
        return None

    @abc.abstractmethod
    def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` … ``end`` (inclusive; None = to the end) of the blob."""

    @abc.abstractmethod
    async def get_bytes(self, digest: Digest) -> bytes | None:
        """The whole blob in memory; only for small blobs such as manifests and configs."""

    @abc.abstractmethod
    async def put_bytes(self, digest: Digest, data: bytes) -> None:
        """Store small content whose digest the caller has verified. Idempotent."""

    @abc.abstractmethod
    async def delete(self, digest: Digest) -> bool:
        """Remove the blob; True when something was removed."""

    @abc.abstractmethod
    def list(self) -> AsyncIterator[tuple[Digest, int, float]]:
        """Every stored blob as (digest, size, modification time) — for GC and fsck."""

    # --- uploads ---------------------------------------------------------------
    def upload_file(self, upload_id: str) -> Path | None:
        """The local file an upload's bytes live in, or None (object stores).

        A writer that produces a blob itself (a proxy fetch) fills this file directly
        after ``upload_start`` and commits it, instead of copying a file of its own in.
        """
        return None

    @abc.abstractmethod
    async def upload_start(self, upload_id: str) -> None:
        """Create an empty upload."""

    @abc.abstractmethod
    async def upload_append(
        self, upload_id: str, offset: int, chunks: AsyncIterable[bytes], on_chunk=None
    ) -> int:
        """Append the chunks at ``offset`` (the upload's current size); return the new size.

        Chunks come as the network delivers them, from one byte to megabytes each, and in
        any number. All or nothing: when ``chunks`` raises (a body that broke off, stalled
        or overran its Content-Range) the upload is left as it was at ``offset``.
        ``on_chunk`` is called with each chunk as it is written, so the caller can hash
        in the same pass. The store raises BlobUploadUnknown if the upload is gone.
        """

    @abc.abstractmethod
    async def upload_size(self, upload_id: str) -> int | None:
        """Bytes received so far, or None when the upload does not exist."""

    @abc.abstractmethod
    def upload_read(self, upload_id: str) -> AsyncIterator[bytes]:
        """Stream what was uploaded so far — to recompute a digest after a restart."""

    @abc.abstractmethod
    async def upload_commit(self, upload_id: str, digest: Digest) -> int:
        """Move a verified upload into place as ``digest``; return its size.

        Atomic: the blob is either wholly visible under its digest or not at all.
        If the blob already exists the upload is simply discarded.
        """

    @abc.abstractmethod
    async def upload_abort(self, upload_id: str) -> None:
        """Discard an upload; a missing one is not an error."""

    @abc.abstractmethod
    def list_uploads(self) -> AsyncIterator[tuple[str, float]]:
        """Every upload as (id, last modification time) — for purging stale ones."""

    async def close(self) -> None:
        """Release connections; the default has none."""
