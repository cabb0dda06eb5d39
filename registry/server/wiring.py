"""Opening the configured stores and building core's services on them.

The only place that knows which store backs which service; ``berth serve``, every
worker and every command open a registry through here.
"""
from __future__ import annotations

from dataclasses import dataclass

from registry.config import Config
from registry.core.accounts import AccountService
from registry.core.artifacts import ArtifactService
from registry.core.audit import AuditTrail
from registry.core.blobs import BlobService
from registry.core.catalog import CatalogService
from registry.core.external_users import ExternalUsers
from registry.core.fsck import Fsck
from registry.core.gc import GarbageCollector
from registry.core.gc_jobs import GcJobs
from registry.core.groups import GroupService
from registry.core.health import HealthCheck
from registry.core.identity_settings import IdentitySettings
from registry.core.immutability import ImmutableTags
from registry.core.links import BlobLinks
from registry.core.manifests import ManifestService
from registry.core.projects import ProjectService
from registry.core.proxy import ProxyCache
from registry.core.proxy_claims import UpstreamClaims
from registry.core.proxy_projects import ProxyProjects
from registry.core.pulls import PullCounter
from registry.core.quotas import QuotaService
from registry.core.labels import LabelService
from registry.core.repositories import RepositoryService
from registry.core.retention import RetentionService
from registry.core.robots import RobotService
from registry.core.secrets import SharedSecrets
from registry.core.services import Services
from registry.core.sessions import SessionService
from registry.core.timed_blobs import TimedBlobStore
from registry.core.uploads import UploadLimits, UploadService
from registry.core.upstreams import UpstreamRegistries
from registry.core.webhook_delivery import WebhookDelivery
from registry.core.webhooks import WebhookPolicies
from storage.blobs import open_blob_store
from storage.blobs.base import BlobStore
from storage.meta import open_meta_store
from storage.meta.store import MetaStore


@dataclass
class OpenRegistry:
    """Core's services with the stores under them, which only the opener closes."""

    services: Services
    meta: MetaStore
    blob_store: BlobStore

    async def close(self) -> None:
        if self.services.blobs.proxy is not None:
            await self.services.blobs.proxy.close()
        await self.services.upstreams.close()
        await self.blob_store.close()
        await self.meta.close()


def build_services(config: Config, meta: MetaStore, blob_store: BlobStore) -> Services:
    blob_store = TimedBlobStore(blob_store, config["storage.driver"])
    limits = UploadLimits(
        max_sessions_per_client=config["limits.upload_sessions_per_client"],
        stale_after=float(config["limits.upload_stale_after"]),
    )
    accounts = AccountService(meta, float(config["auth.provider_refresh_seconds"]))
    groups = GroupService(meta)
    quotas = QuotaService(meta)
    secrets = SharedSecrets(meta)
    upstreams = UpstreamRegistries(meta, secrets, config["proxy.upstream_hosts"], float(config["proxy.timeout"]))
    proxies = ProxyProjects(upstreams)
    links = BlobLinks(meta, blob_store, quotas, proxies)
    immutable_tags = ImmutableTags(meta)
    manifests = ManifestService(meta, blob_store, max_bytes=config["limits.max_manifest_bytes"],
                                immutability=immutable_tags, quotas=quotas, proxies=proxies)
    blobs = BlobService(meta, blob_store, links)
    # The read path's hook: misses in proxy-cache projects are fetched from their upstreams.
    manifests.proxy = blobs.proxy = ProxyCache(upstreams, proxies, manifests, links, quotas, blob_store,
                                               UpstreamClaims(meta.jobs), config.data_dir / "proxy-fetches",
                                               check_interval=float(config["proxy.manifest_check_interval"]))
    projects = ProjectService(meta, auto_create=config["auth.auto_create_projects"])
    artifacts = ArtifactService(meta, blob_store, manifests, links)
    services = Services(
        blobs=blobs,
        uploads=UploadService(meta, blob_store, links, limits),
        manifests=manifests,
        pulls=PullCounter(meta, float(config["pulls.flush_interval"])),
        quotas=quotas,
        accounts=accounts,
        projects=projects,
        robots=RobotService(meta, on_change=accounts.changed),
        audit=AuditTrail(meta),
        artifacts=artifacts,
        repositories=RepositoryService(meta, manifests),
        catalog=CatalogService(meta, projects),
        sessions=SessionService(meta, accounts, float(config["api.session_lifetime"])),
        webhooks=WebhookDelivery(WebhookPolicies(meta), queue_size=config["webhooks.queue_size"],
                                 workers=config["webhooks.workers"], retries=config["webhooks.retries"],
                                 timeout=float(config["webhooks.timeout"]),
                                 backoff=float(config["webhooks.backoff"])),
        secrets=secrets,
        health=HealthCheck(meta, blob_store),
        # In a server, a manifest GC deletes leaves its in-memory cache too.
        gc=GcJobs(meta, GarbageCollector(meta, blob_store, manifests.cache.drop), float(config["gc.grace"]),
                  float(config["gc.interval"]), config["gc.untagged"]),
        immutable_tags=immutable_tags,
        retention=RetentionService(meta, artifacts, immutable_tags),
        fsck=Fsck(meta, blob_store, config.data_dir / "quarantine"),
        upstreams=upstreams,
        proxies=proxies,
        groups=groups,
        external_users=ExternalUsers(meta, accounts, groups, secrets),
        identity_settings=IdentitySettings(meta, config),
        labels=LabelService(meta),
    )
    upstreams.on_bound = services.retention.keep_recently_pulled
    return services


async def open_registry(config: Config, create: bool = True) -> OpenRegistry:
    """Connect to the configured stores (migrating the schema) and build the services.

    Only ``berth serve`` and ``berth init`` create a registry; commands pass
    ``create=False`` so that one run in the wrong folder says so instead of setting up
    a new registry there.
    """
    data_dir = config.data_dir
    if create:
        data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_meta_store(config.section("database"), data_dir, create)
    try:
        blob_store = await open_blob_store(config.section("storage"), data_dir)
    except BaseException:
        await meta.close()
        raise
    return OpenRegistry(build_services(config, meta, blob_store), meta, blob_store)
