"""Every storage backend behind one pair of fixtures, so the same tests check them all.

``blob_backend`` / ``meta_backend`` open a store over shared storage; calling them
twice gives two independent stores over the same bytes or rows — what two Berth
processes see.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from storage.blobs import BlobStore, open_blob_store
from storage.blobs.s3 import MIN_PART_SIZE
from storage.meta import MetaStore, open_meta_store
from tests.support.services import postgres, seaweedfs  # noqa: F401  (session fixtures)

T = TypeVar("T")

# The smallest part S3 allows, so the tests cross part boundaries with little data.
PART_SIZE = MIN_PART_SIZE


@asynccontextmanager
async def _opener(open_store: Callable[[dict, Path], Awaitable[T]], section: dict,
                  tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[T]]]:
    """A factory for stores on one backend (tests open several); all are closed afterwards."""
    opened: list = []

    async def open_one() -> T:
        store = await open_store(section, tmp_path)
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            await store.close()


@pytest.fixture(params=["filesystem", "s3"])
async def blob_backend(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "filesystem":
        section = {"driver": "filesystem", "root": str(tmp_path / "blobs")}
    else:
        section = {"driver": "s3", "s3": request.getfixturevalue("seaweedfs").s3_settings(part_size=PART_SIZE)}
    async with _opener(open_blob_store, section, tmp_path) as open_store:
        yield open_store


@pytest.fixture
async def blobs(blob_backend) -> BlobStore:
    return await blob_backend()


@pytest.fixture(params=["sqlite", "postgres"])
async def meta_backend(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        section = {"driver": "sqlite", "path": str(tmp_path / "berth.db")}
    else:
        section = {"driver": "postgres", "dsn": request.getfixturevalue("postgres").create_database()}
    async with _opener(open_meta_store, section, tmp_path) as open_store:
        yield open_store


@pytest.fixture
async def meta(meta_backend) -> MetaStore:
    return await meta_backend()
