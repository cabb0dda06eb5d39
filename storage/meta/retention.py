"""Tag retention policies of projects, their executions, and one task per repository."""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Conflict, Database

_EXECUTION = "id, policy_id, status, trigger, dry_run, created, updated, freed_bytes"
_TASK = "id, execution_id, repository, status, total, retained, log, created, updated"


@dataclass(slots=True)
class RetentionPolicyRecord:
    id: int
    project_id: int
    policy: str  # JSON, Harbor's RetentionPolicy shape as validated
    created: float
    updated: float


@dataclass(slots=True)
class RetentionExecutionRecord:
    id: int
    policy_id: int
    status: str  # Running, Stopping, Succeed, Failed, Stopped
    trigger: str  # MANUAL, SCHEDULE
    dry_run: bool
    created: float
    updated: float
    freed_bytes: int  # what GC frees because of the deletions (or would, for a dry run)


@dataclass(slots=True)
class RetentionTaskRecord:
    id: int
    execution_id: int
    repository: str
    status: str
    total: int
    retained: int
    log: str
    created: float
    updated: float


def _execution(row: tuple) -> RetentionExecutionRecord:
    record = RetentionExecutionRecord(*row)
    record.dry_run = bool(record.dry_run)
    return record


class RetentionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- policies ------------------------------------------------------------------------
    async def create_policy(self, project_id: int, policy: str) -> int | None:
        """A new policy; None when the project has one already (one per project, as in Harbor)."""
        now = time.time()
        try:
            row = await self.db.fetchone(
                "INSERT INTO retention_policies (project_id, policy, created, updated) VALUES (?, ?, ?, ?)"
                " RETURNING id", project_id, policy, now, now,
            )
        except Conflict:
            return None
        return row[0]

    async def policy(self, policy_id: int) -> RetentionPolicyRecord | None:
        row = await self.db.fetchone(
            "SELECT id, project_id, policy, created, updated FROM retention_policies WHERE id = ?", policy_id
        )
        return RetentionPolicyRecord(*row) if row else None

    async def policy_of_project(self, project_id: int) -> RetentionPolicyRecord | None:
        row = await self.db.fetchone(
            "SELECT id, project_id, policy, created, updated FROM retention_policies WHERE project_id = ?", project_id
        )
        return RetentionPolicyRecord(*row) if row else None

    async def all_policies(self) -> list[RetentionPolicyRecord]:
        rows = await self.db.fetchall("SELECT id, project_id, policy, created, updated FROM retention_policies")
        return [RetentionPolicyRecord(*r) for r in rows]

    async def update_policy(self, policy_id: int, policy: str) -> None:
        await self.db.execute("UPDATE retention_policies SET policy = ?, updated = ? WHERE id = ?",
                              policy, time.time(), policy_id)

    async def delete_policy(self, policy_id: int) -> None:
        await self.db.execute("DELETE FROM retention_policies WHERE id = ?", policy_id)

    # --- executions and tasks ------------------------------------------------------------------
    async def start_execution(self, policy_id: int, trigger: str, dry_run: bool) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO retention_executions (policy_id, status, trigger, dry_run, created, updated)"
            " VALUES (?, 'Running', ?, ?, ?, ?) RETURNING id", policy_id, trigger, int(dry_run), now, now,
        )
        return row[0]

    async def finish_execution(self, execution_id: int, status: str, freed_bytes: int) -> None:
        await self.db.execute("UPDATE retention_executions SET status = ?, freed_bytes = ?, updated = ? WHERE id = ?",
                              status, freed_bytes, time.time(), execution_id)

    async def request_stop(self, execution_id: int) -> bool:
        """Mark a running execution to be stopped; False when it is not running."""
        return bool(await self.db.execute(
            "UPDATE retention_executions SET status = 'Stopping', updated = ? WHERE id = ? AND status = 'Running'",
            time.time(), execution_id))

    async def heartbeat(self, execution_id: int) -> str | None:
        """Show that the execution's process is alive; its status (Stopping when asked to stop)."""
        row = await self.db.fetchone(
            "UPDATE retention_executions SET updated = ? WHERE id = ? RETURNING status", time.time(), execution_id
        )
        return row[0] if row else None

    async def abandon_silent(self, before: float) -> int:
        """Close the executions whose process stopped beating before ``before``: it died mid-run."""
        return await self.db.execute(
            "UPDATE retention_executions SET status = 'Failed' WHERE status IN ('Running', 'Stopping')"
            " AND updated < ?", before,
        )

    async def executions(self, policy_id: int, offset: int, limit: int) -> tuple[list[RetentionExecutionRecord], int]:
        rows = await self.db.fetchall(
            f"SELECT {_EXECUTION} FROM retention_executions WHERE policy_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            policy_id, limit, offset,
        )
        total = await self.db.fetchone("SELECT COUNT(*) FROM retention_executions WHERE policy_id = ?", policy_id)
        return [_execution(r) for r in rows], total[0]

    async def execution(self, policy_id: int, execution_id: int) -> RetentionExecutionRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_EXECUTION} FROM retention_executions WHERE policy_id = ? AND id = ?", policy_id, execution_id
        )
        return _execution(row) if row else None

    async def add_task(self, execution_id: int, repository: str, status: str, total: int, retained: int,
                       log: str, started: float) -> int:
        row = await self.db.fetchone(
            "INSERT INTO retention_tasks (execution_id, repository, status, total, retained, log, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            execution_id, repository, status, total, retained, log, started, time.time(),
        )
        return row[0]

    async def tasks(self, execution_id: int) -> list[RetentionTaskRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_TASK} FROM retention_tasks WHERE execution_id = ? ORDER BY id", execution_id
        )
        return [RetentionTaskRecord(*r) for r in rows]
