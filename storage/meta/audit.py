"""The audit log: who did what to which resource, and when."""
from __future__ import annotations

from storage.meta.database import Database
from storage.meta.records import AuditRecord


class AuditStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, entries: list[tuple[str, str, str, str, str, str, float]]) -> None:
        """Store (username, operation, resource, resource_type, result, client, op_time) rows at once."""
        if not entries:
            return
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO audit_log (username, operation, resource, resource_type, result, client, op_time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                entries,
            )

    async def list(self, offset: int = 0, limit: int = 100, operation: str | None = None,
                   resource_prefix: str | None = None) -> tuple[list[AuditRecord], int]:
        where, args = ["1 = 1"], []
        if operation:
            where.append("operation = ?")
            args.append(operation)
        if resource_prefix:
            where.append("resource LIKE ?")
            args.append(f"{resource_prefix}%")
        clause = " AND ".join(where)
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM audit_log WHERE {clause}", *args))[0]
        rows = await self.db.fetchall(
            "SELECT id, username, operation, resource, resource_type, result, client, op_time FROM audit_log"
            f" WHERE {clause} ORDER BY id DESC LIMIT ? OFFSET ?", *args, limit, offset,
        )
        return [AuditRecord(*r) for r in rows], total
