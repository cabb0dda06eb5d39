"""The BlobStore conformance suite: every backend must pass every test here."""
from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
from collections.abc import AsyncIterator

import pytest

from registry.oci.digest import Digest
from storage.blobs import BlobStore, BlobUploadUnknown
from tests.storage.conftest import PART_SIZE


def digest_of(data: bytes) -> Digest:
    return Digest.parse("sha256:" + hashlib.sha256(data).hexdigest())


async def pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def upload(blobs: BlobStore, upload_id: str, data: bytes) -> int:
    await blobs.upload_start(upload_id)
    return await blobs.upload_append(upload_id, 0, pieces(data))


# --- committed blobs -------------------------------------------------------------


async def test_put_get_stat_and_rewrite_is_a_no_op(blobs: BlobStore):
    data = os.urandom(1000)
    digest = digest_of(data)
    await blobs.put_bytes(digest, data)
    await blobs.put_bytes(digest, data)
    assert await blobs.stat(digest) == 1000
    assert await blobs.get_bytes(digest) == data


async def test_missing_blob(blobs: BlobStore):
    digest = digest_of(b"never stored")
    assert await blobs.stat(digest) is None
    assert await blobs.get_bytes(digest) is None
    assert await blobs.delete(digest) is False


@pytest.mark.parametrize("start,end", [(0, None), (0, 0), (1, 1), (10, None), (100, 2 * 1024 * 1024),
                                       (3 * 1024 * 1024 - 1, None), (5, 3 * 1024 * 1024 - 1)])
async def test_read_ranges(blobs: BlobStore, start: int, end: int | None):
    data = os.urandom(3 * 1024 * 1024)
    digest = digest_of(data)
    await blobs.put_bytes(digest, data)
    expected = data[start:] if end is None else data[start:end + 1]
    assert await collect(blobs.read(digest, start, end)) == expected


async def test_delete(blobs: BlobStore):
    data = os.urandom(100)
    digest = digest_of(data)
    await blobs.put_bytes(digest, data)
    assert await blobs.delete(digest) is True
    assert await blobs.stat(digest) is None
    assert await blobs.delete(digest) is False


async def test_list_names_every_blob_with_size_and_time(blobs: BlobStore):
    stored = {}
    for data in (os.urandom(10), os.urandom(20), b""):
        await blobs.put_bytes(digest_of(data), data)
        stored[digest_of(data)] = len(data)
    listed = {digest: (size, mtime) async for digest, size, mtime in blobs.list()}
    assert {d: s for d, (s, _) in listed.items()} == stored
    assert all(abs(mtime - time.time()) < 600 for _, mtime in listed.values())


# --- uploads -------------------------------------------------------------------


async def test_upload_in_chunks_across_part_boundaries(blobs: BlobStore):
    data = os.urandom(2 * PART_SIZE + 12345)
    seen = bytearray()
    await blobs.upload_start("upload-chunks")
    assert await blobs.upload_size("upload-chunks") == 0
    cuts = [0, 1000, PART_SIZE - 10, PART_SIZE + 5, 2 * PART_SIZE, len(data)]
    for start, end in zip(cuts, cuts[1:]):
        size = await blobs.upload_append("upload-chunks", start, pieces(data[start:end], 100_000), seen.extend)
        assert size == end
        assert await blobs.upload_size("upload-chunks") == end
    assert bytes(seen) == data
    assert await collect(blobs.upload_read("upload-chunks")) == data
    digest = digest_of(data)
    assert await blobs.upload_commit("upload-chunks", digest) == len(data)
    assert await blobs.get_bytes(digest) == data
    assert await blobs.upload_size("upload-chunks") is None


@pytest.mark.parametrize("piece_size, count", [(1, 5000), (5, 3000), (7, 1025), (4096, 1500)])
async def test_upload_in_many_tiny_pieces(blobs: BlobStore, piece_size: int, count: int):
    """Bodies arrive in as many pieces as the network makes: more than writev takes at once."""
    data = os.urandom(piece_size * count + 3)
    upload_id = f"upload-tiny-{piece_size}"
    await blobs.upload_start(upload_id)
    assert await blobs.upload_append(upload_id, 0, pieces(data, piece_size)) == len(data)
    assert await blobs.upload_size(upload_id) == len(data)
    await blobs.upload_commit(upload_id, digest_of(data))
    assert await collect(blobs.read(digest_of(data))) == data


async def test_upload_in_pieces_of_random_sizes(blobs: BlobStore):
    generator = random.Random(7)
    data = os.urandom(300_000)

    async def random_pieces() -> AsyncIterator[bytes]:
        position = 0
        while position < len(data):
            size = generator.choice([1, 2, 3, 100, 1500, 65536])
            yield data[position:position + size]
            position += size

    await blobs.upload_start("upload-random")
    assert await blobs.upload_append("upload-random", 0, random_pieces()) == len(data)
    await blobs.upload_commit("upload-random", digest_of(data))
    assert await collect(blobs.read(digest_of(data))) == data


@pytest.mark.parametrize("piece_size, length", [(3, 2 * 1024 * 1024), (256 * 1024, PART_SIZE + 1000)])
async def test_a_body_that_breaks_off_leaves_the_upload_as_it_was(blobs: BlobStore, piece_size: int, length: int):
    """All or nothing: long enough that every backend has written some of it before the break."""
    upload_id = f"upload-broken-{piece_size}"
    first, rest = os.urandom(1000), os.urandom(500)
    await upload(blobs, upload_id, first)

    async def breaks_off() -> AsyncIterator[bytes]:
        async for piece in pieces(os.urandom(length), piece_size):
            yield piece
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await blobs.upload_append(upload_id, len(first), breaks_off())
    assert await blobs.upload_size(upload_id) == len(first)
    assert await collect(blobs.upload_read(upload_id)) == first
    assert await blobs.upload_append(upload_id, len(first), pieces(rest)) == len(first) + len(rest)
    await blobs.upload_commit(upload_id, digest_of(first + rest))
    assert await collect(blobs.read(digest_of(first + rest))) == first + rest


async def test_upload_is_invisible_until_commit(blobs: BlobStore):
    data = os.urandom(5000)
    digest = digest_of(data)
    await upload(blobs, "upload-hidden", data)
    assert await blobs.stat(digest) is None
    assert digest not in [d async for d, _, _ in blobs.list()]
    await blobs.upload_commit("upload-hidden", digest)
    assert await blobs.stat(digest) == 5000


async def test_append_at_an_earlier_offset_replaces_the_rest(blobs: BlobStore):
    data = os.urandom(PART_SIZE + 5000)
    await upload(blobs, "upload-redo", data)
    for offset in (PART_SIZE + 100, 7):  # inside the last part, then inside the first
        size = await blobs.upload_append("upload-redo", offset, pieces(data[offset:]))
        assert size == len(data)
    assert await collect(blobs.upload_read("upload-redo")) == data
    await blobs.upload_commit("upload-redo", digest_of(data))
    assert await collect(blobs.read(digest_of(data))) == data


async def test_commit_of_an_existing_blob_discards_the_upload(blobs: BlobStore):
    data = os.urandom(3000)
    digest = digest_of(data)
    await blobs.put_bytes(digest, data)
    await upload(blobs, "upload-again", data)
    assert await blobs.upload_commit("upload-again", digest) == 3000
    assert await blobs.upload_size("upload-again") is None
    assert await blobs.get_bytes(digest) == data


async def test_empty_upload_commits_an_empty_blob(blobs: BlobStore):
    digest = digest_of(b"")
    await blobs.upload_start("upload-empty")
    assert await blobs.upload_append("upload-empty", 0, pieces(b"")) == 0
    assert await blobs.upload_commit("upload-empty", digest) == 0
    assert await blobs.stat(digest) == 0
    assert await blobs.get_bytes(digest) == b""


async def test_abort(blobs: BlobStore):
    await upload(blobs, "upload-abort", os.urandom(PART_SIZE + 1))
    await blobs.upload_abort("upload-abort")
    assert await blobs.upload_size("upload-abort") is None
    assert "upload-abort" not in [u async for u, _ in blobs.list_uploads()]
    await blobs.upload_abort("upload-abort")  # a missing upload is not an error


async def test_list_uploads(blobs: BlobStore):
    await upload(blobs, "upload-listed-1", b"x")
    await blobs.upload_start("upload-listed-2")
    listed = {u: mtime async for u, mtime in blobs.list_uploads()}
    assert {"upload-listed-1", "upload-listed-2"} <= set(listed)
    assert all(abs(listed[u] - time.time()) < 600 for u in ("upload-listed-1", "upload-listed-2"))


async def test_unknown_upload(blobs: BlobStore):
    assert await blobs.upload_size("upload-nothing") is None
    with pytest.raises(BlobUploadUnknown):
        await blobs.upload_append("upload-nothing", 0, pieces(b"data"))
    with pytest.raises(BlobUploadUnknown):
        await collect(blobs.upload_read("upload-nothing"))
    with pytest.raises(BlobUploadUnknown):
        await blobs.upload_commit("upload-nothing", digest_of(b""))


@pytest.mark.parametrize("upload_id", ["../../blobs", "a/b/c/d/e/f", "short", "x" * 65, "upload id with spaces"])
async def test_hostile_upload_ids_name_no_upload(blobs: BlobStore, upload_id: str):
    assert await blobs.upload_size(upload_id) is None
    with pytest.raises(BlobUploadUnknown):
        await blobs.upload_append(upload_id, 0, pieces(b"data"))
    await blobs.upload_abort(upload_id)


async def test_another_instance_continues_and_finishes_an_upload(blob_backend):
    """What a second Berth process sees: nothing of the upload lives in the first one's memory."""
    first, second = await blob_backend(), await blob_backend()
    data = os.urandom(PART_SIZE + 777)
    await first.upload_start("upload-shared")
    size = await first.upload_append("upload-shared", 0, pieces(data[:1000]))
    assert await second.upload_size("upload-shared") == size
    size = await second.upload_append("upload-shared", size, pieces(data[1000:]))
    assert await collect(first.upload_read("upload-shared")) == data
    assert await first.upload_commit("upload-shared", digest_of(data)) == len(data)
    assert await second.get_bytes(digest_of(data)) == data


async def test_concurrent_commits_of_the_same_blob(blob_backend):
    stores = [await blob_backend() for _ in range(3)]
    data = os.urandom(PART_SIZE + 99)
    digest = digest_of(data)
    for i, store in enumerate(stores):
        await upload(store, f"upload-race-{i}", data)
    sizes = await asyncio.gather(*(s.upload_commit(f"upload-race-{i}", digest) for i, s in enumerate(stores)))
    assert sizes == [len(data)] * 3
    assert await collect(stores[0].read(digest)) == data
    assert [u async for u, _ in stores[0].list_uploads() if u.startswith("upload-race")] == []
