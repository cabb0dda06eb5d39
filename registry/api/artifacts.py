"""/projects/{p}/repositories/{r}/artifacts: list, get, delete, copy, and tags."""
from __future__ import annotations

import re

from aiohttp import web

from registry.api import render
from registry.api.guards import find_project, project_access, require
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json, record_id
from registry.api.paging import listing_of, matches, page_of, paged, query_terms
from registry.api.repositories import repository_name
from registry.core.names import project_of, validate_name
from registry.core.errors import RegistryError
from registry.http.appkeys import SERVICES

_FROM = re.compile(r"^(?P<repo>[^@:]+)(?:@(?P<digest>[a-z0-9+._-]+:[a-fA-F0-9]+)|:(?P<tag>[^@:/]+))$")


def _location(request: web.Request, reference: str, suffix: str = "") -> str:
    info = request.match_info
    return (f"/api/v2.0/projects/{info['project']}/repositories/{info['repository']}/artifacts/"
            f"{reference}{suffix}")


async def _target(request: web.Request, need: str | None = None):
    principal, project = await project_access(request, need, by_name=True)
    return principal, project, repository_name(request, project)


def _with_label(request: web.Request) -> bool:
    """Harbor's ``with_label``: labels are read only when asked for."""
    value = request.query.get("with_label", "false").lower()
    if value not in ("true", "false"):
        raise bad_request('with_label must be "true" or "false"')
    return value == "true"


async def list_artifacts(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project, repo = await _target(request)
    page = page_of(request)
    await services.repositories.get(repo)
    found, total = await services.artifacts.list(repo, listing_of(request, page))
    if _with_label(request):
        await services.labels.show_on(found)
    return paged(request, page, [render.artifact(a, project.id) for a in found], total)


async def get_artifact(request: web.Request) -> web.Response:
    _, project, repo = await _target(request)
    services = request.app[SERVICES]
    found = await services.artifacts.get(repo, request.match_info["reference"])
    if _with_label(request):
        await services.labels.show_on([found])
    return json_response(render.artifact(found, project.id))


async def delete_artifact(request: web.Request) -> web.Response:
    _, _, repo = await _target(request, "delete")
    reference = request.match_info["reference"]
    digest = await request.app[SERVICES].artifacts.delete(repo, reference)
    request["audit"] = ("delete", repo, reference, digest)
    return done()


async def copy_artifact(request: web.Request) -> web.Response:
    """Copy ``from=<project>/<repo>@<digest>`` (or ``:<tag>``) here; pull there, push here."""
    services = request.app[SERVICES]
    principal, _, target = await _target(request, "push")
    match = _FROM.match(request.query.get("from", ""))
    if match is None:
        raise bad_request("from must be <project>/<repository>@<digest> or <project>/<repository>:<tag>")
    try:
        source = validate_name(match["repo"])
    except RegistryError:
        raise bad_request(f"invalid source repository {match['repo'][:255]!r}") from None
    await require(request, principal, await find_project(request, project_of(source), by_name=True), "pull")
    digest = await services.artifacts.copy(source, match["digest"] or match["tag"], target)
    request["audit"] = ("push", target, digest, digest)
    return created(_location(request, digest))


async def list_tags(request: web.Request) -> web.Response:
    _, _, repo = await _target(request)
    page = page_of(request)
    found = await request.app[SERVICES].artifacts.get(repo, request.match_info["reference"])
    name = query_terms(request).get("name", "")
    tags = [{"name": t.name, "push_time": render.when(t.push_time), "pull_time": render.when(t.pull_time),
             "immutable": t.immutable} for t in found.tags if matches(t.name, name)]
    return paged(request, page, tags[page.offset:page.offset + page.size], len(tags))


async def add_tag(request: web.Request) -> web.Response:
    _, _, repo = await _target(request, "push")
    name = field(await read_json(request), "name", str, max_length=128)
    await request.app[SERVICES].artifacts.add_tag(repo, request.match_info["reference"], name)
    return created(_location(request, request.match_info["reference"], f"/tags/{name}"))


async def delete_tag(request: web.Request) -> web.Response:
    _, _, repo = await _target(request, "delete")
    await request.app[SERVICES].artifacts.delete_tag(repo, request.match_info["reference"],
                                                     request.match_info["tag"])
    return done()


async def add_label(request: web.Request) -> web.Response:
    """Put a label (``{"id": <label id>}``) on the artifact: global, or of this project."""
    services = request.app[SERVICES]
    _, project, repo = await _target(request, "push")
    label = await services.labels.get(record_id(field(await read_json(request), "id", int), "id"))
    artifact = await services.artifacts.get(repo, request.match_info["reference"])
    await services.labels.attach(artifact, project.id, label)
    return done()


async def remove_label(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, _, repo = await _target(request, "push")
    label_id = path_id(request, "label_id")
    artifact = await services.artifacts.get(repo, request.match_info["reference"])
    await services.labels.detach(artifact, label_id)
    return done()
