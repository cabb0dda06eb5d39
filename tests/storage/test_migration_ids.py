"""Databases made before repositories and artifacts had ids migrate with ids backfilled
in creation order, keep every row, and give new rows the next ids."""
from __future__ import annotations

import time

import pytest

from storage.meta import migrations
from storage.meta.listing import Listing
from storage.meta.records import ManifestRecord


async def test_existing_rows_get_ids_in_creation_order(meta_backend, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] <= 8])
        old = await meta_backend()  # opened, so migrated, as a release before ids would have
        assert await old.schema_versions() == list(range(1, 9))
    for n, name in enumerate(("library/b", "library/a")):
        await old.db.execute("INSERT INTO repositories (name, project, created, updated, pull_count)"
                             " VALUES (?, 'library', ?, ?, ?)", name, 100.0 + n, 100.0 + n, 7)
        await old.db.execute("INSERT INTO manifests (repo, digest, media_type, size, created)"
                             " VALUES (?, ?, 'application/vnd.oci.image.manifest.v1+json', 10, ?)",
                             name, f"sha256:{n:064x}", 100.0 + n)
    assert await old.migrate() == migrations.MIGRATIONS[-1][0]

    first, second = await old.repositories.get("library/b"), await old.repositories.get("library/a")
    assert (first.id, second.id) == (1, 2)
    assert (first.pull_count, first.description) == (7, "")
    assert (await old.manifests.get("library/a", f"sha256:{1:064x}")).id == 2
    found, total = await old.catalog.repositories("library", Listing())
    assert total == 2 and [r.id for r in found] == [2, 1]  # ordered by name

    await old.manifests.put(ManifestRecord(repo="library/c", digest=f"sha256:{9:064x}",
                                           media_type="application/vnd.oci.image.manifest.v1+json", size=1),
                            "library", ["v1"])
    assert (await old.repositories.get("library/c")).id == 3
    assert (await old.manifests.get("library/c", f"sha256:{9:064x}")).id == 3
    assert time.time() >= (await old.repositories.get("library/c")).created
