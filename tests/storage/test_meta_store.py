"""The MetaStore conformance suite: SQLite and PostgreSQL must answer every query alike."""
from __future__ import annotations

import asyncio
import time

import pytest

from storage.meta import MetaStore
from storage.meta.listing import ANY, EXACT, FUZZY, Listing, Term
from storage.meta.migrations import MIGRATIONS
from storage.meta.records import BlobChild, ManifestHolds, ManifestRecord, ManifestReference, PullEvent

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
    assert await first.schema_versions() == [v for v, _ in MIGRATIONS]


async def test_a_failed_transaction_leaves_nothing(meta: MetaStore):
    with pytest.raises(RuntimeError):
        async with meta.db.transaction() as tx:
            await meta.repositories.ensure(tx, REPO, "library", time.time())
            raise RuntimeError("boom")
    assert await meta.repositories.get(REPO) is None


# --- repositories and blob links --------------------------------------------------


async def test_repositories(meta: MetaStore):
    for name in ("library/b", "library/a", "team/c"):
        await meta.blob_links.link(name, name.split("/")[0], sha(1), 10)
    record = await meta.repositories.get("library/a")
    assert (record.name, record.project, record.pull_count) == ("library/a", "library", 0)
    assert record.created <= record.updated
    assert await meta.repositories.get("library/none") is None
    assert await meta.repositories.names() == ["library/a", "library/b", "team/c"]
    assert await meta.repositories.names(last="library/a", limit=1) == ["library/b"]
    assert await meta.repositories.delete("library/a") is True
    assert await meta.repositories.delete("library/a") is False
    assert await meta.blob_links.size("library/a", sha(1)) is None
    assert await meta.repositories.names() == ["library/b", "team/c"]


async def test_blob_links(meta: MetaStore):
    await meta.blob_links.link(REPO, "library", sha(1), 10)
    await meta.blob_links.link(REPO, "library", sha(1), 10)  # idempotent
    await meta.blob_links.link(REPO, "library", sha(2), 20)
    assert await meta.blob_links.size(REPO, sha(1)) == 10
    assert await meta.blob_links.size("library/other", sha(1)) is None
    assert await meta.blob_links.sizes(REPO, [sha(1), sha(2), sha(3), sha(1)]) == {sha(1): 10, sha(2): 20}
    assert await meta.blob_links.sizes(REPO, []) == {}
    assert await meta.references.referenced_among([sha(1), sha(3)]) == {sha(1)}
    assert await meta.blob_links.unlink(REPO, sha(1)) is True
    assert await meta.blob_links.unlink(REPO, sha(1)) is False
    assert await meta.references.referenced_among([sha(1)]) == set()
    assert await meta.references.referenced_among([]) == set()


# --- manifests, tags, referrers ---------------------------------------------------------


async def test_manifests_with_references_and_tags(meta: MetaStore):
    image = manifest(sha(10), refs=[(sha(1), "blob", 10), (sha(2), "blob", 20)])
    index = manifest(sha(11), media_type=INDEX, refs=[(sha(10), "manifest", 500)])
    await meta.manifests.put(image, "library", ["v1"])
    await meta.manifests.put(image, "library", ["v1"])  # idempotent
    await meta.manifests.put(index, "library", ["latest", "stable"])
    stored = await meta.manifests.get(REPO, sha(10))
    assert (stored.media_type, stored.size, stored.config_digest, stored.annotations, stored.pull_count) == (
        MANIFEST, 500, sha(999), '{"a": "b"}', 0)
    assert await meta.manifests.get("library/other", sha(10)) is None
    assert await meta.manifests.references(REPO, sha(10)) == [
        ManifestReference(sha(1), "blob", 10), ManifestReference(sha(2), "blob", 20)]
    assert await meta.manifests.existing(REPO, [sha(10), sha(11), sha(12)]) == {sha(10), sha(11)}
    assert await meta.manifests.existing(REPO, []) == set()
    assert {m.digest for m in await meta.manifests.of_repository(REPO)} == {sha(10), sha(11)}
    assert await meta.manifests.parents(REPO, sha(10)) == [sha(11)]
    assert await meta.blob_links.size(REPO, sha(10)) == 500  # a manifest is linked as a blob too
    assert await meta.tags.resolve(REPO, "latest") == sha(11)
    assert await meta.tags.names(REPO) == ["latest", "stable", "v1"]
    by_digest = await meta.tags.by_digest(REPO)
    assert [t[0] for t in by_digest[sha(11)]] == ["latest", "stable"]
    assert [t[0] for t in by_digest[sha(10)]] == ["v1"]


async def test_referrers(meta: MetaStore):
    await meta.manifests.put(manifest(sha(10)), "library", [])
    await meta.manifests.put(manifest(sha(21), subject=sha(10), artifact_type="application/sig"), "library", [])
    await meta.manifests.put(manifest(sha(20), subject=sha(10), artifact_type="application/sbom"), "library", [])
    await meta.manifests.put(manifest(sha(22), repo="library/other", subject=sha(10)), "library", [])
    referrers = await meta.manifests.referrers(REPO, sha(10))
    assert [(r.digest, r.artifact_type) for r in referrers] == [
        (sha(20), "application/sbom"), (sha(21), "application/sig")]
    assert await meta.manifests.referrers(REPO, sha(20)) == []


def keep_blobs(created: float, children: list[BlobChild]) -> list[str]:
    return []


async def test_delete_manifest_removes_its_tags_references_and_link(meta: MetaStore):
    await meta.manifests.put(manifest(sha(10), refs=[(sha(1), "blob", 10)]), "library", ["v1", "v2"])
    await meta.manifests.put(manifest(sha(11)), "library", ["v3"])
    assert await meta.manifests.delete(REPO, sha(10), keep_blobs) is True
    assert await meta.manifests.delete(REPO, sha(10), keep_blobs) is False
    assert await meta.manifests.get(REPO, sha(10)) is None
    assert await meta.manifests.references(REPO, sha(10)) == []
    assert await meta.blob_links.size(REPO, sha(10)) is None
    assert await meta.tags.names(REPO) == ["v3"]


async def test_a_deleted_manifest_unlinks_what_the_rule_picks_from_the_facts_it_was_given(meta: MetaStore):
    for n, size in ((1, 10), (2, 20)):
        await meta.blob_links.link(REPO, "library", sha(n), size)
    await meta.manifests.put(manifest(sha(10), refs=[(sha(1), "blob", 10), (sha(2), "blob", 20), (sha(3), "blob", 30)]),
                             "library", [])
    await meta.manifests.put(manifest(sha(11), refs=[(sha(2), "blob", 20)]), "library", [])
    asked: list[tuple[float, list[BlobChild]]] = []

    def every_blob(created: float, children: list[BlobChild]) -> list[str]:
        asked.append((created, children))
        return [c.digest for c in children]

    created = (await meta.manifests.get(REPO, sha(10))).created
    assert await meta.manifests.delete(REPO, sha(10), every_blob) is True
    [(seen_created, children)] = asked
    assert seen_created == created
    assert [(c.digest, c.linked is not None, c.named_elsewhere) for c in children] == [
        (sha(1), True, False), (sha(2), True, True), (sha(3), False, False)]
    assert children[0].linked <= created
    assert await meta.blob_links.sizes(REPO, [sha(1), sha(2), sha(10)]) == {}
    assert await meta.blob_links.size(REPO, sha(11)) == 500


async def test_a_conditional_delete_asks_with_what_holds_the_manifest(meta: MetaStore):
    await meta.manifests.put(manifest(sha(10)), "library", ["v1"])
    await meta.manifests.put(manifest(sha(11)), "library", [])
    await meta.manifests.put(manifest(sha(12), media_type=INDEX, refs=[(sha(11), "manifest", 500)]), "library", [])
    await meta.manifests.put(manifest(sha(13), subject=sha(10)), "library", [])
    await meta.manifests.put(manifest(sha(14), subject=sha(99)), "library", [])
    asked: dict[str, ManifestHolds] = {}

    def record(digest: str):
        def decide(holds: ManifestHolds) -> bool:
            asked[digest] = holds
            return digest == sha(14)
        return decide

    for n in range(10, 16):
        assert await meta.manifests.delete(REPO, sha(n), keep_blobs, only_if=record(sha(n))) is (n == 14)
    assert {d: (h.tagged, h.listed, h.subject_present) for d, h in asked.items()} == {
        sha(10): (True, False, False), sha(11): (False, True, False), sha(12): (False, False, False),
        sha(13): (False, False, True), sha(14): (False, False, False)}
    assert await meta.manifests.existing(REPO, [sha(n) for n in range(10, 15)]) == {sha(n) for n in range(10, 14)}


async def test_tags_paginate_move_and_delete(meta: MetaStore):
    await meta.manifests.put(manifest(sha(10)), "library", [f"t{i}" for i in range(5)])
    assert await meta.tags.names(REPO, last="t1", limit=2) == ["t2", "t3"]
    assert await meta.tags.names(REPO, last="t3") == ["t4"]
    await meta.manifests.put(manifest(sha(11)), "library", ["t0"])
    assert await meta.tags.resolve(REPO, "t0") == sha(11)
    assert await meta.tags.delete(REPO, "t0") is True
    assert await meta.tags.delete(REPO, "t0") is False
    assert await meta.tags.resolve(REPO, "t0") is None
    assert await meta.tags.names("library/none") == []


async def test_concurrent_writers_of_one_tag_leave_one_consistent_answer(meta_backend):
    stores = [await meta_backend() for _ in range(4)]
    digests = [sha(100 + i) for i in range(8)]
    await asyncio.gather(*(
        stores[i % 4].manifests.put(manifest(d, refs=[(sha(1), "blob", 10)]), "library", ["latest"])
        for i, d in enumerate(digests)
    ))
    assert await stores[0].tags.resolve(REPO, "latest") in digests
    assert await stores[0].tags.names(REPO) == ["latest"]
    assert await stores[0].manifests.existing(REPO, digests) == set(digests)


async def test_kept_repository_counts_match_the_repositories_under_concurrent_writers(meta_backend):
    stores = [await meta_backend() for _ in range(4)]
    await stores[0].projects.create("counted", False, None)
    names = [f"counted/r{i % 6}" for i in range(24)]  # six repositories, each first written by several at once
    await asyncio.gather(*(
        stores[i % 4].blob_links.link(name, "counted", sha(i), 10) if i % 2 else
        stores[i % 4].manifests.put(manifest(sha(500 + i), repo=name, refs=[]), "counted", [f"t{i}"])
        for i, name in enumerate(names)
    ))
    everything = Listing((), limit=100)
    found, total = await stores[1].catalog.repositories("counted", everything)
    assert total == len(found) == 6 and (await stores[2].catalog.repository_counts())["counted"] == 6
    await asyncio.gather(stores[0].repositories.delete("counted/r0"), stores[1].repositories.delete("counted/r0"),
                         stores[2].repositories.delete("counted/r1"))
    found, total = await stores[3].catalog.repositories("counted", everything)
    assert total == len(found) == 4
    assert await stores[3].projects.repository_count("counted") == 4


# --- uploads --------------------------------------------------------------------


async def test_upload_sessions(meta: MetaStore):
    await meta.uploads.create("u-1", REPO, "10.0.0.1")
    await meta.uploads.create("u-2", REPO, "10.0.0.1")
    await meta.uploads.create("u-3", "library/other", None)
    record = await meta.uploads.get("u-1")
    assert (record.id, record.repo, record.client) == ("u-1", REPO, "10.0.0.1")
    assert await meta.uploads.get("u-none") is None
    assert await meta.uploads.count_of("10.0.0.1") == 2
    cutoff = time.time() + 1
    assert set(await meta.uploads.stale(cutoff)) == {"u-1", "u-2", "u-3"}
    await asyncio.sleep(0.01)
    await meta.uploads.touch("u-1")
    touched = (await meta.uploads.get("u-1")).updated
    assert touched > record.updated
    assert set(await meta.uploads.stale(touched)) == {"u-2", "u-3"}
    assert await meta.uploads.delete("u-2") is True
    assert await meta.uploads.delete("u-2") is False
    assert await meta.uploads.count_of("10.0.0.1") == 1


# --- pull counters --------------------------------------------------------------------


async def test_pulls_from_several_writers_add_up(meta_backend):
    stores = [await meta_backend() for _ in range(3)]
    await stores[0].manifests.put(manifest(sha(10)), "library", ["v1"])
    await stores[0].manifests.put(manifest(sha(11)), "library", [])

    def events(n: int) -> list[PullEvent]:
        return [PullEvent(REPO, sha(10), n, 1000.0 + n, {"v1": 1000.0 + n}), PullEvent(REPO, sha(11), 1, 5.0)]

    await asyncio.gather(*(s.pulls.add(events(n)) for s in stores for n in (1, 2, 3)))
    await stores[0].pulls.add([])
    assert (await stores[0].repositories.get(REPO)).pull_count == 3 * (1 + 2 + 3) + 9
    pulled = await stores[0].manifests.get(REPO, sha(10))
    assert (pulled.pull_count, pulled.pull_time) == (18, 1003.0)
    assert (await stores[0].manifests.get(REPO, sha(11))).pull_count == 9
    assert (await stores[0].tags.by_digest(REPO))[sha(10)][0][2] in (1001.0, 1002.0, 1003.0)


async def test_a_conditional_delete_sees_the_tags_of_that_moment(meta):
    """Retention decides from an earlier look; the delete asks again, inside its transaction."""
    await meta.manifests.put(manifest(sha(40)), "library", [])
    untouched = lambda holds: holds.tags == ()  # noqa: E731
    await meta.tags.add(REPO, "keep-1", sha(40))  # a push tagged it after the look
    assert await meta.manifests.delete(REPO, sha(40), keep_blobs, only_if=untouched) is False
    assert await meta.manifests.get(REPO, sha(40)) is not None
    assert await meta.manifests.delete(REPO, sha(40), keep_blobs, only_if=lambda h: h.tags == ("keep-1",)) is True


# --- artifact lists ----------------------------------------------------------------


async def test_artifact_lists_count_and_filter_alike_whatever_the_order_of_writes(meta: MetaStore):
    """The kept manifest count, the hidden platform entries and the tag filters (read from the
    tags first for one exact name) give what a count of the rows would."""
    repo = "library/listed"
    for n in (1, 2, 3):
        await meta.manifests.put(manifest(sha(n), repo=repo), "library", [f"v{n}"])
    await meta.manifests.put(manifest(sha(4), repo=repo), "library", [])  # a platform entry, untagged
    await meta.manifests.put(manifest(sha(5), repo=repo, media_type=INDEX, refs=[(sha(4), "manifest", 500),
                                                                                 (sha(3), "manifest", 500)]),
                             "library", ["multi"])
    await meta.manifests.put(manifest(sha(1), repo=repo), "library", ["again"])  # no second row, no second count

    async def listed(*terms: Term) -> tuple[set[str], int]:
        digests, total = await meta.catalog.artifacts(repo, Listing(terms))
        return set(digests), total

    assert await listed() == ({sha(1), sha(2), sha(3), sha(5)}, 4)  # sha(4) only in the index; sha(3) tagged too
    assert (await meta.catalog.repository(repo)).artifact_count == 4
    assert await listed(Term("tags", EXACT, ("v2",))) == ({sha(2)}, 1)
    assert await listed(Term("tags", EXACT, ("nope",))) == (set(), 0)
    assert await listed(Term("tags", ANY, ("v1", "again", "multi"))) == ({sha(1), sha(5)}, 2)
    assert await listed(Term("tags", FUZZY, ("v",))) == ({sha(1), sha(2), sha(3)}, 3)
    assert await listed(Term("tags", EXACT, ("nil",))) == (set(), 0)
    assert await meta.manifests.delete(repo, sha(5), lambda created, children: [])
    assert await listed() == ({sha(1), sha(2), sha(3), sha(4)}, 4)  # its entry stands alone now
    assert await meta.manifests.delete(repo, sha(4), lambda created, children: [])
    assert (await meta.catalog.repository(repo)).artifact_count == 3
