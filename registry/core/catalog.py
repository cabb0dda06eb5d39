"""What a caller may see across projects: project lists, search, statistics, quotas.

Visibility is the permission matrix's: admins see everything, others see public
projects and the ones they belong to (robots: the ones they hold permissions in).
"""
from __future__ import annotations

from dataclasses import dataclass

from registry.core.errors import bad_request
from registry.core.listing import FUZZY, Listing, Term, listed
from registry.core.metrics import ProjectFigures
from registry.core.projects import ProjectService
from registry.core.rbac import Principal
from storage.meta.catalog import RepositorySummary
from storage.meta.records import ProjectRecord
from storage.meta.store import MetaStore

SEARCH_LIMIT = 100
ALL_ROWS = 2**31 - 1  # a LIMIT every database takes


@dataclass(slots=True)
class Quota:
    project: ProjectRecord
    hard: int
    used: int


@dataclass(slots=True)
class Statistics:
    private_project_count: int
    public_project_count: int
    private_repo_count: int
    public_repo_count: int
    total_storage_consumption: int | None


class CatalogService:
    def __init__(self, meta: MetaStore, projects: ProjectService) -> None:
        self.meta = meta
        self.projects = projects

    async def visible_projects(self, principal: Principal) -> list[ProjectRecord]:
        visible = await self.projects.visible_names(principal)
        return [p for p in await self.meta.projects.all() if visible is None or p.name in visible]

    async def project_page(self, principal: Principal, listing: Listing) -> tuple[list[ProjectRecord], int]:
        """One page of the projects the caller may see, filtered and sorted as ``listing`` says."""
        visible = await self.projects.visible_names(principal)
        return await listed(self.meta.projects.list(listing, None if visible is None else sorted(visible)))

    async def repositories(self, principal: Principal,
                           listing: Listing) -> tuple[list[tuple[ProjectRecord, RepositorySummary]], int]:
        """One page of the repositories the caller may see, across projects, with their projects."""
        visible = await self.projects.visible_names(principal)
        projects = {p.name: p for p in await self.meta.projects.all() if visible is None or p.name in visible}
        found, total = await listed(self.meta.catalog.repositories(
            None, listing, within=None if visible is None else sorted(projects)))
        return [(projects[r.project], r) for r in found if r.project in projects], total

    async def repo_counts(self) -> dict[str, int]:
        return await self.meta.catalog.repository_counts()

    async def search(self, principal: Principal, term: str) -> tuple[list[ProjectRecord],
                                                                     list[tuple[ProjectRecord, RepositorySummary]]]:
        projects = {p.name: p for p in await self.visible_projects(principal)}
        matching = [p for p in projects.values() if term in p.name][:SEARCH_LIMIT]
        found, _ = await self.meta.catalog.repositories(
            None, Listing((Term("name", FUZZY, (term,)),), limit=SEARCH_LIMIT), within=sorted(projects))
        repos = [(projects[r.project], r) for r in found if r.project in projects][:SEARCH_LIMIT]
        return matching, repos

    async def statistics(self, principal: Principal) -> Statistics:
        projects = await self.visible_projects(principal)
        counts = await self.repo_counts()
        public = [p for p in projects if p.public]
        private = [p for p in projects if not p.public]
        usage = sum((await self.meta.catalog.storage_usage()).values()) if principal.admin else None
        return Statistics(len(private), len(public), sum(counts.get(p.name, 0) for p in private),
                          sum(counts.get(p.name, 0) for p in public), usage)

    async def figures(self) -> list[ProjectFigures]:
        """Every project's counts and storage, in four queries whatever the number of projects."""
        usage = await self.meta.catalog.storage_usage()
        repos, _ = await self.meta.catalog.repositories(None, Listing(limit=ALL_ROWS))
        counts: dict[str, list[int]] = {}
        for repo in repos:
            figures = counts.setdefault(repo.project, [0, 0, 0])
            figures[0] += 1
            figures[1] += repo.artifact_count
            figures[2] += repo.pull_count
        return [ProjectFigures(p.name, p.public, *counts.get(p.name, (0, 0, 0)), usage.get(p.name, 0),
                               p.storage_limit)
                for p in await self.meta.projects.all()]

    async def quotas(self, projects: list[ProjectRecord]) -> list[Quota]:
        usage = await self.meta.catalog.storage_usage()
        return [Quota(p, p.storage_limit, usage.get(p.name, 0)) for p in projects]

    async def set_storage_limit(self, project: ProjectRecord, limit: object) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < -1:
            raise bad_request("hard.storage must be -1 (unlimited) or a number of bytes")
        await self.meta.projects.update(project.id, storage_limit=limit)

    async def set_public(self, project: ProjectRecord, public: bool) -> None:
        await self.meta.projects.update(project.id, public=public)

    async def summary_counts(self, project: ProjectRecord) -> dict[int, int]:
        """Role id → number of members holding it."""
        counts: dict[int, int] = {}
        for member in await self.meta.projects.members(project.id):
            counts[member.role_id] = counts.get(member.role_id, 0) + 1
        return counts
