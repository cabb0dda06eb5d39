"""Webhook policies of projects: where to send which artifact events."""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database

_POLICY = "id, project_id, name, description, targets, event_types, enabled, creator, created, updated"
_EXECUTION = "id, policy_id, event_type, address, status, message, created, updated"
# Deliveries kept per policy; older ones are forgotten as new ones are recorded.
KEPT_EXECUTIONS = 100


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


@dataclass(slots=True)
class WebhookExecutionRecord:
    """One event sent to one target: how it ended, and when."""

    id: int
    policy_id: int
    event_type: str
    address: str
    status: str  # Success or Error
    message: str
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
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM webhook_executions WHERE policy_id = ?", policy_id)
            return await tx.execute("DELETE FROM webhook_policies WHERE id = ?", policy_id) > 0

    async def delete_project(self, project_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM webhook_executions WHERE policy_id IN"
                             " (SELECT id FROM webhook_policies WHERE project_id = ?)", project_id)
            await tx.execute("DELETE FROM webhook_policies WHERE project_id = ?", project_id)

    # --- executions: what was delivered -------------------------------------------------
    async def add_execution(self, policy_id: int, event_type: str, address: str, status: str, message: str,
                            started: float) -> int:
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO webhook_executions (policy_id, event_type, address, status, message, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                policy_id, event_type, address, status, message, started, time.time(),
            )
            await tx.execute(
                "DELETE FROM webhook_executions WHERE policy_id = ? AND id NOT IN"
                " (SELECT id FROM webhook_executions WHERE policy_id = ? ORDER BY id DESC LIMIT ?)",
                policy_id, policy_id, KEPT_EXECUTIONS,
            )
        return row[0]

    async def executions(self, policy_id: int, offset: int, limit: int) -> tuple[list[WebhookExecutionRecord], int]:
        """A page of the policy's deliveries, newest first, and how many are kept."""
        rows = await self.db.fetchall(
            f"SELECT {_EXECUTION} FROM webhook_executions WHERE policy_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            policy_id, limit, offset,
        )
        total = await self.db.fetchone("SELECT COUNT(*) FROM webhook_executions WHERE policy_id = ?", policy_id)
        return [WebhookExecutionRecord(*r) for r in rows], total[0]
