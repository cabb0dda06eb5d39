"""Downloading one blob into the content store: streamed, verified, resumable.

Bytes are streamed to a partial file, which is hashed once complete (so resumed
downloads are verified whole). A download cut short is resumed with ``Range`` from
what is on disk, or restarted when the registry ignores the range. Content that
exceeds the descriptor's size or hashes to another digest is deleted and reported;
only verified content is moved into the image layout.
"""
from __future__ import annotations

import asyncio
import os
from typing import Callable

import aiofiles
import aiohttp

from registry.agent.client import RegistryClient
from registry.agent.errors import BlobVerificationError, PullError
from registry.agent.store import ContentStore
from registry.oci.digest import Digest, new_hasher
from registry.oci.manifest import Descriptor

CHUNK = 1 << 20
ATTEMPTS = 3
_STREAM_ERRORS = (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, asyncio.TimeoutError)

Report = Callable[[str, int, int], None]  # status, current, total


def _file_digest(path: str, algorithm: str) -> str:
    hasher = new_hasher(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return f"{algorithm}:{hasher.hexdigest()}"


async def fetch_blob(client: RegistryClient, store: ContentStore, descriptor: Descriptor,
                     report: Report) -> bool:
    """Make the blob present in ``store``; return False when it already was."""
    digest, size = descriptor.digest, descriptor.size
    if store.has_blob(digest, size):
        report("Already exists", size, size)
        return False
    partial = str(store.partial_path(digest))
    report("Pulling fs layer", 0, size)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await _download(client, partial, digest, size, report)
            break
        except _STREAM_ERRORS as exc:
            if attempt == ATTEMPTS:
                raise PullError(f"failed to download {digest}: {exc or type(exc).__name__}") from None
    report("Verifying Checksum", size, size)
    actual = await asyncio.to_thread(_file_digest, partial, Digest.parse(digest).algorithm)
    if actual != digest:
        os.unlink(partial)
        raise BlobVerificationError(f'failed commit on ref "layer-{digest}": unexpected commit digest '
                                    f"{actual}, expected {digest}: failed precondition")
    await asyncio.to_thread(store.commit_partial, digest)
    report("Download complete", size, size)
    return True


async def _download(client: RegistryClient, partial: str, digest: str, size: int, report: Report) -> None:
    """Fetch what is missing of ``partial``; stream errors propagate so the caller can resume."""
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    if offset >= size:
        if offset == size:
            return
        offset = 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    response = await client.request("GET", f"blobs/{digest}", headers)
    async with response:
        resumed = response.status == 206 and response.headers.get("Content-Range", "").startswith(f"bytes {offset}-")
        if not resumed:
            offset = 0
        written, too_large = offset, False
        async with aiofiles.open(partial, "ab" if resumed else "wb") as handle:
            async for chunk in response.content.iter_chunked(CHUNK):
                written += len(chunk)
                if written > size:
                    too_large = True
                    break
                await handle.write(chunk)
                report("Downloading", written, size)
    if too_large:
        os.unlink(partial)
        raise BlobVerificationError(f"blob {digest} is larger than the {size} bytes its descriptor states")
    if written < size:
        raise aiohttp.ClientPayloadError(f"connection closed after {written} of {size} bytes")
