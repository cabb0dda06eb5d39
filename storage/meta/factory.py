"""Choose the metadata backend named by the ``database`` section of the configuration."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.meta.store import MetaStore


async def open_meta_store(section: dict[str, Any], data_dir: Path) -> MetaStore:
    kind = section.get("driver", "sqlite")
    if kind == "sqlite":
        from storage.meta.sqlite import SqliteDatabase

        db = SqliteDatabase(Path(section.get("path") or data_dir / "berth.db"))
    elif kind == "postgres":
        from storage.meta.postgres import PostgresDatabase

        db = await PostgresDatabase.connect(section.get("dsn") or "", int(section.get("pool_size", 10)))
    else:
        raise ValueError(f"database.driver: unknown driver {kind!r} (sqlite or postgres)")
    store = MetaStore(db)
    await store.migrate()
    return store
