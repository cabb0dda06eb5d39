"""Metadata storage: one relational schema served by SQLite or PostgreSQL."""
from storage.meta.factory import open_meta_store
from storage.meta.store import MetaStore

__all__ = ["MetaStore", "open_meta_store"]
