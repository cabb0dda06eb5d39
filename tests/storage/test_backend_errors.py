"""Backends that cannot be reached fail at start with a message that says why, never later."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from storage.blobs import open_blob_store
from storage.meta import open_meta_store
from tests.support.server import free_port
from tests.support.services import Postgres, SeaweedFS


async def test_wrong_postgres_password(postgres: Postgres, tmp_path: Path):
    with pytest.raises(ConnectionError, match="password authentication failed") as caught:
        await open_meta_store({"driver": "postgres", "dsn": postgres.dsn(password="wrong")}, tmp_path)
    assert "wrong" not in str(caught.value)  # the password is never echoed


async def test_postgres_not_listening(tmp_path: Path):
    dsn = f"postgresql://berth:secret@127.0.0.1:{free_port()}/berth"
    with pytest.raises(ConnectionError, match="cannot connect to postgresql://berth:\\*\\*\\*@127.0.0.1"):
        await open_meta_store({"driver": "postgres", "dsn": dsn}, tmp_path)


async def test_empty_dsn(tmp_path: Path):
    with pytest.raises(ValueError, match="database.dsn is empty"):
        await open_meta_store({"driver": "postgres", "dsn": ""}, tmp_path)


async def test_s3_endpoint_not_listening(tmp_path: Path, seaweedfs: SeaweedFS):
    settings = seaweedfs.s3_settings(endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionError, match="cannot reach it"):
        await open_blob_store({"driver": "s3", "s3": settings}, tmp_path)


async def test_s3_wrong_secret(tmp_path: Path, seaweedfs: SeaweedFS):
    settings = seaweedfs.s3_settings(secret_key="wrong-secret")
    with pytest.raises(ConnectionError, match="storage.s3: bucket"):
        await open_blob_store({"driver": "s3", "s3": settings}, tmp_path)


@pytest.mark.parametrize("change,message", [({"bucket": ""}, "bucket is empty"),
                                            ({"part_size": 1024}, "part_size must be at least")])
async def test_s3_settings_are_checked(tmp_path: Path, seaweedfs: SeaweedFS, change: dict, message: str):
    with pytest.raises(ValueError, match=message):
        await open_blob_store({"driver": "s3", "s3": seaweedfs.s3_settings(**change)}, tmp_path)


async def test_a_missing_bucket_is_created(tmp_path: Path, seaweedfs: SeaweedFS):
    bucket = f"berth-new-{uuid.uuid4().hex[:8]}"
    store = await open_blob_store({"driver": "s3", "s3": seaweedfs.s3_settings(bucket=bucket)}, tmp_path)
    try:
        await store.upload_start("upload-in-new-bucket")
        assert await store.upload_size("upload-in-new-bucket") == 0
    finally:
        await store.upload_abort("upload-in-new-bucket")
        await store.close()
