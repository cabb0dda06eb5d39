"""One way to update some columns of one row, shared by the small stores."""
from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from storage.meta.database import Database


async def update_row(db: Database, table: str, row_id: int, fields: Mapping[str, Any],
                     allowed: Collection[str]) -> bool:
    """Set the ``allowed`` columns among ``fields`` and ``updated``; True when the row exists.

    Booleans are stored as integers, which both SQLite and PostgreSQL columns here hold.
    """
    sets = {k: (int(v) if isinstance(v, bool) else v) for k, v in fields.items() if k in allowed}
    assignments = "".join(f"{column} = ?, " for column in sets)
    return await db.execute(
        f"UPDATE {table} SET {assignments}updated = ? WHERE id = ?", *sets.values(), time.time(), row_id
    ) > 0
