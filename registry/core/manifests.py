"""Manifest rules: resolving references, validating pushes, tags, referrers, deletes.

Manifests are immutable by digest, so their bytes are cached in memory once read;
tags are resolved from metadata, or from a cache that any database change empties,
which keeps tag moves visible at once to every process sharing the database.
"""
from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.oci.digest import Digest, digest_of
from registry.core.errors import RegistryError, manifest_unknown, name_unknown
from registry.core.immutability import ImmutableTags
from registry.core.links import linking
from registry.oci.manifest import Descriptor, ManifestError, ParsedManifest, parse_manifest
from registry.core.names import project_of, split_reference, split_stored_reference, validate_tag
from registry.core.proxy_projects import ProxyProjects
from registry.core.quotas import QuotaService
from registry.core.readcache import ReadCache
from registry.core.references import orphaned_blobs
from storage.blobs.base import BlobStore
from storage.meta.records import ManifestHolds, ManifestRecord, ManifestReference
from storage.meta.references import MissingReferences
from storage.meta.store import MetaStore

if TYPE_CHECKING:
    from registry.core.proxy import ProxyCache


@dataclass(frozen=True, slots=True)
class StoredManifest:
    digest: str
    media_type: str
    body: bytes
    tag: str | None  # the tag it was requested by, if any
    warning: str | None = None  # why a proxy-cache project served its cached copy without the upstream


class ManifestCache:
    """A bounded LRU of manifest bytes by digest (immutable, so never stale)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self._bytes = 0

    def get(self, repo: str, digest: str) -> tuple[str, bytes] | None:
        item = self._items.get((repo, digest))
        if item is not None:
            self._items.move_to_end((repo, digest))
        return item

    def put(self, repo: str, digest: str, media_type: str, body: bytes) -> None:
        key = (repo, digest)
        if key in self._items or len(body) > self.max_bytes:
            return
        self._items[key] = (media_type, body)
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, (_, old) = self._items.popitem(last=False)
            self._bytes -= len(old)

    def drop(self, repo: str, digest: str) -> None:
        item = self._items.pop((repo, digest), None)
        if item is not None:
            self._bytes -= len(item[1])


def _references(parsed: ParsedManifest) -> list[ManifestReference]:
    if parsed.is_index:
        return [ManifestReference(d.digest, "manifest", d.size) for d in parsed.children]
    refs = [ManifestReference(parsed.config.digest, "blob", parsed.config.size)] if parsed.config else []
    refs += [ManifestReference(d.digest, "blob", d.size) for d in parsed.layers if not d.urls]
    return list({r.digest: r for r in refs}.values())


def _record(repo: str, digest: str, parsed: ParsedManifest, size: int) -> ManifestRecord:
    return ManifestRecord(
        repo=repo, digest=digest, media_type=parsed.media_type, size=size,
        artifact_type=parsed.effective_artifact_type() if not parsed.is_index else parsed.artifact_type,
        subject=parsed.subject.digest if parsed.subject else None,
        config_digest=parsed.config.digest if parsed.config else None,
        annotations=json.dumps(parsed.annotations) if parsed.annotations else None,
        references=_references(parsed),
    )


def referrer_descriptor(record: ManifestRecord) -> dict:
    """The descriptor the referrers API lists for a manifest that has a subject."""
    entry: dict = {"mediaType": record.media_type, "digest": record.digest, "size": record.size}
    if record.artifact_type:
        entry["artifactType"] = record.artifact_type
    if record.annotations:
        entry["annotations"] = json.loads(record.annotations)
    return entry


def _tagged_exactly(tags: tuple[str, ...], holds: ManifestHolds) -> bool:
    return holds.tags == tags


class ManifestService:
    def __init__(self, meta: MetaStore, store: BlobStore, cache: ManifestCache | None = None,
                 *, max_bytes: int, immutability: ImmutableTags, quotas: QuotaService | None = None,
                 proxies: ProxyProjects | None = None) -> None:
        self.meta = meta
        self.immutability = immutability
        self.store = store
        self.cache = cache or ManifestCache()
        self.max_bytes = max_bytes
        self.quotas = quotas
        self.proxies = proxies
        # Reads in proxy-cache projects go through the proxy cache (set by the wiring, which builds it on this).
        self.proxy: ProxyCache | None = None
        self.tag_digests: ReadCache[str] = ReadCache.over(meta)
        # Cached bytes are served only while the manifest is still in the repository: another
        # process (a worker, `berth gc`) may have deleted it.
        self.still_present: ReadCache[bool] = ReadCache.over(meta)

    async def resolve(self, repo: str, reference: str) -> tuple[str, str | None]:
        """(digest, tag) for a tag or digest reference in ``repo``; MANIFEST_UNKNOWN if absent."""
        tag, digest = split_stored_reference(reference)
        if tag is not None:
            found, marker = self.tag_digests.lookup((repo, tag))
            if found is None:
                found = await self.meta.tags.resolve(repo, tag)
                if found is None:
                    raise manifest_unknown(reference)
                self.tag_digests.store((repo, tag), found, marker)
            return found, tag
        return str(digest), None

    async def get(self, repo: str, reference: str, accept: Iterable[str] = ()) -> StoredManifest:
        """The manifest ``reference`` names in ``repo``; in a proxy-cache project, fetched on a miss.

        ``accept`` is what the client's Accept header lists, handed to the upstream.
        """
        if self.proxy is not None and self.proxies is not None:
            endpoint = await self.proxies.endpoint_of(repo)
            if endpoint is not None:
                return await self.proxy.manifest(endpoint, repo, reference, accept)
        return await self.get_local(repo, reference)

    async def get_local(self, repo: str, reference: str) -> StoredManifest:
        """The manifest as this registry holds it; MANIFEST_UNKNOWN when it does not."""
        digest, tag = await self.resolve(repo, reference)
        cached = self.cache.get(repo, digest)
        if cached is not None:
            if tag is None:  # a tag was just resolved, so its manifest is there
                await self._confirm_present(repo, digest)
            return StoredManifest(digest, cached[0], cached[1], tag)
        record = await self.meta.manifests.get(repo, digest)
        if record is None:
            raise manifest_unknown(reference)
        body = await self.store.get_bytes(Digest.parse(digest))
        if body is None:
            raise manifest_unknown(reference)
        self.cache.put(repo, digest, record.media_type, body)
        return StoredManifest(digest, record.media_type, body, tag)

    async def _confirm_present(self, repo: str, digest: str) -> None:
        present, marker = self.still_present.lookup((repo, digest))
        if present is None:
            if await self.meta.manifests.get(repo, digest) is None:
                self.cache.drop(repo, digest)
                raise manifest_unknown(digest)
            self.still_present.store((repo, digest), True, marker)

    async def put(self, repo: str, reference: str, body: bytes, content_type: str | None,
                  extra_tags: Iterable[str] = ()) -> tuple[str, ParsedManifest, list[str]]:
        """Validate and store a manifest; return its digest, what it says and the tags set."""
        if self.proxies is not None:
            await self.proxies.refuse_push(repo)
        if len(body) > self.max_bytes:
            raise RegistryError("TOO_LARGE", f"manifest exceeds the {self.max_bytes}-byte limit", status=413)
        tag, expected = split_reference(reference)
        digest = digest_of(body, expected.algorithm if expected else "sha256")
        if expected is not None and digest != expected:
            raise RegistryError("DIGEST_INVALID", "manifest digest does not match its content",
                                {"expected": str(expected), "actual": str(digest)})
        try:
            parsed = parse_manifest(body, content_type)
        except ManifestError as error:
            raise RegistryError("MANIFEST_INVALID", str(error)) from None
        await self._check_references(repo, parsed)
        tags = ([tag] if tag else []) + [validate_tag(t) for t in extra_tags]
        await self.immutability.check_moves(repo, tags, str(digest))
        if self.quotas is not None:
            await self.quotas.check(repo, str(digest), len(body))
        await self.store.put_bytes(digest, body)
        record = _record(repo, str(digest), parsed, len(body))
        try:
            await linking(lambda: self.meta.manifests.put(record, project_of(repo), tags, check_references=True))
        except MissingReferences as missing:
            raise RegistryError("MANIFEST_BLOB_UNKNOWN", "manifest references content removed from this repository "
                                "while it was pushed", {"missing": missing.digests}) from None
        if await self.store.stat(digest) is None:  # collected between the write and the link
            await self.store.put_bytes(digest, body)
        return str(digest), parsed, tags

    async def record_fetched(self, repo: str, digest: Digest, body: bytes, content_type: str | None,
                             tag: str | None) -> StoredManifest:
        """Store a manifest a proxy-cache project fetched (its digest verified by the caller).

        Its blobs and listed manifests arrive when clients ask for them, so references
        are recorded without being required; the project's quota applies as to a push.
        """
        try:
            parsed = parse_manifest(body, content_type)
        except ManifestError as error:
            raise RegistryError("MANIFEST_INVALID", f"the upstream sent an unusable manifest: {error}",
                                status=502) from None
        if self.quotas is not None:
            await self.quotas.check(repo, str(digest), len(body))
        await self.store.put_bytes(digest, body)
        record = _record(repo, str(digest), parsed, len(body))
        await linking(lambda: self.meta.manifests.put(record, project_of(repo), [tag] if tag else []))
        if await self.store.stat(digest) is None:  # collected between the write and the link
            await self.store.put_bytes(digest, body)
        self.cache.put(repo, str(digest), parsed.media_type, body)
        return StoredManifest(str(digest), parsed.media_type, body, tag)

    async def _check_references(self, repo: str, parsed: ParsedManifest) -> None:
        if parsed.is_index:
            wanted = [d.digest for d in parsed.children]
            missing = set(wanted) - await self.meta.manifests.existing(repo, wanted)
            if missing:
                raise RegistryError("MANIFEST_UNKNOWN", "the index references manifests not in this repository",
                                    {"missing": sorted(missing)}, status=400)
            return
        blobs: list[Descriptor] = ([parsed.config] if parsed.config else []) + [
            d for d in parsed.layers if not d.urls
        ]
        linked = await self.meta.blob_links.sizes(repo, (d.digest for d in blobs))
        missing = [d.digest for d in blobs if d.digest not in linked]
        if missing:
            raise RegistryError("MANIFEST_BLOB_UNKNOWN", "manifest references blobs not in this repository",
                                {"missing": missing})
        # A declared size that disagrees with the stored blob would make every pull fail later.
        for d in blobs:
            if linked[d.digest] != d.size:
                raise RegistryError("MANIFEST_INVALID", f"size of {d.digest} is {linked[d.digest]}, not {d.size}")

    async def delete(self, repo: str, reference: str, expected_tags: Iterable[str] | None = None) -> None:
        """Delete a tag, or a manifest with its tags.

        With ``expected_tags`` (a policy that decided from an earlier look), the manifest
        goes only while exactly those tags point at it, checked in the deleting
        transaction: a push that tagged it meanwhile keeps it.
        """
        tag, digest = split_stored_reference(reference)
        if tag is not None:
            await self.immutability.check_removal(repo, [tag])
            if not await self.meta.tags.delete(repo, tag):
                raise manifest_unknown(reference)
            return
        # One rule for /v2 and the management API: no index is left pointing at nothing.
        parents = await self.meta.manifests.parents(repo, str(digest))
        if parents:
            raise RegistryError("PRECONDITION", f"{repo}@{digest} is listed by the index {parents[0]}; "
                                "delete that index first", status=412)
        await self.immutability.check_removal(repo, await self.meta.tags.of_digest(repo, str(digest)))
        unchanged = None if expected_tags is None else functools.partial(_tagged_exactly, tuple(sorted(expected_tags)))
        if not await linking(lambda: self.meta.manifests.delete(repo, str(digest), orphaned_blobs, only_if=unchanged)):
            if unchanged is not None and await self.meta.manifests.get(repo, str(digest)) is not None:
                raise RegistryError("PRECONDITION", f"{repo}@{digest} was tagged or untagged meanwhile; kept",
                                    status=412)
            raise manifest_unknown(reference)
        self.cache.drop(repo, str(digest))

    async def referrers(self, repo: str, subject: Digest, artifact_type: str | None) -> list[dict]:
        records = await self.meta.manifests.referrers(repo, str(subject))
        if artifact_type:
            records = [r for r in records if r.artifact_type == artifact_type]
        return [referrer_descriptor(r) for r in records]

    async def tags(self, repo: str, last: str, limit: int | None) -> list[str]:
        """Tags after ``last`` in order; NAME_UNKNOWN when the repository does not exist."""
        if await self.meta.repositories.get(repo) is None:
            raise name_unknown(repo)
        return await self.meta.tags.names(repo, last, limit)
