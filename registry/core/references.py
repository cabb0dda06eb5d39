"""What a deleted manifest takes with it, and which manifests the untagged policy deletes.

Each rule is stated once, over plain facts. Storage reads the facts inside the
transaction that deletes and asks these functions; the GC dry run reads the same facts
from a snapshot and asks the same functions, so a dry run reports what a run does.
"""
from __future__ import annotations

from collections.abc import Iterable

from storage.meta.records import BlobChild, ManifestHolds
from storage.meta.references import BlobUses


def orphaned_blobs(created: float, children: Iterable[BlobChild]) -> list[str]:
    """The blob children unlinked with a manifest created at ``created``.

    A child goes when the repository links it, no other manifest of the repository
    names it, and its link is no newer than the manifest: it was pushed for this
    manifest. A blob linked again later belongs to a newer push and stays.
    """
    return [c.digest for c in children
            if c.linked is not None and c.linked <= created and not c.named_elsewhere]


def untagged_garbage(holds: ManifestHolds, before: float) -> bool:
    """Whether the untagged policy deletes a manifest: created before ``before``, no tag points
    at it, no index lists it and no subject it refers to is present."""
    return holds.created < before and not (holds.tagged or holds.listed or holds.subject_present)


def freed_blobs(digests: Iterable[str], deleted: set[tuple[str, str]], uses: BlobUses) -> set[str]:
    """Those of ``digests`` that GC frees once the manifests ``deleted`` ((repo, digest)) are gone.

    A digest stays while a manifest that is kept is it or names it, or while a
    repository links it and no deleted manifest takes the link with it (the rule of
    ``orphaned_blobs``). ``uses`` may be read before the deletions (a dry run) or after
    them (a run): the deleted manifests' rows count as gone either way.
    """
    created = {(repo, digest): when for repo, digest, when in uses.manifests}
    kept = {digest for repo, digest, _ in uses.manifests if (repo, digest) not in deleted}
    kept |= {child for repo, digest, child in uses.refs if (repo, digest) not in deleted}
    namers: dict[tuple[str, str], list[str]] = {}
    for repo, digest, child in uses.refs:
        namers.setdefault((repo, child), []).append(digest)
    for repo, digest, linked in uses.links:
        if (repo, digest) in deleted:
            continue  # a manifest's own link goes with it
        taken = any(orphaned_blobs(created[(repo, namer)], [BlobChild(digest, linked, False)])
                    for namer in namers.get((repo, digest), ()) if (repo, namer) in created)
        if not taken:
            kept.add(digest)
    return set(digests) - kept
