"""Which projects are proxy caches, what upstream repository each name stands for, and
the rule that nothing is pushed into them.

A proxy-cache project holds what its upstream holds; a push would mix content the
upstream never had into it, so every way of writing (an upload, a mount, a copy, a
manifest, a tag) is refused with DENIED, as Harbor refuses it (403 and a message
saying why), and the pull path alone writes there.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from registry.core.errors import RegistryError
from registry.core.names import project_of
from registry.core.readcache import ReadCache
from registry.core.upstreams import DOCKER_HUB, UpstreamRegistries
from storage.meta.upstreams import EndpointRecord


DOCKER_HUB_HOSTS = frozenset({"docker.io", "registry-1.docker.io", "index.docker.io"})


def endpoint_host(endpoint: EndpointRecord) -> str:
    """``host[:port]`` of an endpoint's URL, as containerd names a registry in ``ns``."""
    return urlsplit(endpoint.url).netloc.lower()


def upstream_repository(endpoint: EndpointRecord, repo: str) -> str:
    """``repo`` without its project; Docker Hub's official images live under ``library/``."""
    rest = repo.split("/", 1)[1] if "/" in repo else ""
    if endpoint.type == DOCKER_HUB and rest and "/" not in rest:
        return f"library/{rest}"
    return rest


class ProxyProjects:
    def __init__(self, upstreams: UpstreamRegistries) -> None:
        self.upstreams = upstreams
        self._endpoints: ReadCache[EndpointRecord | bool] = ReadCache.over(upstreams.meta)
        self._mirrors: ReadCache[str | bool] = ReadCache.over(upstreams.meta)
        self._limits: ReadCache[int] = ReadCache.over(upstreams.meta)

    async def endpoint_of(self, repo: str) -> EndpointRecord | None:
        """The endpoint ``repo``'s project proxies; None for an ordinary project."""
        project = project_of(repo)
        found, marker = self._endpoints.lookup(project)
        if found is None:
            found = await self.upstreams.of_project(project) or False
            self._endpoints.store(project, found, marker)
        return found or None

    async def limit_of(self, repo: str) -> int:
        """How many upstream requests ``repo``'s project may have at once (-1: no limit)."""
        project = project_of(repo)
        found, marker = self._limits.lookup(project)
        if found is None:
            found = await self.upstreams.limit_of_project(project)
            self._limits.store(project, found, marker)
        return found

    async def refuse_push(self, repo: str) -> None:
        """DENIED when ``repo`` is in a proxy-cache project."""
        endpoint = await self.endpoint_of(repo)
        if endpoint is not None:
            raise RegistryError("DENIED", f"project {project_of(repo)} is a proxy cache of {endpoint.url}: it "
                                "takes no pushes; push to the upstream registry instead", {"registry": endpoint.name})

    async def mirrored(self, ns: str | None) -> str | None:
        """The public proxy-cache project the mirror serves for upstream ``ns`` (None: Docker Hub).

        containerd names the registry it mirrors in ``?ns=``; the project whose endpoint has
        that host answers (for Docker Hub any of its names). Docker's ``registry-mirrors``
        send no ``ns`` and mirror only Docker Hub: the docker-hub project answers. Among
        several candidates the oldest project wins. Private projects are never served here.
        """
        wanted = (ns or "docker.io").lower()
        found, marker = self._mirrors.lookup(wanted)
        if found is None:
            found = await self._mirrored(wanted) or False
            self._mirrors.store(wanted, found, marker)
        return found or None

    async def _mirrored(self, wanted: str) -> str | None:
        hub = wanted in DOCKER_HUB_HOSTS
        bindings = await self.upstreams.project_endpoints()
        endpoints = {e.id: e for e in await self.upstreams.all()}
        for project_id in sorted(bindings):
            endpoint = endpoints.get(bindings[project_id])
            if endpoint is None or not (endpoint_host(endpoint) == wanted or (hub and endpoint.type == DOCKER_HUB)):
                continue
            project = await self.upstreams.meta.projects.by_id(project_id)
            if project is not None and project.public:
                return project.name
        return None
