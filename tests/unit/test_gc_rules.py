"""The GC dry run and the real run decide by the same rules, so they choose the same
manifests and blobs — with indexes, referrers, shared layers and blobs linked again."""
from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from registry.core.gc import GarbageCollector, Replay
from registry.core.references import orphaned_blobs, untagged_garbage
from registry.oci import mediatypes as mt
from registry.oci.digest import digest_of
from storage.blobs import BlobStore, open_blob_store
from storage.meta import MetaStore, open_meta_store
from storage.meta.records import BlobChild, ManifestHolds, ManifestRecord, ManifestReference

APP, OTHER = "library/app", "library/other"


def test_orphaned_blobs_are_those_pushed_for_the_manifest_alone():
    children = [BlobChild("only", 5.0, False), BlobChild("shared", 5.0, True), BlobChild("relinked", 11.0, False),
                BlobChild("unlinked", None, False), BlobChild("same-moment", 10.0, False)]
    assert orphaned_blobs(10.0, children) == ["only", "same-moment"]


def test_untagged_garbage_is_old_and_held_by_nothing():
    assert untagged_garbage(ManifestHolds(1.0, False, False, False), before=2.0)
    assert not untagged_garbage(ManifestHolds(2.0, False, False, False), before=2.0)
    for held in ((True, False, False), (False, True, False), (False, False, True)):
        assert not untagged_garbage(ManifestHolds(1.0, *held), before=2.0)


class _Registry:
    """Pushes straight into the stores: blobs with distinct sizes, so byte totals name them."""

    def __init__(self, meta: MetaStore, blobs: BlobStore) -> None:
        self.meta, self.blobs = meta, blobs
        self.sizes = itertools.count(1000, 37)
        self.digests: dict[str, str] = {}

    def content(self) -> bytes:
        return os.urandom(next(self.sizes))

    async def blob(self, name: str, data: bytes | None = None) -> tuple[str, int]:
        data = data if data is not None else self.content()
        digest = digest_of(data)
        await self.blobs.put_bytes(digest, data)
        self.digests[name] = str(digest)
        return str(digest), len(data)

    async def layer(self, repo: str, name: str) -> ManifestReference:
        digest, size = await self.blob(name)
        await self.relink(repo, digest, size)
        return ManifestReference(digest, "blob", size)

    async def relink(self, repo: str, digest: str, size: int) -> None:
        await asyncio.sleep(0.002)  # link times must differ from the manifests' times
        await self.meta.blob_links.link(repo, "library", digest, size)

    async def manifest(self, repo: str, name: str, refs: list[ManifestReference], tags: Sequence[str] = (),
                       subject: str | None = None, media_type: str = mt.OCI_MANIFEST,
                       body: bytes | None = None) -> ManifestReference:
        digest, size = await self.blob(name, body)
        await asyncio.sleep(0.002)
        await self.meta.manifests.put(ManifestRecord(repo, digest, media_type, size, subject=subject,
                                                     references=refs), "library", tags, check_references=True)
        return ManifestReference(digest, "manifest", size)


async def _populate(r: _Registry) -> tuple[set[str], set[str]]:
    """Build the registry; return the names of the manifests and of the other blobs GC must delete."""
    shared = await r.layer(APP, "shared")
    await r.manifest(APP, "tagged", [shared, await r.layer(APP, "tagged-layer")], ["v1"])
    cross = await r.layer(APP, "cross-repo")
    await r.manifest(OTHER, "other", [await r.layer(OTHER, "cross-repo-again")], ["v1"])
    await r.relink(OTHER, cross.digest, cross.size)
    await r.manifest(APP, "untagged", [shared, cross, await r.layer(APP, "untagged-layer")])

    children = [await r.manifest(APP, f"child{i}", [await r.layer(APP, f"child{i}-layer")]) for i in range(2)]
    await r.manifest(APP, "index", children, media_type=mt.OCI_INDEX)

    base = await r.manifest(APP, "base", [await r.layer(APP, "base-layer")], ["base"])
    await r.manifest(APP, "signature", [await r.layer(APP, "signature-layer")], subject=base.digest)
    lone = await r.manifest(APP, "lone", [await r.layer(APP, "lone-layer")])
    await r.manifest(APP, "lone-signature", [await r.layer(APP, "lone-signature-layer")], subject=lone.digest)

    relinked = await r.layer(APP, "relinked")
    await r.manifest(APP, "before-relink", [relinked])
    await r.relink(APP, relinked.digest, relinked.size)

    # Two untagged manifests name one layer that was linked again between their pushes. Whether
    # the layer goes depends on which is deleted first; the later push sorts first here, so it
    # is deleted while the other still names the layer, and the other predates the new link.
    contested = await r.layer(APP, "contested")
    late_body, early_body = sorted((r.content(), r.content()), key=lambda data: str(digest_of(data)))
    await r.manifest(APP, "early", [contested], body=early_body)
    await r.relink(APP, contested.digest, contested.size)
    await r.manifest(APP, "late", [contested], body=late_body)
    await r.blob("loose")  # never linked
    return ({"untagged", "index", "child0", "child1", "lone", "lone-signature", "before-relink", "early", "late"},
            {"untagged-layer", "child0-layer", "child1-layer", "lone-layer", "lone-signature-layer", "loose"})


async def _files(blobs: BlobStore) -> dict[str, int]:
    return {str(digest): size async for digest, size, _ in blobs.list()}


async def test_the_dry_run_and_the_run_choose_the_same_manifests_and_blobs(tmp_path: Path):
    meta = await open_meta_store({"driver": "sqlite", "path": str(tmp_path / "berth.db")}, tmp_path)
    blobs = await open_blob_store({"driver": "filesystem", "root": str(tmp_path / "blobs")}, tmp_path)
    try:
        r = _Registry(meta, blobs)
        manifests, others = await _populate(r)
        doomed = manifests | others
        names = {digest: name for name, digest in r.digests.items()}
        collector = GarbageCollector(meta, blobs)
        stored = await _files(blobs)
        replay = Replay(await meta.references.snapshot())
        replay.delete_untagged(time.time() + 60)

        dry = await collector.run(grace=-60, untagged=True, dry_run=True)
        assert await _files(blobs) == stored
        done = await collector.run(grace=-60, untagged=True)
        left = await _files(blobs)

        assert dry.manifests == done.manifests
        assert {names[m.split("@")[1]] for m in done.manifests} == manifests
        assert {names[d] for d in set(stored) - set(left)} == doomed
        assert (dry.blobs, dry.bytes) == (done.blobs, done.bytes) == (
            len(doomed), sum(stored[r.digests[name]] for name in doomed))
        assert await meta.references.referenced_among(list(stored)) == replay.referenced() & set(stored)
        assert await meta.blob_links.size(APP, r.digests["contested"]) is not None
        assert await meta.blob_links.size(APP, r.digests["relinked"]) is not None
    finally:
        await blobs.close()
        await meta.close()
