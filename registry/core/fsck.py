"""Check the registry's storage: every blob against its digest, every reference against its target.

Problems found: blobs whose bytes do not hash to their name (corrupt), blob links to
missing blobs, manifests whose bytes, blobs or listed manifests are missing (and
indexes listing those), tags pointing at missing manifests. ``repair`` moves corrupt
blobs to a quarantine directory and removes the dangling rows; what a client was told
is stored and is intact is never touched. Run it while no GC is running: a blob GC
deletes while fsck reads could otherwise be reported as missing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from registry.core.digest import Digest
from storage.blobs.base import BlobStore
from storage.meta.references import Snapshot
from storage.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # corrupt-blob, dangling-link, broken-manifest, dangling-tag
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


def broken_manifests(snapshot: Snapshot, present: set[str]) -> dict[tuple[str, str], str]:
    """(repo, digest) → why, for manifests that cannot be served whole, indexes included."""
    manifests = {(m[0], m[1]) for m in snapshot.manifests}
    broken = {key: "manifest bytes missing" for key in manifests if key[1] not in present}
    for repo, digest, child, kind in snapshot.refs:
        if kind == "blob" and child not in present:
            broken.setdefault((repo, digest), f"blob {child} missing")
    changed = True
    while changed:  # an index listing a broken or missing manifest is broken too
        changed = False
        for repo, digest, child, kind in snapshot.refs:
            if kind == "manifest" and (repo, digest) not in broken and (
                    (repo, child) in broken or (repo, child) not in manifests):
                broken[(repo, digest)] = f"manifest {child} missing or broken"
                changed = True
    return broken


class Fsck:
    def __init__(self, meta: MetaStore, blobs: BlobStore, quarantine: Path) -> None:
        self.meta = meta
        self.blobs = blobs
        self.quarantine = quarantine

    async def run(self, repair: bool = False) -> FsckReport:
        report = FsckReport()
        present = await self._check_blobs(report, repair)
        snapshot = await self.meta.references.snapshot()
        await self._check_references(snapshot, present, report, repair)
        referenced = {m[1] for m in snapshot.manifests} | {r[2] for r in snapshot.refs} | {x[1] for x in snapshot.links}
        report.unreferenced = len(present - referenced)
        return report

    async def _check_blobs(self, report: FsckReport, repair: bool) -> set[str]:
        """Hash every blob; return the digests whose bytes are intact."""
        present: set[str] = set()
        async for digest, size, _ in self.blobs.list():
            report.blobs += 1
            report.bytes += size
            hasher = digest.hasher()
            async for chunk in self.blobs.read(digest):
                hasher.update(chunk)
            if hasher.hexdigest() == digest.hex:
                present.add(str(digest))
                continue
            report.problems.append(Problem("corrupt-blob", str(digest), f"content hashes to {hasher.hexdigest()}"))
            if repair:
                await self._quarantine(digest)
                report.repaired += 1
        return present

    async def _quarantine(self, digest: Digest) -> None:
        """Keep the bad bytes for a person to look at, out of the blob tree."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / f"{digest.algorithm}-{digest.hex}"
        with open(target, "wb") as f:
            async for chunk in self.blobs.read(digest):
                f.write(chunk)
            os.fsync(f.fileno())
        await self.blobs.delete(digest)

    async def _check_references(self, snapshot: Snapshot, present: set[str], report: FsckReport,
                                repair: bool) -> None:
        for repo, digest, _, _ in snapshot.links:
            if digest not in present:
                report.problems.append(Problem("dangling-link", f"{repo}@{digest}", "linked blob is missing"))
                if repair and await self.meta.unlink_blob(repo, digest):
                    report.repaired += 1
        broken = broken_manifests(snapshot, present)
        for (repo, digest), why in sorted(broken.items()):
            report.problems.append(Problem("broken-manifest", f"{repo}@{digest}", why))
            if repair and await self.meta.delete_manifest(repo, digest):
                report.repaired += 1
        manifests = {(m[0], m[1]) for m in snapshot.manifests}
        for repo, tag, digest in snapshot.tags:
            if (repo, digest) not in manifests:
                report.problems.append(Problem("dangling-tag", f"{repo}:{tag}", f"points at missing {digest}"))
                if repair and await self.meta.delete_tag(repo, tag):
                    report.repaired += 1
