"""/health, /systeminfo, /statistics and /search: the registry as a whole."""
from __future__ import annotations

import time
from importlib import metadata
from urllib.parse import urlsplit

from aiohttp import web

from registry.api import render
from registry.api.guards import admin, caller
from registry.api.body import json_response
from registry.core.identity_settings import auth_mode, oidc_on
from registry.http.appkeys import CONFIG, SERVICES


def _version() -> str:
    try:
        return "berth-" + metadata.version("berth")
    except metadata.PackageNotFoundError:
        return "berth-dev"


async def health(request: web.Request) -> web.Response:
    """Health of Berth and what it depends on; 200 even when unhealthy, as in Harbor."""
    components = [{"name": "core", "status": "healthy"}]
    for component in await request.app[SERVICES].health.components():
        components.append({"name": component.name, "status": "healthy"} if component.healthy
                          else {"name": component.name, "status": "unhealthy", "error": component.error})
    status = "healthy" if all(c["status"] == "healthy" for c in components) else "unhealthy"
    return json_response({"status": status, "components": components})


async def systeminfo(request: web.Request) -> web.Response:
    principal = await caller(request)
    config = request.app[CONFIG]
    identity = await request.app[SERVICES].identity_settings.current()
    info = {
        "auth_mode": auth_mode(identity),
        "primary_auth_mode": True,
        "self_registration": False,
        "harbor_version": _version(),
        "banner_message": "",
    }
    if oidc_on(identity):
        info["oidc_provider_name"] = identity["oidc_name"] or "OIDC"
    if not principal.anonymous:
        info.update({
            "current_time": render.when(time.time()),
            "registry_url": urlsplit(config["http.external_url"]).netloc or request.host,
            "external_url": config["http.external_url"] or f"{request.scheme}://{request.host}",
            "project_creation_restriction": "everyone",
            "has_ca_root": False,
            "read_only": False,
            "notification_enable": True,
            "registry_storage_provider_name": config["storage.driver"],
        })
    return json_response(info)


async def volumes(request: web.Request) -> web.Response:
    """Total and free bytes where blobs are stored (system administrators); an empty list
    when they are in an object store, which has no fixed size to report."""
    await admin(request)
    found = await request.app[SERVICES].blobs.volumes()
    return json_response({"storage": [{"total": total, "free": free} for total, free in found]})


async def statistics(request: web.Request) -> web.Response:
    principal = await caller(request)
    return json_response(render.statistics(await request.app[SERVICES].catalog.statistics(principal)))


async def search(request: web.Request) -> web.Response:
    """Projects and repositories whose names contain ``q``, among those the caller may see."""
    principal = await caller(request)
    projects, repos = await request.app[SERVICES].catalog.search(principal, request.query.get("q", "")[:255])
    counts = await request.app[SERVICES].catalog.repo_counts()
    return json_response({
        "project": [render.project(p, counts.get(p.name, 0)) for p in projects],
        "repository": [
            {"project_id": p.id, "project_name": p.name, "project_public": p.public, "repository_name": r.name,
             "pull_count": r.pull_count, "artifact_count": r.artifact_count}
            for p, r in repos
        ],
    })
