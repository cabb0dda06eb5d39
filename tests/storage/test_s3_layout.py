"""What only the S3 backend has to get right: its key layout and part sizes."""
from __future__ import annotations

import os
from pathlib import Path

from storage.blobs import open_blob_store
from storage.blobs.s3 import MIN_PART_SIZE
from tests.storage.test_blob_store import collect, digest_of, pieces
from tests.support.services import SeaweedFS


async def test_processes_with_different_part_sizes_share_an_upload(seaweedfs: SeaweedFS, tmp_path: Path):
    settings = seaweedfs.s3_settings()
    first = await open_blob_store({"driver": "s3", "s3": {**settings, "part_size": MIN_PART_SIZE + 1000}}, tmp_path)
    second = await open_blob_store({"driver": "s3", "s3": {**settings, "part_size": MIN_PART_SIZE}}, tmp_path)
    try:
        data = os.urandom(3 * MIN_PART_SIZE)
        await first.upload_start("upload-mixed")
        size = await first.upload_append("upload-mixed", 0, pieces(data[:MIN_PART_SIZE + 500]))
        size = await second.upload_append("upload-mixed", size, pieces(data[size:2 * MIN_PART_SIZE]))
        size = await first.upload_append("upload-mixed", size, pieces(data[size:]))
        assert await collect(second.upload_read("upload-mixed")) == data
        assert await second.upload_commit("upload-mixed", digest_of(data)) == len(data)
        assert await collect(first.read(digest_of(data))) == data
    finally:
        await first.close()
        await second.close()


async def test_blob_keys_follow_the_documented_layout(seaweedfs: SeaweedFS, tmp_path: Path):
    settings = seaweedfs.s3_settings(prefix="/layout-test/")
    store = await open_blob_store({"driver": "s3", "s3": settings}, tmp_path)
    try:
        digest = digest_of(b"layout")
        await store.put_bytes(digest, b"layout")
        head = await store.client.head_object(
            Bucket=settings["bucket"], Key=f"layout-test/blobs/sha256/{digest.hex[:2]}/{digest.hex}")
        assert head["ContentLength"] == 6
    finally:
        await store.delete(digest_of(b"layout"))
        await store.close()
