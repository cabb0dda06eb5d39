"""What each blob store says about its size: the filesystem its volume's, an object store
nothing (it has no fixed size that Berth could know)."""
from __future__ import annotations

from storage.blobs.filesystem import FilesystemBlobStore


async def test_capacity_is_the_volume_or_nothing(blobs):
    capacity = await blobs.capacity()
    if isinstance(blobs, FilesystemBlobStore):
        total, free = capacity
        assert total >= free > 0
    else:
        assert capacity is None
