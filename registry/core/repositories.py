"""Repositories as the management API shows them, and deleting one with everything in it."""
from __future__ import annotations

import time

from registry.core.errors import RegistryError, bad_request
from registry.core.listing import Listing, listed
from registry.core.manifests import ManifestService
from storage.meta.catalog import RepositorySummary
from storage.meta.store import MetaStore

MAX_DESCRIPTION = 65536  # characters: a README's worth, not a dump


def _missing(name: str) -> RegistryError:
    return RegistryError("NOT_FOUND", f"repository {name} not found", status=404)


class RepositoryService:
    def __init__(self, meta: MetaStore, manifests: ManifestService) -> None:
        self.meta = meta
        self.manifests = manifests

    async def list(self, project: str, listing: Listing) -> tuple[list[RepositorySummary], int]:
        """A page of the project's repositories, filtered and sorted as ``listing`` says."""
        return await listed(self.meta.catalog.repositories(project, listing))

    async def names(self, last: str, limit: int) -> list[str]:
        """Every repository's name after ``last``, in order: the catalog before access filters it."""
        return await self.meta.repositories.names(last, limit)

    async def get(self, name: str) -> RepositorySummary:
        found = await self.meta.catalog.repository(name)
        if found is None:
            raise _missing(name)
        return found

    async def describe(self, name: str, description: object) -> None:
        """Set what the repository is for, as shown in its Info tab (Harbor's description)."""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise bad_request(f"description must be a string of at most {MAX_DESCRIPTION} characters")
        if not await self.meta.repositories.describe(name, description, time.time()):
            raise _missing(name)

    async def delete(self, name: str) -> list[str]:
        """Remove the repository's manifests, tags and blob links; return the manifest digests."""
        await self.get(name)
        await self.manifests.immutability.check_removal(name, await self.meta.tags.names(name))
        digests = [m.digest for m in await self.meta.manifests.of_repository(name)]
        await self.meta.repositories.delete(name)
        for digest in digests:
            # Cached bytes would otherwise still answer a GET by digest.
            self.manifests.cache.drop(name, digest)
        return digests
