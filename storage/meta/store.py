"""MetaStore: the metadata store core depends on, over either database adapter.

It composes sub-stores that are all built alike (each from the ``Database``, each one
concern) and owns their lifecycle; the queries live in the sub-stores. Only facts live
here (what exists, what links to what); the rules that decide what may be written or
deleted live in ``registry.core``.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

from storage.meta import migrations
from storage.meta.accounts import RobotStore, UserStore
from storage.meta.audit import AuditStore
from storage.meta.blob_links import BlobLinkStore
from storage.meta.catalog import CatalogQueries
from storage.meta.database import Database
from storage.meta.identity import ExternalCredentialStore, GroupStore, SettingStore
from storage.meta.immutable_rules import ImmutableRuleStore
from storage.meta.jobs import JobStore
from storage.meta.labels import LabelStore
from storage.meta.retention import RetentionStore
from storage.meta.manifests import ManifestStore
from storage.meta.projects import ProjectStore
from storage.meta.pulls import PullStore
from storage.meta.references import ReferenceQueries
from storage.meta.repositories import RepositoryStore
from storage.meta.secrets import SecretStore
from storage.meta.sessions import SessionStore
from storage.meta.tags import TagStore
from storage.meta.uploads import UploadStore
from storage.meta.upstreams import UpstreamStore
from storage.meta.webhooks import WebhookStore


class MetaStore:
    def __init__(self, db: Database) -> None:
        self.db = db  # for storage and its conformance tests; everyone else uses the sub-stores
        self.repositories = RepositoryStore(db)
        self.blob_links = BlobLinkStore(db)
        self.manifests = ManifestStore(db)
        self.tags = TagStore(db)
        self.immutable_rules = ImmutableRuleStore(db)
        self.jobs = JobStore(db)
        self.retention = RetentionStore(db)
        self.uploads = UploadStore(db)
        self.pulls = PullStore(db)
        self.references = ReferenceQueries(db)
        self.catalog = CatalogQueries(db)
        self.users = UserStore(db)
        self.robots = RobotStore(db)
        self.groups = GroupStore(db)
        self.external_credentials = ExternalCredentialStore(db)
        self.settings = SettingStore(db)
        self.projects = ProjectStore(db)
        self.audit = AuditStore(db)
        self.secrets = SecretStore(db)
        self.sessions = SessionStore(db)
        self.webhooks = WebhookStore(db)
        self.labels = LabelStore(db)
        self.upstreams = UpstreamStore(db)
        # A value that moves whenever the database may have changed, for caches of reads;
        # None when the adapter offers none (see ``SqliteDatabase.change_marker``).
        self.change_marker: Callable[[], Hashable] | None = getattr(db, "change_marker", None)

    async def migrate(self) -> int:
        """Bring the schema to the newest version; return that version."""
        return await migrations.apply(self.db)

    async def schema_versions(self) -> list[int]:
        """The schema versions applied, in order."""
        return await migrations.applied(self.db)

    async def ping(self) -> None:
        """Raise unless the database answers."""
        await self.db.ping()

    async def close(self) -> None:
        await self.db.close()
