"""Registry endpoints (upstreams) and the proxy-cache projects bound to them.

The secret of an endpoint is stored as the caller hands it over (core encrypts it
before); this store never sees a plain password.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database
from storage.meta.rows import update_row

_ENDPOINT = "id, name, type, url, access_key, secret, insecure, description, created, updated"


@dataclass(slots=True)
class EndpointRecord:
    id: int
    name: str
    type: str
    url: str
    access_key: str
    secret: str  # encrypted
    insecure: bool
    description: str
    created: float
    updated: float


def _endpoint(row: tuple) -> EndpointRecord:
    record = EndpointRecord(*row)
    record.insecure = bool(record.insecure)
    return record


class UpstreamStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, type_: str, url: str, access_key: str, secret: str, insecure: bool,
                     description: str) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO registry_endpoints (name, type, url, access_key, secret, insecure, description, created,"
            " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            name, type_, url, access_key, secret, int(insecure), description, now, now,
        )
        return row[0]

    async def get(self, endpoint_id: int) -> EndpointRecord | None:
        row = await self.db.fetchone(f"SELECT {_ENDPOINT} FROM registry_endpoints WHERE id = ?", endpoint_id)
        return _endpoint(row) if row else None

    async def all(self) -> list[EndpointRecord]:
        return [_endpoint(r) for r in await self.db.fetchall(f"SELECT {_ENDPOINT} FROM registry_endpoints ORDER BY id")]

    async def update(self, endpoint_id: int, **fields) -> bool:
        return await update_row(self.db, "registry_endpoints", endpoint_id, fields,
                                ("name", "type", "url", "access_key", "secret", "insecure", "description"))

    async def delete(self, endpoint_id: int) -> bool:
        return await self.db.execute("DELETE FROM registry_endpoints WHERE id = ?", endpoint_id) > 0

    # --- proxy-cache projects ------------------------------------------------------
    async def bind(self, project_id: int, endpoint_id: int, max_upstream_conn: int = -1) -> None:
        await self.db.execute(
            "INSERT INTO proxy_projects (project_id, endpoint_id, max_upstream_conn) VALUES (?, ?, ?)",
            project_id, endpoint_id, max_upstream_conn,
        )

    async def set_max_upstream_conn(self, project_id: int, limit: int) -> bool:
        return await self.db.execute(
            "UPDATE proxy_projects SET max_upstream_conn = ? WHERE project_id = ?", limit, project_id
        ) > 0

    async def max_upstream_conn(self, project: str) -> int:
        """A proxy-cache project's (by name) limit on concurrent upstream requests; -1: none."""
        row = await self.db.fetchone(
            "SELECT b.max_upstream_conn FROM proxy_projects b JOIN projects p ON p.id = b.project_id"
            " WHERE p.name = ?", project,
        )
        return row[0] if row else -1

    async def unbind(self, project_id: int) -> None:
        await self.db.execute("DELETE FROM proxy_projects WHERE project_id = ?", project_id)

    async def endpoint_of_project(self, project: str) -> EndpointRecord | None:
        """The endpoint a project (by name) proxies, or None for an ordinary project."""
        columns = ", ".join(f"e.{c.strip()}" for c in _ENDPOINT.split(","))
        row = await self.db.fetchone(
            f"SELECT {columns} FROM proxy_projects b JOIN projects p ON p.id = b.project_id"
            " JOIN registry_endpoints e ON e.id = b.endpoint_id WHERE p.name = ?", project,
        )
        return _endpoint(row) if row else None

    async def bindings(self) -> dict[int, int]:
        """Project id → endpoint id, for every proxy-cache project."""
        return dict(await self.db.fetchall("SELECT project_id, endpoint_id FROM proxy_projects"))

    async def limits(self) -> dict[int, int]:
        """Project id → max_upstream_conn, for every proxy-cache project."""
        return dict(await self.db.fetchall("SELECT project_id, max_upstream_conn FROM proxy_projects"))
