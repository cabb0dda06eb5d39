"""Blob rules: a blob is readable in a repository only when linked to it.

Knowing a digest is not access. Every read goes through ``linked_size``, so a
layer pushed to a private repository cannot be fetched through a public one.
"""
from __future__ import annotations

from registry.oci.digest import Digest
from registry.core.errors import blob_unknown
from registry.core.links import BlobLinks
from storage.blobs.base import BlobStore
from storage.meta.store import MetaStore


class BlobService:
    def __init__(self, meta: MetaStore, blobs: BlobStore, links: BlobLinks) -> None:
        self.meta = meta
        self.blobs = blobs
        self.links = links

    async def size_in(self, repo: str, digest: Digest) -> int:
        """The blob's size if it is readable in ``repo``; BLOB_UNKNOWN otherwise."""
        size = await self.meta.blob_links.size(repo, str(digest))
        if size is None or await self.blobs.stat(digest) is None:
            raise blob_unknown(str(digest))
        return size

    async def mount(self, repo: str, digest: Digest, source: str) -> bool:
        """Link a blob readable in ``source`` into ``repo``; False when it is not there."""
        size = await self.meta.blob_links.size(source, str(digest))
        if size is None or await self.blobs.stat(digest) is None:
            return False
        return await self.links.link(repo, str(digest), size)  # False when collected: upload it instead

    async def unlink(self, repo: str, digest: Digest) -> None:
        """Remove the blob from ``repo``; the bytes stay until GC finds them unreferenced."""
        if not await self.meta.blob_links.unlink(repo, str(digest)):
            raise blob_unknown(str(digest))
