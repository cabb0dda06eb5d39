"""Background jobs shared by every process: leases, run history and schedules.

A *lease* is a row naming a job and who holds it until when; taking one is a single
conditional write, so across processes and machines one holder wins and a holder that
died is taken over once its lease expires. A schedule remembers when it last fired, and
claiming a firing is one conditional update too, so a schedule fires once however many
workers look at it. A *notice* is what one process learned that the others should tell
their clients too, until it expires.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database

_RUN = "id, kind, status, dry_run, delete_untagged, created, updated, manifests, blobs, freed, log"


@dataclass(slots=True)
class GcRunRecord:
    id: int
    kind: str  # MANUAL, SCHEDULE, CLI
    status: str  # Running, Success, Error
    dry_run: bool
    delete_untagged: bool
    created: float
    updated: float
    manifests: int
    blobs: int
    freed: int
    log: str


@dataclass(slots=True)
class ScheduleRecord:
    name: str
    kind: str  # Hourly, Daily, Weekly, Custom, None
    cron: str
    parameters: str  # JSON object
    last_fired: float | None


def _run(row: tuple) -> GcRunRecord:
    record = GcRunRecord(*row)
    record.dry_run, record.delete_untagged = bool(record.dry_run), bool(record.delete_untagged)
    return record


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- leases ----------------------------------------------------------------------
    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` unless someone else holds it unexpired."""
        now = time.time()
        return await self.db.execute(
            "INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
            " SET holder = excluded.holder, expires = excluded.expires"
            " WHERE leases.expires < ? OR leases.holder = excluded.holder",
            name, holder, now + seconds, now,
        ) > 0

    async def lease_held(self, name: str) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM leases WHERE name = ? AND expires >= ?", name, time.time())
        return row is not None

    async def release_lease(self, name: str, holder: str) -> None:
        await self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)

    # --- notices -----------------------------------------------------------------------
    async def post_notice(self, name: str, text: str, seconds: float) -> None:
        await self.db.execute(
            "INSERT INTO notices (name, text, expires) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
            " SET text = excluded.text, expires = excluded.expires", name, text, time.time() + seconds,
        )

    async def notice(self, name: str) -> str | None:
        row = await self.db.fetchone("SELECT text FROM notices WHERE name = ? AND expires >= ?", name, time.time())
        return row[0] if row else None

    async def drop_notice(self, name: str) -> None:
        await self.db.execute("DELETE FROM notices WHERE name = ?", name)

    # --- garbage collection runs -------------------------------------------------------
    async def start_gc(self, kind: str, dry_run: bool, delete_untagged: bool) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO gc_runs (kind, status, dry_run, delete_untagged, created, updated)"
            " VALUES (?, 'Running', ?, ?, ?, ?) RETURNING id",
            kind, int(dry_run), int(delete_untagged), now, now,
        )
        return row[0]

    async def abandon_running_gc(self, why: str) -> int:
        """Close runs left "Running" by a process that died (only the lease holder may call this)."""
        return await self.db.execute(
            "UPDATE gc_runs SET status = 'Error', log = ?, updated = ? WHERE status = 'Running'", why, time.time()
        )

    async def finish_gc(self, run_id: int, status: str, manifests: int, blobs: int, freed: int, log: str) -> None:
        await self.db.execute(
            "UPDATE gc_runs SET status = ?, manifests = ?, blobs = ?, freed = ?, log = ?, updated = ? WHERE id = ?",
            status, manifests, blobs, freed, log, time.time(), run_id,
        )

    async def gc_runs(self, offset: int, limit: int) -> tuple[list[GcRunRecord], int]:
        rows = await self.db.fetchall(f"SELECT {_RUN} FROM gc_runs ORDER BY id DESC LIMIT ? OFFSET ?", limit, offset)
        total = await self.db.fetchone("SELECT COUNT(*) FROM gc_runs")
        return [_run(r) for r in rows], total[0]

    async def gc_run(self, run_id: int) -> GcRunRecord | None:
        row = await self.db.fetchone(f"SELECT {_RUN} FROM gc_runs WHERE id = ?", run_id)
        return _run(row) if row else None

    # --- schedules -----------------------------------------------------------------------
    async def schedule(self, name: str) -> ScheduleRecord | None:
        row = await self.db.fetchone(
            "SELECT name, kind, cron, parameters, last_fired FROM schedules WHERE name = ?", name
        )
        return ScheduleRecord(*row) if row else None

    async def set_schedule(self, name: str, kind: str, cron: str, parameters: str) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO schedules (name, kind, cron, parameters, last_fired, updated) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, cron = excluded.cron,"
            " parameters = excluded.parameters, last_fired = excluded.last_fired, updated = excluded.updated",
            name, kind, cron, parameters, now, now,
        )

    async def claim_firing(self, name: str, due: float) -> bool:
        """Claim the firing due at ``due``: True for exactly one caller, however many ask."""
        return await self.db.execute(
            "UPDATE schedules SET last_fired = ? WHERE name = ? AND (last_fired IS NULL OR last_fired < ?)",
            due, name, due,
        ) > 0
