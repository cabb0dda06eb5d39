"""Choose the metadata backend named by the ``database`` section of the configuration."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.meta.store import MetaStore


class NoRegistry(LookupError):
    """The configured database holds no registry, and this caller may not create one."""


async def open_meta_store(section: dict[str, Any], data_dir: Path, create: bool = True) -> MetaStore:
    """Open (and migrate) the metadata store; with ``create=False`` only one that exists."""
    kind = section.get("driver", "sqlite")
    if kind == "sqlite":
        from storage.meta.sqlite import SqliteDatabase

        path = Path(section.get("path") or data_dir / "berth.db")
        if not create and not path.is_file():
            raise NoRegistry(f"no registry database at {path}")
        db = SqliteDatabase(path)
    elif kind == "postgres":
        from storage.meta.postgres import PostgresDatabase, redact

        dsn = section.get("dsn") or ""
        db = await PostgresDatabase.connect(dsn, int(section.get("pool_size", 10)))
        if not create and not await db.has_schema():
            await db.close()
            raise NoRegistry(f"the PostgreSQL database {redact(dsn)} holds no registry")
    else:
        raise ValueError(f"database.driver: unknown driver {kind!r} (sqlite or postgres)")
    store = MetaStore(db)
    await store.migrate()
    return store
