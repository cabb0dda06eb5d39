"""What a deleted manifest takes with it, and which manifests the untagged policy deletes.

Each rule is stated once, over plain facts. Storage reads the facts inside the
transaction that deletes and asks these functions; the GC dry run reads the same facts
from a snapshot and asks the same functions, so a dry run reports what a run does.
"""
from __future__ import annotations

from collections.abc import Iterable

from storage.meta.records import BlobChild, ManifestHolds


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
