"""Webhook policies of projects: where to send which artifact events."""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database

_POLICY = "id, project_id, name, description, targets, event_types, enabled, creator, created, updated"


@dataclass(slots=True)
class WebhookPolicyRecord:
    id: int
    project_id: int
    name: str
    description: str
    targets: str  # JSON list, Harbor's shape
    event_types: str  # JSON list of event type names
    enabled: bool
    creator: str
    created: float
    updated: float


def _policy(row: tuple) -> WebhookPolicyRecord:
    record = WebhookPolicyRecord(*row)
    record.enabled = bool(record.enabled)
    return record


class WebhookStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, project_id: int, name: str, description: str, targets: str, event_types: str,
                     enabled: bool, creator: str) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO webhook_policies (project_id, name, description, targets, event_types, enabled, creator,"
            " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            project_id, name, description, targets, event_types, int(enabled), creator, now, now,
        )
        return row[0]

    async def get(self, project_id: int, policy_id: int) -> WebhookPolicyRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_POLICY} FROM webhook_policies WHERE project_id = ? AND id = ?", project_id, policy_id
        )
        return _policy(row) if row else None

    async def of_project(self, project_id: int) -> list[WebhookPolicyRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_POLICY} FROM webhook_policies WHERE project_id = ? ORDER BY id", project_id
        )
        return [_policy(r) for r in rows]

    async def update(self, policy_id: int, name: str, description: str, targets: str, event_types: str,
                     enabled: bool) -> None:
        await self.db.execute(
            "UPDATE webhook_policies SET name = ?, description = ?, targets = ?, event_types = ?, enabled = ?,"
            " updated = ? WHERE id = ?",
            name, description, targets, event_types, int(enabled), time.time(), policy_id,
        )

    async def delete(self, policy_id: int) -> bool:
        return await self.db.execute("DELETE FROM webhook_policies WHERE id = ?", policy_id) > 0

    async def delete_project(self, project_id: int) -> None:
        await self.db.execute("DELETE FROM webhook_policies WHERE project_id = ?", project_id)
