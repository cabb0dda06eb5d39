"""Read-only queries behind the management API: repository listings with counts,
an index's references, storage usage per project.

An *artifact* here is a manifest that is not only a platform entry of an index in the
same repository (a tagged one still counts), which is what a person thinks of as one
image, multi-platform or not.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from storage.meta.database import Database

TOP_LEVEL = (
    "(NOT EXISTS (SELECT 1 FROM manifest_refs x WHERE x.repo = m.repo AND x.child = m.digest"
    " AND x.kind = 'manifest') OR EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest))"
)
_SUMMARY = (
    "SELECT r.name, r.project, r.created, r.updated, r.pull_count,"
    f" (SELECT COUNT(*) FROM manifests m WHERE m.repo = r.name AND {TOP_LEVEL}) FROM repositories r"
)


@dataclass(slots=True)
class RepositorySummary:
    name: str
    project: str
    created: float
    updated: float
    pull_count: int
    artifact_count: int


class CatalogQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def repositories(self, project: str | None, name_like: str = "", offset: int = 0,
                           limit: int = 100, within: Collection[str] | None = None
                           ) -> tuple[list[RepositorySummary], int]:
        """One page of repositories (all projects when ``project`` is None, or only those
        ``within`` the given project names), and the total."""
        where, args = ["r.name LIKE ?"], [f"%{name_like}%"]
        if project is not None:
            where.append("r.project = ?")
            args.append(project)
        if within is not None:
            if not within:
                return [], 0
            where.append(f"r.project IN ({','.join('?' * len(within))})")
            args.extend(within)
        clause = " AND ".join(where)
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM repositories r WHERE {clause}", *args))[0]
        rows = await self.db.fetchall(f"{_SUMMARY} WHERE {clause} ORDER BY r.name LIMIT ? OFFSET ?",
                                      *args, limit, offset)
        return [RepositorySummary(*r) for r in rows], total

    async def repository(self, name: str) -> RepositorySummary | None:
        row = await self.db.fetchone(f"{_SUMMARY} WHERE r.name = ?", name)
        return RepositorySummary(*row) if row else None

    async def repository_counts(self) -> dict[str, int]:
        """Project name → number of repositories."""
        return dict(await self.db.fetchall("SELECT project, COUNT(*) FROM repositories GROUP BY project"))

    async def references(self, repo: str) -> dict[str, list[tuple[str, str, int]]]:
        """Manifest digest → its (child digest, kind, size) entries, for a whole repository."""
        rows = await self.db.fetchall(
            "SELECT digest, child, kind, size FROM manifest_refs WHERE repo = ? ORDER BY digest, child", repo
        )
        result: dict[str, list[tuple[str, str, int]]] = {}
        for digest, child, kind, size in rows:
            result.setdefault(digest, []).append((child, kind, size))
        return result

    async def storage_usage(self) -> dict[str, int]:
        """Project name → bytes of the distinct blobs (manifests included) linked in it."""
        rows = await self.db.fetchall(
            "SELECT project, SUM(size) FROM (SELECT DISTINCT r.project AS project, b.digest AS digest,"
            " b.size AS size FROM blob_links b JOIN repositories r ON r.name = b.repo) d GROUP BY project"
        )
        return {project: int(total or 0) for project, total in rows}
