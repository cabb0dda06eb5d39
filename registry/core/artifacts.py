"""Artifacts as the management API shows them: a manifest with its tags, size, times,
pull count, platform references and image attributes; plus tagging, deleting and
copying between repositories.

An artifact is a manifest that is not merely a platform entry of an index in the same
repository (see ``storage.meta.catalog``). Deleting an index deletes the platform
manifests only it used; deleting a manifest an index still lists is refused, so no
index is left pointing at nothing.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from registry.oci import mediatypes as mt
from registry.oci.digest import Digest
from registry.core.errors import RegistryError, bad_request
from registry.core.links import BlobLinks
from registry.core.listing import Listing, listed
from registry.core.manifests import ManifestService
from registry.core.names import validate_tag
from storage.blobs.base import BlobStore
from storage.meta.records import ManifestRecord
from storage.meta.store import MetaStore

_CONFIG_ATTRS = ("architecture", "os", "config", "created", "author")
_MAX_DEPTH = 4  # indexes of indexes followed this deep, no deeper
_BATCH = 500  # digests per query: well under every database's limit of bound values


@dataclass(slots=True)
class TagInfo:
    name: str
    push_time: float
    pull_time: float | None
    immutable: bool = False


@dataclass(slots=True)
class Reference:
    child_digest: str
    platform: dict[str, Any] | None
    annotations: dict[str, str] | None
    urls: list[str] | None


@dataclass(slots=True)
class Artifact:
    repository: str
    digest: str
    manifest_media_type: str
    media_type: str
    artifact_type: str | None
    type: str
    size: int
    push_time: float
    pull_time: float | None
    pull_count: int
    tags: list[TagInfo] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    extra_attrs: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, str] | None = None
    subject: str | None = None  # the artifact this one refers to (a signature's image), if any
    id: int = 0
    repository_id: int = 0
    labels: list[Any] = field(default_factory=list)  # LabelRecords, when asked for


def artifact_kind(media_type: str, config_type: str | None) -> str:
    """Harbor's artifact type: what the config media type says the content is."""
    if mt.is_index(media_type) or config_type in mt.IMAGE_CONFIGS:
        return "IMAGE"
    lowered = (config_type or "").lower()
    for marker, kind in (("helm.config", "CHART"), ("cnab", "CNAB"), ("wasm", "WASM"), ("spdx", "SBOM"),
                         ("cyclonedx", "SBOM")):
        if marker in lowered:
            return kind
    return "UNKNOWN"


class _RepositoryView:
    """What building some artifacts of one repository needs: their manifests and the
    manifests they list (to add up sizes), their references and tags."""

    def __init__(self, repository_id: int, records: list[ManifestRecord],
                 refs: dict[str, list[tuple[str, str, int]]],
                 tags: dict[str, list[tuple[str, float, float | None]]]) -> None:
        self.repository_id = repository_id
        self.records = {r.digest: r for r in records}
        self.refs = refs
        self.tags = {d: [TagInfo(*t) for t in entries] for d, entries in tags.items()}

    def size(self, digest: str, depth: int = 0) -> int:
        record = self.records.get(digest)
        if record is None or depth > _MAX_DEPTH:
            return 0
        total = record.size
        for child, kind, size in self.refs.get(digest, []):
            total += self.size(child, depth + 1) if kind == "manifest" else size
        return total

    def pull_time(self, digest: str) -> float | None:
        """An index counts as pulled when any of its platform manifests is (as in Harbor)."""
        times = [self.records[digest].pull_time] + [
            self.records[c].pull_time for c, kind, _ in self.refs.get(digest, [])
            if kind == "manifest" and c in self.records
        ]
        known = [t for t in times if t]
        return max(known) if known else None


class ArtifactService:
    def __init__(self, meta: MetaStore, store: BlobStore, manifests: ManifestService, links: BlobLinks,
                 cache_entries: int = 4096) -> None:
        self.meta = meta
        self.store = store
        self.manifests = manifests
        self.links = links
        self._configs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.cache_entries = cache_entries

    async def _view(self, repo: str, digests: list[str]) -> _RepositoryView:
        """The view of ``digests`` and, level by level, the manifests they list; a few
        queries per batch of digests, however large the repository."""
        summary = await self.meta.repositories.get(repo)
        records: list[ManifestRecord] = []
        refs: dict[str, list[tuple[str, str, int]]] = {}
        tags: dict[str, list[tuple[str, float, float | None]]] = {}
        for start in range(0, len(digests), _BATCH):
            batch = digests[start:start + _BATCH]
            tags.update(await self.meta.tags.by_digest(repo, batch))
            for _ in range(_MAX_DEPTH + 1):
                batch = [d for d in batch if d not in refs]
                if not batch:
                    break
                records += await self.meta.manifests.some(repo, batch)
                found = await self.meta.catalog.references(repo, batch)
                refs.update({d: found.get(d, []) for d in batch})
                batch = [child for d in batch for child, kind, _ in refs[d] if kind == "manifest"]
        return _RepositoryView(summary.id if summary else 0, records, refs, tags)

    async def list(self, repo: str, listing: Listing, details: bool = True) -> tuple[list[Artifact], int]:
        """A page of the repository's artifacts, filtered and ordered as ``listing`` says;
        without ``details``, no index or config is read (what a policy needs: digests, tags,
        times, sizes)."""
        digests, total = await listed(self.meta.catalog.artifacts(repo, listing))
        view = await self._view(repo, digests)
        found = [await self._build(view, d, details) for d in digests if d in view.records]
        await self._mark_immutable(repo, found)
        return found, total

    async def get(self, repo: str, reference: str) -> Artifact:
        digest = await self._digest(repo, reference)
        found = await self._build(await self._view(repo, [digest]), digest)
        await self._mark_immutable(repo, [found])
        return found

    async def _mark_immutable(self, repo: str, artifacts: list[Artifact]) -> None:
        tags = [t for a in artifacts for t in a.tags]
        protected = set(await self.manifests.immutability.protected(repo, [t.name for t in tags]))
        for tag in tags:
            tag.immutable = tag.name in protected

    async def _digest(self, repo: str, reference: str) -> str:
        try:
            digest, _ = await self.manifests.resolve(repo, reference)
        except RegistryError:
            raise _not_found(repo, reference) from None
        if await self.meta.manifests.get(repo, digest) is None:
            raise _not_found(repo, reference)
        return digest

    async def _build(self, view: _RepositoryView, digest: str, details: bool = True) -> Artifact:
        record = view.records[digest]
        config_type = record.artifact_type if not mt.is_index(record.media_type) else None
        artifact = Artifact(
            id=record.id, repository_id=view.repository_id, repository=record.repo, digest=digest, manifest_media_type=record.media_type,
            media_type=config_type or record.media_type, artifact_type=record.artifact_type,
            type=artifact_kind(record.media_type, config_type), size=view.size(digest),
            push_time=record.created, pull_time=view.pull_time(digest), pull_count=record.pull_count,
            tags=view.tags.get(digest, []),
            annotations=json.loads(record.annotations) if record.annotations else None,
            subject=record.subject,
        )
        if not details:
            return artifact
        if mt.is_index(record.media_type):
            artifact.references = await self._references(record)
        elif record.config_digest and config_type in mt.IMAGE_CONFIGS:
            artifact.extra_attrs = await self._config_attrs(record.config_digest)
        return artifact

    async def _references(self, record: ManifestRecord) -> list[Reference]:
        body = (await self.manifests.get(record.repo, record.digest)).body
        entries = json.loads(body).get("manifests", [])
        return [Reference(e.get("digest", ""), e.get("platform"), e.get("annotations"), e.get("urls"))
                for e in entries if isinstance(e, dict)]

    async def _config_attrs(self, config_digest: str) -> dict[str, Any]:
        """Image attributes from the config blob; configs are immutable, so they are cached."""
        cached = self._configs.get(config_digest)
        if cached is None:
            raw = await self.store.get_bytes(Digest.parse(config_digest))
            try:
                doc = json.loads(raw) if raw else {}
            except ValueError:
                doc = {}
            cached = {k: doc[k] for k in _CONFIG_ATTRS if isinstance(doc, dict) and k in doc}
            self._configs[config_digest] = cached
            if len(self._configs) > self.cache_entries:
                self._configs.popitem(last=False)
        return cached

    async def delete(self, repo: str, reference: str, expected_tags: list[str] | None = None) -> str:
        """Delete an artifact and the platform manifests only it used; return its digest.

        ``expected_tags``: only while exactly these tags point at it (see ManifestService.delete).
        """
        digest = await self._digest(repo, reference)
        children = [c.digest for c in await self.meta.manifests.references(repo, digest) if c.kind == "manifest"]
        await self.manifests.delete(repo, digest, expected_tags)
        tagged = await self.meta.tags.by_digest(repo)
        for child in children:
            if child not in tagged and not await self.meta.manifests.parents(repo, child):
                await self.manifests.delete(repo, child)
        return digest

    async def add_tag(self, repo: str, reference: str, tag: str) -> None:
        await self.links.refuse_push(repo)
        if not isinstance(tag, str):
            raise bad_request("the tag name must be a string")
        try:
            validate_tag(tag)
        except RegistryError:
            raise bad_request(f"invalid tag {tag[:128]!r}") from None
        digest = await self._digest(repo, reference)
        if not await self.meta.tags.add(repo, tag, digest):
            raise RegistryError("CONFLICT", f"tag {tag} already exists in {repo}", status=409)

    async def delete_tag(self, repo: str, reference: str, tag: str) -> None:
        digest = await self._digest(repo, reference)
        missing = RegistryError("NOT_FOUND", f"tag {tag} of {repo}@{digest} not found", status=404)
        if await self.meta.tags.resolve(repo, tag) != digest:
            raise missing
        await self.manifests.immutability.check_removal(repo, [tag])
        if not await self.meta.tags.delete(repo, tag):
            raise missing

    async def copy(self, source: str, reference: str, target: str) -> str:
        """Copy an artifact (an index with its platform manifests) and its tags; return its digest.

        The whole copy is held to the target's quota before anything is linked, so a
        refused copy leaves nothing behind.
        """
        digest = await self._digest(source, reference)
        tags = await self.meta.tags.by_digest(source)
        plan = await self._copy_plan(source, digest, depth=0)
        await self.links.check_quota(target, [(d, size) for _, record, blobs in plan
                                              for d, size in [(record.digest, record.size), *blobs]])
        for manifest_digest, record, blobs in plan:
            for blob_digest, size in blobs:
                if not await self.links.link(target, blob_digest, size):
                    raise RegistryError("UNAVAILABLE", f"{blob_digest} was collected during the copy; retry",
                                        status=503)
            body = (await self.manifests.get(source, manifest_digest)).body
            own_tags = [t[0] for t in tags.get(digest, [])] if manifest_digest == digest else []
            await self.manifests.put(target, manifest_digest, body, record.media_type, own_tags)
        return digest

    async def _copy_plan(self, source: str, digest: str,
                         depth: int) -> list[tuple[str, ManifestRecord, list[tuple[str, int]]]]:
        """The manifests to copy, children before their index, each with the blobs it needs."""
        record = await self.meta.manifests.get(source, digest)
        if record is None or depth > 4:
            raise _not_found(source, digest)
        plan: list[tuple[str, ManifestRecord, list[tuple[str, int]]]] = []
        blobs: list[tuple[str, int]] = []
        for ref in await self.meta.manifests.references(source, digest):
            if ref.kind == "manifest":
                plan += await self._copy_plan(source, ref.digest, depth + 1)
            else:
                blobs.append((ref.digest, ref.size))
        return plan + [(digest, record, blobs)]


def _not_found(repo: str, reference: str) -> RegistryError:
    return RegistryError("NOT_FOUND", f"artifact {repo}:{reference} not found" if ":" not in reference
                         else f"artifact {repo}@{reference} not found", status=404)
