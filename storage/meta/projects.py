"""Projects and their members."""
from __future__ import annotations

import time
from collections.abc import Collection

from storage.meta.database import Database
from storage.meta.listing import Column, Listing, compile_listing
from storage.meta.rows import update_row
from storage.meta.records import MemberRecord, ProjectRecord

_PROJECT = "id, name, public, owner_id, storage_limit, created, updated"
# What a project list filters and sorts by, in Harbor's names.
PROJECT_COLUMNS = {
    "project_id": Column("id", "int"),
    "name": Column("name"),
    "public": Column("public", "bool"),
    "owner_id": Column("owner_id", "int"),
    "creation_time": Column("created", "time"),
    "update_time": Column("updated", "time"),
}


def _project(row: tuple) -> ProjectRecord:
    record = ProjectRecord(*row)
    record.public = bool(record.public)
    return record


class ProjectStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, public: bool, owner_id: int | None, storage_limit: int = -1) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO projects (name, public, owner_id, storage_limit, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            name, int(public), owner_id, storage_limit, now, now,
        )
        return row[0]

    async def by_name(self, name: str) -> ProjectRecord | None:
        row = await self.db.fetchone(f"SELECT {_PROJECT} FROM projects WHERE name = ?", name)
        return _project(row) if row else None

    async def by_id(self, project_id: int) -> ProjectRecord | None:
        row = await self.db.fetchone(f"SELECT {_PROJECT} FROM projects WHERE id = ?", project_id)
        return _project(row) if row else None

    async def all(self) -> list[ProjectRecord]:
        return [_project(r) for r in await self.db.fetchall(f"SELECT {_PROJECT} FROM projects ORDER BY name")]

    async def list(self, listing: Listing,
                   within: Collection[str] | None = None) -> tuple[list[ProjectRecord], int]:
        """One page of the projects (only those named ``within``, when given), and how many match."""
        if within is not None and not within:
            return [], 0
        where = () if within is None else (f"name IN ({','.join('?' * len(within))})",)
        query = compile_listing(listing, PROJECT_COLUMNS, "name ASC", where, tuple(within or ()))
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM projects WHERE {query.where}", *query.args))[0]
        rows = await self.db.fetchall(
            f"SELECT {_PROJECT} FROM projects WHERE {query.where} ORDER BY {query.order} LIMIT ? OFFSET ?",
            *query.args, listing.limit, listing.offset)
        return [_project(r) for r in rows], total

    async def update(self, project_id: int, **fields) -> bool:
        return await update_row(self.db, "projects", project_id, fields, ("public", "storage_limit"))

    async def delete(self, project_id: int) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM members WHERE project_id = ?", project_id)
            await tx.execute("DELETE FROM group_members WHERE project_id = ?", project_id)
            await tx.execute("DELETE FROM robots WHERE project_id = ?", project_id)
            await tx.execute("DELETE FROM artifact_labels WHERE label_id IN"
                             " (SELECT id FROM labels WHERE project_id = ?)", project_id)
            await tx.execute("DELETE FROM labels WHERE project_id = ?", project_id)
            return await tx.execute("DELETE FROM projects WHERE id = ?", project_id) > 0

    async def repository_count(self, name: str) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM repositories WHERE project = ?", name)
        return row[0]

    # --- members -------------------------------------------------------------------
    async def role_of(self, project_id: int, user_id: int) -> int | None:
        row = await self.db.fetchone(
            "SELECT role_id FROM members WHERE project_id = ? AND user_id = ?", project_id, user_id
        )
        return row[0] if row else None

    async def roles_of_user(self, user_id: int) -> dict[str, int]:
        """Project name → role id, for every project the user is a member of."""
        rows = await self.db.fetchall(
            "SELECT p.name, m.role_id FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = ?",
            user_id,
        )
        return dict(rows)

    async def members(self, project_id: int) -> list[MemberRecord]:
        rows = await self.db.fetchall(
            "SELECT m.project_id, m.user_id, u.username, m.role_id, m.created FROM members m"
            " JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY u.username",
            project_id,
        )
        return [MemberRecord(*r) for r in rows]

    async def set_member(self, project_id: int, user_id: int, role_id: int) -> None:
        await self.db.execute(
            "INSERT INTO members (project_id, user_id, role_id, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (project_id, user_id) DO UPDATE SET role_id = excluded.role_id",
            project_id, user_id, role_id, time.time(),
        )

    async def remove_member(self, project_id: int, user_id: int) -> bool:
        return await self.db.execute(
            "DELETE FROM members WHERE project_id = ? AND user_id = ?", project_id, user_id
        ) > 0
