"""Blob rules: a blob is readable in a repository only when linked to it.

Knowing a digest is not access. Every read goes through ``linked_size``, so a
layer pushed to a private repository cannot be fetched through a public one.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from registry.oci.digest import Digest
from registry.core.errors import blob_unknown
from registry.core.links import BlobLinks
from storage.blobs.base import BlobStore
from storage.meta.store import MetaStore

if TYPE_CHECKING:
    from registry.core.proxy import ProxyCache
    from registry.core.proxy_projects import ProxyProjects


class ByteSource(Protocol):
    def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True, slots=True)
class BlobBody:
    """Where a readable blob's bytes come from, so that the handler sends them the fastest way.

    A local file is sent with sendfile (``path``); a store that can hand out a signed URL
    lets the client fetch it directly (``redirect``); anything else is streamed through
    ``chunks`` (from the store, or from a proxy cache's fetch in flight). Core decides
    which, so everything that must see a blob read has one place.
    """

    digest: Digest
    size: int
    path: Path | None
    redirect: str | None
    _store: ByteSource

    def chunks(self, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes from ``start`` to ``end`` inclusive, as the store delivers them."""
        return self._store.read(self.digest, start, end)


class BlobService:
    def __init__(self, meta: MetaStore, store: BlobStore, links: BlobLinks) -> None:
        self.meta = meta
        self.store = store
        self.links = links
        # Misses in proxy-cache projects go to the proxy cache (set by the wiring).
        self.proxy: ProxyCache | None = None
        self.proxies: ProxyProjects | None = links.proxies

    async def volumes(self) -> list[tuple[int, int]]:
        """(total, free) bytes of each volume blobs are kept on: none for an object store,
        which has no size to run out of that Berth could know."""
        capacity = await self.store.capacity()
        return [] if capacity is None else [capacity]

    async def _upstream(self, repo: str):
        """The endpoint behind ``repo`` when it is in a proxy-cache project and the proxy is on."""
        if self.proxy is None or self.proxies is None:
            return None
        return await self.proxies.endpoint_of(repo)

    async def _linked_size(self, repo: str, digest: Digest) -> int | None:
        size = await self.meta.blob_links.size(repo, str(digest))
        if size is None or await self.store.stat(digest) is None:
            return None
        return size

    async def size_in(self, repo: str, digest: Digest) -> int:
        """The blob's size if it is readable in ``repo`` (or its upstream); BLOB_UNKNOWN otherwise."""
        size = await self._linked_size(repo, digest)
        if size is None:
            endpoint = await self._upstream(repo)
            if endpoint is None or self.proxy is None:
                raise blob_unknown(str(digest))
            size = await self.proxy.blob_size(endpoint, repo, digest)
        return size

    async def open(self, repo: str, digest: Digest) -> BlobBody:
        """A readable blob's body source; BLOB_UNKNOWN when ``repo`` may not read it."""
        size = await self._linked_size(repo, digest)
        if size is None:
            endpoint = await self._upstream(repo)
            if endpoint is None or self.proxy is None:
                raise blob_unknown(str(digest))
            return await self.proxy.blob(endpoint, repo, digest)
        redirect = await self.store.redirect_url(digest)
        path = None if redirect is not None else self.store.local_path(digest)
        return BlobBody(digest, size, path, redirect, self.store)

    async def mount(self, repo: str, digest: Digest, source: str) -> bool:
        """Link a blob readable in ``source`` into ``repo``; False when it is not there."""
        await self.links.refuse_push(repo)
        size = await self.meta.blob_links.size(source, str(digest))
        if size is None or await self.store.stat(digest) is None:
            return False
        return await self.links.link(repo, str(digest), size)  # False when collected: upload it instead

    async def unlink(self, repo: str, digest: Digest) -> None:
        """Remove the blob from ``repo``; the bytes stay until GC finds them unreferenced."""
        if not await self.meta.blob_links.unlink(repo, str(digest)):
            raise blob_unknown(str(digest))
