"""Choose the blob backend named by the ``storage`` section of the configuration."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.blobs.base import BlobStore


async def open_blob_store(section: dict[str, Any], data_dir: Path) -> BlobStore:
    kind = section.get("driver", "filesystem")
    if kind == "filesystem":
        from storage.blobs.filesystem import FilesystemBlobStore

        root = Path(section.get("root") or data_dir)
        return FilesystemBlobStore(root, fsync=bool(section.get("fsync", True)))
    if kind == "s3":
        from storage.blobs.s3 import S3BlobStore

        return await S3BlobStore.connect(section.get("s3") or {})
    raise ValueError(f"storage.driver: unknown driver {kind!r} (filesystem or s3)")
