"""Labels (global, or of one project) and which artifacts carry them.

A label's name is unique within its scope: among the global labels (project id 0), or
within its project. An artifact is a manifest row, named here by its id; the rows that
join the two go with either side (see ``ManifestStore`` and ``RepositoryStore``).
"""
from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from storage.meta.database import Database
from storage.meta.listing import Column, Listing, compile_listing
from storage.meta.rows import update_row

_LABEL = "id, name, description, color, scope, project_id, created, updated"
GLOBAL_PROJECT = 0  # the project id of a global label
LABEL_COLUMNS = {
    "id": Column("id", "int"),
    "name": Column("name"),
    "description": Column("description"),
    "color": Column("color"),
    "scope": Column("scope"),
    "project_id": Column("project_id", "int"),
    "creation_time": Column("created", "time"),
    "update_time": Column("updated", "time"),
}


@dataclass(slots=True)
class LabelRecord:
    id: int
    name: str
    description: str
    color: str
    scope: str  # "g" global, "p" a project's
    project_id: int
    created: float
    updated: float


class LabelStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, description: str, color: str, scope: str, project_id: int) -> int:
        """A new label's id; raises ``Conflict`` when its scope has one of that name."""
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO labels (name, description, color, scope, project_id, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            name, description, color, scope, project_id, now, now,
        )
        return row[0]

    async def get(self, label_id: int) -> LabelRecord | None:
        row = await self.db.fetchone(f"SELECT {_LABEL} FROM labels WHERE id = ?", label_id)
        return LabelRecord(*row) if row else None

    async def list(self, project_id: int, listing: Listing) -> tuple[list[LabelRecord], int]:
        """A page of the global labels (project id 0) or of one project's, and how many match."""
        query = compile_listing(listing, LABEL_COLUMNS, "id ASC", ("project_id = ?",), (project_id,))
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM labels WHERE {query.where}", *query.args))[0]
        rows = await self.db.fetchall(
            f"SELECT {_LABEL} FROM labels WHERE {query.where} ORDER BY {query.order} LIMIT ? OFFSET ?",
            *query.args, listing.limit, listing.offset)
        return [LabelRecord(*r) for r in rows], total

    async def update(self, label_id: int, name: str, description: str, color: str) -> bool:
        """Raises ``Conflict`` when the new name is taken in the label's scope."""
        return await update_row(self.db, "labels", label_id,
                                {"name": name, "description": description, "color": color},
                                ("name", "description", "color"))

    async def delete(self, label_id: int) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM artifact_labels WHERE label_id = ?", label_id)
            return await tx.execute("DELETE FROM labels WHERE id = ?", label_id) > 0

    async def attach(self, artifact_id: int, label_id: int) -> bool:
        """Put the label on the artifact; False when it is there already (or either is gone)."""
        return await self.db.execute(
            "INSERT INTO artifact_labels (artifact_id, label_id, created) SELECT ?, ?, ?"
            " WHERE EXISTS (SELECT 1 FROM manifests WHERE id = ?) AND EXISTS (SELECT 1 FROM labels WHERE id = ?)"
            " ON CONFLICT (artifact_id, label_id) DO NOTHING",
            artifact_id, label_id, time.time(), artifact_id, label_id,
        ) > 0

    async def detach(self, artifact_id: int, label_id: int) -> bool:
        return await self.db.execute(
            "DELETE FROM artifact_labels WHERE artifact_id = ? AND label_id = ?", artifact_id, label_id
        ) > 0

    async def of_artifacts(self, artifact_ids: Collection[int]) -> dict[int, list[LabelRecord]]:
        """Artifact id → the labels it carries, by label id."""
        if not artifact_ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT a.artifact_id, {', '.join('l.' + c.strip() for c in _LABEL.split(','))}"
            " FROM artifact_labels a JOIN labels l ON l.id = a.label_id"
            f" WHERE a.artifact_id IN ({','.join('?' * len(artifact_ids))}) ORDER BY a.artifact_id, l.id",
            *artifact_ids,
        )
        result: dict[int, list[LabelRecord]] = {}
        for artifact_id, *label in rows:
            result.setdefault(artifact_id, []).append(LabelRecord(*label))
        return result
