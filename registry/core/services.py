"""The registry's services, built once at start and shared by every handler."""
from __future__ import annotations

from dataclasses import dataclass

from registry.core.accounts import AccountService
from registry.core.artifacts import ArtifactService
from registry.core.audit import AuditTrail
from registry.core.blobs import BlobService
from registry.core.catalog import CatalogService
from registry.core.manifests import ManifestService
from registry.core.projects import ProjectService
from registry.core.pulls import PullCounter
from registry.core.repositories import RepositoryService
from registry.core.robots import RobotService
from registry.core.sessions import SessionService
from registry.core.uploads import UploadService
from registry.core.webhook_delivery import WebhookDelivery
from storage.blobs.base import BlobStore
from storage.meta.store import MetaStore


@dataclass
class Services:
    meta: MetaStore
    blob_store: BlobStore
    blobs: BlobService
    uploads: UploadService
    manifests: ManifestService
    pulls: PullCounter
    accounts: AccountService
    projects: ProjectService
    robots: RobotService
    audit: AuditTrail
    # The management API's views and the background webhook sender.
    artifacts: ArtifactService
    repositories: RepositoryService
    catalog: CatalogService
    sessions: SessionService
    webhooks: WebhookDelivery
