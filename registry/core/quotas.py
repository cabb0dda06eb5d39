"""Per-project storage quotas, enforced when a push would add bytes to a project.

Usage is what the project holds: the distinct blobs (manifests included) linked in its
repositories, so a layer shared by two repositories of a project counts once, and a
push of content the project already holds adds nothing. Only pushes are checked — an
upload finishing, a mount, a manifest — never pulls. Concurrent pushes are checked
one by one, so together they may pass the limit by at most one blob each, as with
Harbor's soft enforcement.
"""
from __future__ import annotations

from collections.abc import Iterable

from registry.core.errors import RegistryError, bad_request
from registry.core.names import project_of
from storage.meta.store import MetaStore

UNLIMITED = -1
# Harbor's storage limits are int64 bytes, as is the database column; 2^63-1 bytes (8 EiB) is also the
# largest limit Berth takes: far beyond any disk, and every sum of usages stays a 64-bit integer.
MAX_STORAGE_LIMIT = 2**63 - 1


def storage_limit(value: object, name: str) -> int:
    """``value`` as a project's storage limit in bytes: -1 (unlimited) or 0 to 2^63-1, else a 400.

    JSON booleans are refused although Python counts them as integers.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not UNLIMITED <= value <= MAX_STORAGE_LIMIT:
        raise bad_request(f"{name} must be -1 (unlimited) or a number of bytes from 0 to "
                            f"{MAX_STORAGE_LIMIT}")
    return value


def _size(n: int) -> str:
    """Bytes the way Harbor's quota messages show them."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, unit = float(n), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{n} B" if unit == 0 else f"{value:.1f} {units[unit]}"


class QuotaService:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    async def usage(self, project: str) -> int:
        """Bytes the project holds (what /api/v2.0/quotas reports as ``used.storage``)."""
        return await self.meta.references.project_usage(project)

    async def check(self, repo: str, digest: str, size: int) -> None:
        """Refuse (DENIED) linking ``digest`` into ``repo`` when it would exceed the project's limit."""
        await self.check_all(repo, [(digest, size)])

    async def check_all(self, repo: str, blobs: Iterable[tuple[str, int]]) -> None:
        """Refuse (DENIED) linking all of ``blobs`` into ``repo`` when together they exceed the limit."""
        name = project_of(repo)
        project = await self.meta.projects.by_name(name)
        if project is None or project.storage_limit < 0:
            return
        size = 0
        for digest, blob_size in dict(blobs).items():
            if not await self.meta.references.linked_in_project(name, digest):
                size += blob_size
        if size == 0:
            return
        used = await self.usage(name)
        if used + size > project.storage_limit:
            raise RegistryError(
                "DENIED",
                f"Quota exceeded when processing the request of {repo}: adding {_size(size)} of storage "
                f"to the current usage of {_size(used)} would exceed the configured upper limit of "
                f"{_size(project.storage_limit)}.",
                {"project": name, "limit": project.storage_limit, "used": used, "requested": size},
            )
