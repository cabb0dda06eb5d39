"""User groups (from LDAP or OpenID Connect), their project roles, who is in them, the
credentials Berth keeps for provider users, and identity settings changed at run time."""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from storage.meta.database import Database
from storage.meta.records import GroupMemberRecord, GroupRecord

_GROUP = "id, name, group_type, external_id, created"


class GroupStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, name: str, group_type: int, external_id: str) -> int:
        """The id of the group with this external id, created when it is new."""
        await self.db.execute(
            "INSERT INTO user_groups (name, group_type, external_id, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (group_type, external_id) DO NOTHING", name, group_type, external_id, time.time())
        row = await self.db.fetchone("SELECT id FROM user_groups WHERE group_type = ? AND external_id = ?",
                                     group_type, external_id)
        return row[0]

    async def by_id(self, group_id: int) -> GroupRecord | None:
        row = await self.db.fetchone(f"SELECT {_GROUP} FROM user_groups WHERE id = ?", group_id)
        return GroupRecord(*row) if row else None

    async def list(self, name_like: str, offset: int, limit: int) -> tuple[list[GroupRecord], int]:
        pattern = f"%{name_like}%"
        total = (await self.db.fetchone("SELECT COUNT(*) FROM user_groups WHERE name LIKE ?", pattern))[0]
        rows = await self.db.fetchall(
            f"SELECT {_GROUP} FROM user_groups WHERE name LIKE ? ORDER BY id LIMIT ? OFFSET ?", pattern, limit, offset)
        return [GroupRecord(*r) for r in rows], total

    async def rename(self, group_id: int, name: str) -> bool:
        return await self.db.execute("UPDATE user_groups SET name = ? WHERE id = ?", name, group_id) > 0

    async def delete(self, group_id: int) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM group_members WHERE group_id = ?", group_id)
            await tx.execute("DELETE FROM user_group_links WHERE group_id = ?", group_id)
            return await tx.execute("DELETE FROM user_groups WHERE id = ?", group_id) > 0

    # --- who is in a group, as the provider said at the last login ---------------------
    async def groups_of_user(self, user_id: int) -> list[int]:
        rows = await self.db.fetchall("SELECT group_id FROM user_group_links WHERE user_id = ?", user_id)
        return [r[0] for r in rows]

    async def set_groups_of_user(self, user_id: int, group_ids: Iterable[int]) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM user_group_links WHERE user_id = ?", user_id)
            for group_id in sorted(set(group_ids)):
                await tx.execute("INSERT INTO user_group_links (user_id, group_id) VALUES (?, ?)", user_id, group_id)

    # --- groups as project members ------------------------------------------------------
    async def roles_in_project(self, project_id: int, group_ids: Iterable[int]) -> list[int]:
        ids = sorted(set(group_ids))
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            f"SELECT role_id FROM group_members WHERE project_id = ? AND group_id IN ({marks})", project_id, *ids)
        return [r[0] for r in rows]

    async def projects_of(self, group_ids: Iterable[int]) -> dict[str, list[int]]:
        """Project name → the role ids the groups hold there."""
        ids = sorted(set(group_ids))
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            "SELECT p.name, g.role_id FROM group_members g JOIN projects p ON p.id = g.project_id"
            f" WHERE g.group_id IN ({marks})", *ids)
        found: dict[str, list[int]] = {}
        for name, role in rows:
            found.setdefault(name, []).append(role)
        return found

    async def members(self, project_id: int) -> list[GroupMemberRecord]:
        rows = await self.db.fetchall(
            "SELECT m.project_id, m.group_id, g.name, g.group_type, m.role_id, m.created FROM group_members m"
            " JOIN user_groups g ON g.id = m.group_id WHERE m.project_id = ? ORDER BY g.name", project_id)
        return [GroupMemberRecord(*r) for r in rows]

    async def set_member(self, project_id: int, group_id: int, role_id: int) -> None:
        await self.db.execute(
            "INSERT INTO group_members (project_id, group_id, role_id, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (project_id, group_id) DO UPDATE SET role_id = excluded.role_id",
            project_id, group_id, role_id, time.time())

    async def remove_member(self, project_id: int, group_id: int) -> bool:
        return await self.db.execute(
            "DELETE FROM group_members WHERE project_id = ? AND group_id = ?", project_id, group_id) > 0


class ExternalCredentialStore:
    """Per provider user: the CLI secret and the provider's refresh token, both sealed by core."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int) -> tuple[str, str] | None:
        row = await self.db.fetchone(
            "SELECT cli_secret, refresh_token FROM external_credentials WHERE user_id = ?", user_id)
        return (row[0], row[1]) if row else None

    async def put(self, user_id: int, cli_secret: str | None = None, refresh_token: str | None = None) -> None:
        """Set either value (or both); a new row needs the CLI secret."""
        now = time.time()
        if cli_secret is not None:
            await self.db.execute(
                "INSERT INTO external_credentials (user_id, cli_secret, refresh_token, updated) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET cli_secret = excluded.cli_secret, updated = excluded.updated",
                user_id, cli_secret, refresh_token or "", now)
        if refresh_token is not None:
            await self.db.execute(
                "UPDATE external_credentials SET refresh_token = ?, updated = ? WHERE user_id = ?",
                refresh_token, now, user_id)


class SettingStore:
    """Settings an administrator changed through the API, as JSON text by name."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> dict[str, str]:
        return dict(await self.db.fetchall("SELECT name, value FROM settings"))

    async def put(self, values: Mapping[str, str]) -> None:
        async with self.db.transaction() as tx:
            for name, value in values.items():
                await tx.execute("INSERT INTO settings (name, value) VALUES (?, ?)"
                                 " ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value)
