"""Check the registry's storage: every blob against its digest, every reference against its target.

Each problem is reported once, at its cause, with what ``repair`` would do about it: a
blob whose bytes do not hash to its name (corrupt) or that is gone (missing), named
with the repositories that link it and the manifests that need it; an index that
lists a manifest its repository lacks; a tag pointing at a manifest that is not
there. In a proxy-cache project a manifest's blobs and listed manifests arrive when a
client first asks for them, so their absence there is no problem (corrupt bytes are).
``repair`` moves corrupt blobs to a quarantine directory and removes the rows
that point at what cannot be served; what is intact is never touched. Run it while
no GC is running: a blob GC deletes while fsck reads could otherwise be reported as
missing.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from registry.core.names import project_of
from registry.oci.digest import Digest
from registry.core.references import orphaned_blobs
from storage.blobs.base import BlobStore
from storage.meta.references import Snapshot
from storage.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # corrupt-blob, missing-blob, broken-manifest, dangling-tag
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}\t{self.subject}\t{self.detail}"


@dataclass(slots=True)
class FsckReport:
    blobs: int = 0
    bytes: int = 0
    unreferenced: int = 0  # garbage for `berth gc`, not a problem
    problems: list[Problem] = field(default_factory=list)
    repaired: int = 0


Key = tuple[str, str]  # repository, manifest digest


def broken_manifests(snapshot: Snapshot, present: set[str]) -> dict[Key, set[str]]:
    """Manifests that cannot be served whole → their causes.

    A cause is a blob digest (the manifest's own bytes or a blob it needs, missing or
    corrupt) or ``manifest <digest>`` for a listed manifest the repository lacks; an
    index inherits the causes of the platform manifests it lists.
    """
    manifests = {(m[0], m[1]) for m in snapshot.manifests}
    causes: dict[Key, set[str]] = defaultdict(set)
    for key in manifests:
        if key[1] not in present:
            causes[key].add(key[1])
    for repo, digest, child, kind in snapshot.refs:
        if kind == "blob" and child not in present:
            causes[(repo, digest)].add(child)
        elif kind == "manifest" and (repo, child) not in manifests:
            causes[(repo, digest)].add(f"manifest {child}")
    changed = True
    while changed:  # an index listing a broken manifest is broken for the same reasons
        changed = False
        for repo, digest, child, kind in snapshot.refs:
            inherited = causes.get((repo, child), set()) if kind == "manifest" else set()
            if not inherited <= causes.get((repo, digest), set()):
                causes[(repo, digest)] |= inherited
                changed = True
    return {key: found for key, found in causes.items() if found}


def _names(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class Fsck:
    def __init__(self, meta: MetaStore, store: BlobStore, quarantine: Path) -> None:
        self.meta = meta
        self.store = store
        self.quarantine = quarantine

    async def run(self, repair: bool = False) -> FsckReport:
        report = FsckReport()
        present, corrupt = await self._check_blobs(report)
        snapshot = await self._without_unfetched(await self.meta.references.snapshot(), present | set(corrupt))
        referenced = {m[1] for m in snapshot.manifests} | {r[2] for r in snapshot.refs} | {x[1] for x in snapshot.links}
        report.unreferenced = len(present - referenced)
        await self._report(snapshot, present, corrupt, report, repair)
        return report

    async def _without_unfetched(self, snapshot: Snapshot, stored: set[str]) -> Snapshot:
        """``snapshot`` less the references proxy-cache projects have not fetched yet."""
        found = [await self.meta.projects.by_id(project_id) for project_id in await self.meta.upstreams.bindings()]
        projects = {p.name for p in found if p is not None}
        if not projects:
            return snapshot
        manifests = {(m[0], m[1]) for m in snapshot.manifests}

        def fetched(repo: str, child: str, kind: str) -> bool:
            return (child in stored) if kind == "blob" else ((repo, child) in manifests)

        refs = [r for r in snapshot.refs if project_of(r[0]) not in projects or fetched(r[0], r[2], r[3])]
        return replace(snapshot, refs=refs)

    async def _check_blobs(self, report: FsckReport) -> tuple[set[str], dict[str, str]]:
        """Hash every blob; return the intact digests, and the corrupt ones with what they hash to."""
        present: set[str] = set()
        corrupt: dict[str, str] = {}
        async for digest, size, _ in self.store.list():
            report.blobs += 1
            report.bytes += size
            hasher = digest.hasher()
            async for chunk in self.store.read(digest):
                hasher.update(chunk)
            if hasher.hexdigest() == digest.hex:
                present.add(str(digest))
            else:
                corrupt[str(digest)] = hasher.hexdigest()
        return present, corrupt

    async def _quarantine(self, digest: Digest) -> None:
        """Keep the bad bytes for a person to look at, out of the blob tree."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / f"{digest.algorithm}-{digest.hex}"
        with open(target, "wb") as f:
            async for chunk in self.store.read(digest):
                f.write(chunk)
            os.fsync(f.fileno())
        await self.store.delete(digest)

    async def _report(self, snapshot: Snapshot, present: set[str], corrupt: dict[str, str], report: FsckReport,
                      repair: bool) -> None:
        linked_in: dict[str, list[str]] = defaultdict(list)
        for repo, digest, _, _ in snapshot.links:
            if digest not in present:
                linked_in[digest].append(repo)
        broken = broken_manifests(snapshot, present)
        needed_by: dict[str, list[Key]] = defaultdict(list)
        for key, causes in sorted(broken.items()):
            for cause in causes:
                needed_by[cause].append(key)
        tags_of: dict[Key, list[str]] = defaultdict(list)
        for repo, tag, digest in snapshot.tags:
            tags_of[(repo, digest)].append(tag)

        for digest in sorted(set(linked_in) | {c for c in needed_by if not c.startswith("manifest ")} | set(corrupt)):
            what = (f"content hashes to {corrupt[digest]}" if digest in corrupt else "its bytes are missing")
            repos, manifests = sorted(set(linked_in[digest])), needed_by.get(digest, [])
            tagged = [f"{repo}:{t}" for repo, d in manifests for t in tags_of[(repo, d)]]
            effects = ([f"linked in {_names(repos)}"] if repos else []) + (
                [f"needed by {_names([f'{r}@{d}' for r, d in manifests])}"
                 + (f" (tags {_names(tagged)})" if tagged else "")] if manifests else [])
            fix = (["quarantine it"] if digest in corrupt else []) + (["unlink it"] if repos else []) + (
                ["remove the manifests and tags that need it"] if manifests else [])
            kind = "corrupt-blob" if digest in corrupt else "missing-blob"
            report.problems.append(Problem(kind, digest, "; ".join([what, *effects])
                                           + f"; --repair would {', '.join(fix) or 'do nothing'}"))
            if repair:
                if digest in corrupt:
                    await self._quarantine(Digest.parse(digest))
                for repo in repos:
                    await self.meta.blob_links.unlink(repo, digest)
                report.repaired += 1
        for (repo, digest), causes in sorted(broken.items()):
            if all(c.startswith("manifest ") for c in causes):  # not already told under a blob
                report.problems.append(Problem("broken-manifest", f"{repo}@{digest}",
                                               f"lists {_names(sorted(causes))}, which {repo} does not hold; "
                                               "--repair would remove this index and its tags"))
                if repair:
                    report.repaired += 1
        if repair:
            for repo, digest in broken:
                await self.meta.manifests.delete(repo, digest, orphaned_blobs)
        manifests = {(m[0], m[1]) for m in snapshot.manifests}
        for repo, tag, digest in snapshot.tags:
            if (repo, digest) not in manifests:
                report.problems.append(Problem("dangling-tag", f"{repo}:{tag}",
                                               f"points at {digest}, which {repo} does not hold; "
                                               "--repair would remove the tag"))
                if repair and await self.meta.tags.delete(repo, tag):
                    report.repaired += 1
