"""Which projects are proxy caches, what upstream repository each name stands for, and
the rule that nothing is pushed into them.

A proxy-cache project holds what its upstream holds; a push would mix content the
upstream never had into it, so every way of writing (an upload, a mount, a copy, a
manifest, a tag) is refused with DENIED, as Harbor refuses it (403 and a message
saying why), and the pull path alone writes there.
"""
from __future__ import annotations

from registry.core.errors import RegistryError
from registry.core.names import project_of
from registry.core.readcache import ReadCache
from registry.core.upstreams import DOCKER_HUB, UpstreamRegistries
from storage.meta.upstreams import EndpointRecord


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

    async def endpoint_of(self, repo: str) -> EndpointRecord | None:
        """The endpoint ``repo``'s project proxies; None for an ordinary project."""
        project = project_of(repo)
        found, marker = self._endpoints.lookup(project)
        if found is None:
            found = await self.upstreams.of_project(project) or False
            self._endpoints.store(project, found, marker)
        return found or None

    async def refuse_push(self, repo: str) -> None:
        """DENIED when ``repo`` is in a proxy-cache project."""
        endpoint = await self.endpoint_of(repo)
        if endpoint is not None:
            raise RegistryError("DENIED", f"project {project_of(repo)} is a proxy cache of {endpoint.url}: it "
                                "takes no pushes; push to the upstream registry instead", {"registry": endpoint.name})
