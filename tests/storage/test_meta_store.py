"""The MetaStore conformance suite: SQLite and PostgreSQL must answer every query alike."""
from __future__ import annotations

import asyncio
import time

import pytest

from storage.meta import MetaStore
from storage.meta.migrations import MIGRATIONS
from storage.meta.records import ManifestRecord, ManifestReference, PullEvent

REPO = "library/app"
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha(n: int) -> str:
    return f"sha256:{n:064x}"


def manifest(digest: str, repo: str = REPO, subject: str | None = None, refs=(), media_type: str = MANIFEST,
             artifact_type: str | None = None) -> ManifestRecord:
    return ManifestRecord(repo=repo, digest=digest, media_type=media_type, size=500, artifact_type=artifact_type,
                          subject=subject, config_digest=sha(999), annotations='{"a": "b"}',
                          references=[ManifestReference(*r) for r in refs])


# --- migrations ------------------------------------------------------------------


async def test_migrations_are_idempotent_and_safe_to_run_together(meta_backend):
    newest = MIGRATIONS[-1][0]
    first = await meta_backend()
    assert await first.migrate() == newest
    others = [await meta_backend() for _ in range(3)]
    assert await asyncio.gather(*(m.migrate() for m in others)) == [newest] * 3
    rows = await first.db.fetchall("SELECT version FROM schema_version ORDER BY version")
    assert [r[0] for r in rows] == [v for v, _ in MIGRATIONS]


async def test_a_failed_transaction_leaves_nothing(meta: MetaStore):
    with pytest.raises(RuntimeError):
        async with meta.db.transaction() as tx:
            await meta.ensure_repository(tx, REPO, "library", time.time())
            raise RuntimeError("boom")
    assert await meta.repository(REPO) is None


# --- repositories and blob links --------------------------------------------------


async def test_repositories(meta: MetaStore):
    for name in ("library/b", "library/a", "team/c"):
        await meta.link_blob(name, name.split("/")[0], sha(1), 10)
    record = await meta.repository("library/a")
    assert (record.name, record.project, record.pull_count) == ("library/a", "library", 0)
    assert record.created <= record.updated
    assert await meta.repository("library/none") is None
    assert await meta.repository_names() == ["library/a", "library/b", "team/c"]
    assert await meta.repository_names(last="library/a", limit=1) == ["library/b"]
    assert await meta.delete_repository("library/a") is True
    assert await meta.delete_repository("library/a") is False
    assert await meta.linked_size("library/a", sha(1)) is None
    assert await meta.repository_names() == ["library/b", "team/c"]


async def test_blob_links(meta: MetaStore):
    await meta.link_blob(REPO, "library", sha(1), 10)
    await meta.link_blob(REPO, "library", sha(1), 10)  # idempotent
    await meta.link_blob(REPO, "library", sha(2), 20)
    assert await meta.linked_size(REPO, sha(1)) == 10
    assert await meta.linked_size("library/other", sha(1)) is None
    assert await meta.linked_sizes(REPO, [sha(1), sha(2), sha(3), sha(1)]) == {sha(1): 10, sha(2): 20}
    assert await meta.linked_sizes(REPO, []) == {}
    assert await meta.is_blob_referenced(sha(1)) is True
    assert await meta.unlink_blob(REPO, sha(1)) is True
    assert await meta.unlink_blob(REPO, sha(1)) is False
    assert await meta.is_blob_referenced(sha(1)) is False


# --- manifests, tags, referrers ---------------------------------------------------------


async def test_manifests_with_references_and_tags(meta: MetaStore):
    image = manifest(sha(10), refs=[(sha(1), "blob", 10), (sha(2), "blob", 20)])
    index = manifest(sha(11), media_type=INDEX, refs=[(sha(10), "manifest", 500)])
    await meta.put_manifest(image, "library", ["v1"])
    await meta.put_manifest(image, "library", ["v1"])  # idempotent
    await meta.put_manifest(index, "library", ["latest", "stable"])
    stored = await meta.manifest(REPO, sha(10))
    assert (stored.media_type, stored.size, stored.config_digest, stored.annotations, stored.pull_count) == (
        MANIFEST, 500, sha(999), '{"a": "b"}', 0)
    assert await meta.manifest("library/other", sha(10)) is None
    assert await meta.manifest_references(REPO, sha(10)) == [
        ManifestReference(sha(1), "blob", 10), ManifestReference(sha(2), "blob", 20)]
    assert await meta.existing_manifests(REPO, [sha(10), sha(11), sha(12)]) == {sha(10), sha(11)}
    assert await meta.existing_manifests(REPO, []) == set()
    assert {m.digest for m in await meta.manifests(REPO)} == {sha(10), sha(11)}
    assert await meta.parents_of(REPO, sha(10)) == [sha(11)]
    assert await meta.linked_size(REPO, sha(10)) == 500  # a manifest is linked as a blob too
    assert await meta.resolve_tag(REPO, "latest") == sha(11)
    assert await meta.tags(REPO) == ["latest", "stable", "v1"]
    by_digest = await meta.tags_by_digest(REPO)
    assert [t[0] for t in by_digest[sha(11)]] == ["latest", "stable"]
    assert [t[0] for t in by_digest[sha(10)]] == ["v1"]


async def test_referrers(meta: MetaStore):
    await meta.put_manifest(manifest(sha(10)), "library", [])
    await meta.put_manifest(manifest(sha(21), subject=sha(10), artifact_type="application/sig"), "library", [])
    await meta.put_manifest(manifest(sha(20), subject=sha(10), artifact_type="application/sbom"), "library", [])
    await meta.put_manifest(manifest(sha(22), repo="library/other", subject=sha(10)), "library", [])
    referrers = await meta.referrers(REPO, sha(10))
    assert [(r.digest, r.artifact_type) for r in referrers] == [
        (sha(20), "application/sbom"), (sha(21), "application/sig")]
    assert await meta.referrers(REPO, sha(20)) == []


async def test_delete_manifest_removes_its_tags_references_and_link(meta: MetaStore):
    await meta.put_manifest(manifest(sha(10), refs=[(sha(1), "blob", 10)]), "library", ["v1", "v2"])
    await meta.put_manifest(manifest(sha(11)), "library", ["v3"])
    assert await meta.delete_manifest(REPO, sha(10)) is True
    assert await meta.delete_manifest(REPO, sha(10)) is False
    assert await meta.manifest(REPO, sha(10)) is None
    assert await meta.manifest_references(REPO, sha(10)) == []
    assert await meta.linked_size(REPO, sha(10)) is None
    assert await meta.tags(REPO) == ["v3"]


async def test_tags_paginate_move_and_delete(meta: MetaStore):
    await meta.put_manifest(manifest(sha(10)), "library", [f"t{i}" for i in range(5)])
    assert await meta.tags(REPO, last="t1", limit=2) == ["t2", "t3"]
    assert await meta.tags(REPO, last="t3") == ["t4"]
    await meta.put_manifest(manifest(sha(11)), "library", ["t0"])
    assert await meta.resolve_tag(REPO, "t0") == sha(11)
    assert await meta.delete_tag(REPO, "t0") is True
    assert await meta.delete_tag(REPO, "t0") is False
    assert await meta.resolve_tag(REPO, "t0") is None
    assert await meta.tags("library/none") == []


async def test_concurrent_writers_of_one_tag_leave_one_consistent_answer(meta_backend):
    stores = [await meta_backend() for _ in range(4)]
    digests = [sha(100 + i) for i in range(8)]
    await asyncio.gather(*(
        stores[i % 4].put_manifest(manifest(d, refs=[(sha(1), "blob", 10)]), "library", ["latest"])
        for i, d in enumerate(digests)
    ))
    assert await stores[0].resolve_tag(REPO, "latest") in digests
    assert await stores[0].tags(REPO) == ["latest"]
    assert await stores[0].existing_manifests(REPO, digests) == set(digests)


# --- uploads --------------------------------------------------------------------


async def test_upload_sessions(meta: MetaStore):
    await meta.create_upload("u-1", REPO, "10.0.0.1")
    await meta.create_upload("u-2", REPO, "10.0.0.1")
    await meta.create_upload("u-3", "library/other", None)
    record = await meta.upload("u-1")
    assert (record.id, record.repo, record.client) == ("u-1", REPO, "10.0.0.1")
    assert await meta.upload("u-none") is None
    assert await meta.count_uploads("10.0.0.1") == 2
    cutoff = time.time() + 1
    assert set(await meta.stale_uploads(cutoff)) == {"u-1", "u-2", "u-3"}
    await asyncio.sleep(0.01)
    await meta.touch_upload("u-1")
    touched = (await meta.upload("u-1")).updated
    assert touched > record.updated
    assert set(await meta.stale_uploads(touched)) == {"u-2", "u-3"}
    assert await meta.delete_upload("u-2") is True
    assert await meta.delete_upload("u-2") is False
    assert await meta.count_uploads("10.0.0.1") == 1


# --- pull counters --------------------------------------------------------------------


async def test_pulls_from_several_writers_add_up(meta_backend):
    stores = [await meta_backend() for _ in range(3)]
    await stores[0].put_manifest(manifest(sha(10)), "library", ["v1"])
    await stores[0].put_manifest(manifest(sha(11)), "library", [])

    def events(n: int) -> list[PullEvent]:
        return [PullEvent(REPO, sha(10), n, 1000.0 + n, {"v1": 1000.0 + n}), PullEvent(REPO, sha(11), 1, 5.0)]

    await asyncio.gather(*(s.add_pulls(events(n)) for s in stores for n in (1, 2, 3)))
    await stores[0].add_pulls([])
    assert (await stores[0].repository(REPO)).pull_count == 3 * (1 + 2 + 3) + 9
    pulled = await stores[0].manifest(REPO, sha(10))
    assert (pulled.pull_count, pulled.pull_time) == (18, 1003.0)
    assert (await stores[0].manifest(REPO, sha(11))).pull_count == 9
    assert (await stores[0].tags_by_digest(REPO))[sha(10)][0][2] in (1001.0, 1002.0, 1003.0)
