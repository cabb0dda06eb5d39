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
from storage.meta.listing import ANY, EXACT, FUZZY, Column, Listing, QueryError, Term, compile_listing, like_pattern

TOP_LEVEL = (
    "(NOT EXISTS (SELECT 1 FROM manifest_refs x WHERE x.repo = m.repo AND x.child = m.digest"
    " AND x.kind = 'manifest') OR EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest))"
)
_ARTIFACT_COUNT = f"(SELECT COUNT(*) FROM manifests m WHERE m.repo = r.name AND {TOP_LEVEL})"
_SUMMARY = (
    f"SELECT r.name, r.project, r.created, r.updated, r.pull_count, {_ARTIFACT_COUNT}, r.id, r.description"
    " FROM repositories r"
)
# What a repository list filters and sorts by, in Harbor's names.
REPOSITORY_COLUMNS = {
    "id": Column("r.id", "int"),
    "name": Column("r.name"),
    "project_id": Column("(SELECT p.id FROM projects p WHERE p.name = r.project)", "int"),
    "description": Column("r.description"),
    "creation_time": Column("r.created", "time"),
    "update_time": Column("r.updated", "time"),
    "pull_count": Column("r.pull_count", "int"),
    "artifact_count": Column(_ARTIFACT_COUNT, "int"),
}


# What an artifact list filters and sorts by; ``tags`` is answered apart (see _tag_condition).
ARTIFACT_COLUMNS = {
    "id": Column("m.id", "int"),
    "digest": Column("m.digest"),
    "manifest_media_type": Column("m.media_type"),
    "artifact_type": Column("m.artifact_type"),
    "push_time": Column("m.created", "time"),
    "pull_time": Column("m.pull_time", "time"),
    "labels": Column(member="EXISTS (SELECT 1 FROM artifact_labels l WHERE l.artifact_id = m.id AND l.label_id = ?)"),
}
_TAGGED = "EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest"


def _tag_condition(term: Term | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Harbor's ``tags`` filter: ``*`` tagged, ``nil`` untagged, ``~x`` a tag containing x,
    ``x`` a tag named x, ``{x y}`` a tag named either."""
    if term is None:
        return (), ()
    if term.kind == EXACT and term.values[0] == "*":
        return (_TAGGED + ")",), ()
    if term.kind == EXACT and term.values[0] == "nil":
        return ("NOT " + _TAGGED + ")",), ()
    if term.kind == EXACT:
        return (_TAGGED + " AND t.name = ?)",), term.values
    if term.kind == FUZZY:
        return (_TAGGED + " AND t.name LIKE ? ESCAPE '!')",), (like_pattern(term.values[0]),)
    if term.kind == ANY:
        return (_TAGGED + f" AND t.name IN ({','.join('?' * len(term.values))}))",), term.values
    raise QueryError("tags takes *, nil, a name, ~part or {name name}")


@dataclass(slots=True)
class RepositorySummary:
    name: str
    project: str
    created: float
    updated: float
    pull_count: int
    artifact_count: int
    id: int = 0
    description: str = ""


class CatalogQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def repositories(self, project: str | None, listing: Listing,
                           within: Collection[str] | None = None) -> tuple[list[RepositorySummary], int]:
        """One page of repositories (all projects when ``project`` is None, or only those
        ``within`` the given project names), and how many match."""
        where: list[str] = []
        args: list[str] = []
        if project is not None:
            where.append("r.project = ?")
            args.append(project)
        if within is not None:
            if not within:
                return [], 0
            where.append(f"r.project IN ({','.join('?' * len(within))})")
            args.extend(within)
        query = compile_listing(listing, REPOSITORY_COLUMNS, "r.name ASC", tuple(where), tuple(args))
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM repositories r WHERE {query.where}", *query.args))[0]
        rows = await self.db.fetchall(f"{_SUMMARY} WHERE {query.where} ORDER BY {query.order} LIMIT ? OFFSET ?",
                                      *query.args, listing.limit, listing.offset)
        return [RepositorySummary(*r) for r in rows], total

    async def repository(self, name: str) -> RepositorySummary | None:
        row = await self.db.fetchone(f"{_SUMMARY} WHERE r.name = ?", name)
        return RepositorySummary(*row) if row else None

    async def artifacts(self, repo: str, listing: Listing) -> tuple[list[str], int]:
        """The digests of one page of the repository's artifacts, newest first unless
        ``listing`` orders otherwise, and how many match."""
        where, args = _tag_condition(listing.term("tags"))
        query = compile_listing(listing.without("tags"), ARTIFACT_COLUMNS, "m.created DESC, m.digest ASC",
                                ("m.repo = ?", TOP_LEVEL, *where), (repo, *args))
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM manifests m WHERE {query.where}", *query.args))[0]
        rows = await self.db.fetchall(
            f"SELECT m.digest FROM manifests m WHERE {query.where} ORDER BY {query.order} LIMIT ? OFFSET ?",
            *query.args, listing.limit, listing.offset)
        return [r[0] for r in rows], total

    async def repository_counts(self) -> dict[str, int]:
        """Project name → number of repositories."""
        return dict(await self.db.fetchall("SELECT project, COUNT(*) FROM repositories GROUP BY project"))

    async def references(self, repo: str, digests: Collection[str]) -> dict[str, list[tuple[str, str, int]]]:
        """Manifest digest → its (child digest, kind, size) entries, for ``digests`` of a repository."""
        if not digests:
            return {}
        rows = await self.db.fetchall(
            "SELECT digest, child, kind, size FROM manifest_refs WHERE repo = ?"
            f" AND digest IN ({','.join('?' * len(digests))}) ORDER BY digest, child", repo, *digests
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
