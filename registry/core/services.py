"""The services core offers: everything a handler or command may use, and nothing below it.

Handlers, the token service and the commands receive this and never a store, so every
rule that must see a read, a tag write or a blob link has one place to live.
"""
from __future__ import annotations

from dataclasses import dataclass

from registry.core.accounts import AccountService
from registry.core.artifacts import ArtifactService
from registry.core.audit import AuditTrail
from registry.core.blobs import BlobService
from registry.core.catalog import CatalogService
from registry.core.external_users import ExternalUsers
from registry.core.fsck import Fsck
from registry.core.gc_jobs import GcJobs
from registry.core.groups import GroupService
from registry.core.health import HealthCheck
from registry.core.identity_settings import IdentitySettings
from registry.core.immutability import ImmutableTags
from registry.core.manifests import ManifestService
from registry.core.projects import ProjectService
from registry.core.proxy_projects import ProxyProjects
from registry.core.pulls import PullCounter
from registry.core.quotas import QuotaService
from registry.core.labels import LabelService
from registry.core.repositories import RepositoryService
from registry.core.retention import RetentionService
from registry.core.robots import RobotService
from registry.core.secrets import SharedSecrets
from registry.core.sessions import SessionService
from registry.core.uploads import UploadService
from registry.core.upstreams import UpstreamRegistries
from registry.core.webhook_delivery import WebhookDelivery


@dataclass
class Services:
    blobs: BlobService
    uploads: UploadService
    manifests: ManifestService
    pulls: PullCounter
    quotas: QuotaService
    accounts: AccountService
    projects: ProjectService
    robots: RobotService
    audit: AuditTrail
    artifacts: ArtifactService
    repositories: RepositoryService
    catalog: CatalogService
    sessions: SessionService
    webhooks: WebhookDelivery
    secrets: SharedSecrets
    health: HealthCheck
    gc: GcJobs
    immutable_tags: ImmutableTags
    retention: RetentionService
    fsck: Fsck
    upstreams: UpstreamRegistries
    proxies: ProxyProjects
    groups: GroupService
    external_users: ExternalUsers
    identity_settings: IdentitySettings
    labels: LabelService
