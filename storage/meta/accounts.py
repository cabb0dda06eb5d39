"""Users and robot accounts."""
from __future__ import annotations

import time
from storage.meta.database import Database
from storage.meta.rows import update_row
from storage.meta.records import RobotRecord, UserRecord

_USER = "id, username, password_hash, email, realname, comment, sysadmin, created, updated, source, external_id, checked, admin_in_auth"
_ROBOT = ("id, name, description, level, project_id, secret_hash, disabled, expires_at, duration,"
          " permissions, creator, created, updated")


def _user(row: tuple) -> UserRecord:
    record = UserRecord(*row)
    record.sysadmin = bool(record.sysadmin)
    record.admin_in_auth = bool(record.admin_in_auth)
    return record


def _robot(row: tuple) -> RobotRecord:
    record = RobotRecord(*row)
    record.disabled = bool(record.disabled)
    return record


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, username: str, password_hash: str, *, email: str = "", realname: str = "",
                     comment: str = "", sysadmin: bool = False, source: str = "local",
                     external_id: str = "") -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO users (username, password_hash, email, realname, comment, sysadmin, created, updated,"
            " source, external_id, checked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            username, password_hash, email, realname, comment, int(sysadmin), now, now, source, external_id,
            now if source != "local" else 0.0,
        )
        return row[0]

    async def by_name(self, username: str) -> UserRecord | None:
        row = await self.db.fetchone(f"SELECT {_USER} FROM users WHERE username = ?", username)
        return _user(row) if row else None

    async def by_id(self, user_id: int) -> UserRecord | None:
        row = await self.db.fetchone(f"SELECT {_USER} FROM users WHERE id = ?", user_id)
        return _user(row) if row else None

    async def list(self, username_like: str = "", offset: int = 0, limit: int = 100) -> tuple[list[UserRecord], int]:
        pattern = f"%{username_like}%"
        total = (await self.db.fetchone("SELECT COUNT(*) FROM users WHERE username LIKE ?", pattern))[0]
        rows = await self.db.fetchall(
            f"SELECT {_USER} FROM users WHERE username LIKE ? ORDER BY id LIMIT ? OFFSET ?", pattern, limit, offset
        )
        return [_user(r) for r in rows], total

    async def update(self, user_id: int, **fields) -> bool:
        return await update_row(self.db, "users", user_id, fields,
                                ("password_hash", "email", "realname", "comment", "sysadmin", "checked",
                                 "admin_in_auth"))

    async def delete(self, user_id: int) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM members WHERE user_id = ?", user_id)
            await tx.execute("DELETE FROM user_group_links WHERE user_id = ?", user_id)
            await tx.execute("DELETE FROM external_credentials WHERE user_id = ?", user_id)
            return await tx.execute("DELETE FROM users WHERE id = ?", user_id) > 0


class RobotStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, record: RobotRecord) -> int:
        row = await self.db.fetchone(
            "INSERT INTO robots (name, description, level, project_id, secret_hash, disabled, expires_at,"
            " duration, permissions, creator, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            record.name, record.description, record.level, record.project_id, record.secret_hash,
            int(record.disabled), record.expires_at, record.duration, record.permissions, record.creator,
            record.created, record.updated,
        )
        return row[0]

    async def by_name(self, name: str) -> RobotRecord | None:
        row = await self.db.fetchone(f"SELECT {_ROBOT} FROM robots WHERE name = ?", name)
        return _robot(row) if row else None

    async def by_id(self, robot_id: int) -> RobotRecord | None:
        row = await self.db.fetchone(f"SELECT {_ROBOT} FROM robots WHERE id = ?", robot_id)
        return _robot(row) if row else None

    async def list(self, project_id: int | None = None) -> list[RobotRecord]:
        if project_id is None:
            rows = await self.db.fetchall(f"SELECT {_ROBOT} FROM robots ORDER BY id")
        else:
            rows = await self.db.fetchall(f"SELECT {_ROBOT} FROM robots WHERE project_id = ? ORDER BY id", project_id)
        return [_robot(r) for r in rows]

    async def update(self, robot_id: int, **fields) -> bool:
        return await update_row(self.db, "robots", robot_id, fields,
                                ("description", "secret_hash", "disabled", "expires_at", "duration", "permissions"))

    async def delete(self, robot_id: int) -> bool:
        return await self.db.execute("DELETE FROM robots WHERE id = ?", robot_id) > 0
