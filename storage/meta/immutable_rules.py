"""Tag immutability rules of projects: which tags no push, retag or delete may take away."""
from __future__ import annotations

import time
from dataclasses import dataclass

from storage.meta.database import Database

_RULE = "id, project_id, priority, disabled, tag_selectors, scope_selectors, created, updated"


@dataclass(slots=True)
class ImmutableRuleRecord:
    id: int
    project_id: int
    priority: int
    disabled: bool
    tag_selectors: str  # JSON list, Harbor's shape
    scope_selectors: str  # JSON object {"repository": [...]}, Harbor's shape
    created: float
    updated: float


def _rule(row: tuple) -> ImmutableRuleRecord:
    record = ImmutableRuleRecord(*row)
    record.disabled = bool(record.disabled)
    return record


class ImmutableRuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, project_id: int, priority: int, disabled: bool, tag_selectors: str,
                     scope_selectors: str) -> int:
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO immutable_rules (project_id, priority, disabled, tag_selectors, scope_selectors, created,"
            " updated) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            project_id, priority, int(disabled), tag_selectors, scope_selectors, now, now,
        )
        return row[0]

    async def of_project(self, project_id: int) -> list[ImmutableRuleRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_RULE} FROM immutable_rules WHERE project_id = ? ORDER BY priority, id", project_id
        )
        return [_rule(r) for r in rows]

    async def get(self, project_id: int, rule_id: int) -> ImmutableRuleRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_RULE} FROM immutable_rules WHERE project_id = ? AND id = ?", project_id, rule_id
        )
        return _rule(row) if row else None

    async def update(self, rule_id: int, priority: int, disabled: bool, tag_selectors: str,
                     scope_selectors: str) -> None:
        await self.db.execute(
            "UPDATE immutable_rules SET priority = ?, disabled = ?, tag_selectors = ?, scope_selectors = ?,"
            " updated = ? WHERE id = ?",
            priority, int(disabled), tag_selectors, scope_selectors, time.time(), rule_id,
        )

    async def delete(self, rule_id: int) -> bool:
        return await self.db.execute("DELETE FROM immutable_rules WHERE id = ?", rule_id) > 0

    async def delete_project(self, project_id: int) -> None:
        await self.db.execute("DELETE FROM immutable_rules WHERE project_id = ?", project_id)
