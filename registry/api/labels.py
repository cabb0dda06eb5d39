"""/labels: global labels (system administrators) and projects' labels (their
administrators and maintainers), listed, made, changed and deleted."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.body import bad_request, created, done, field, json_response, path_id, positive_int, read_json, \
    record_id
from registry.api.guards import admin, caller, find_project, require
from registry.api.paging import listing_of, page_of, paged
from registry.core.labels import GLOBAL, PROJECT
from registry.core.listing import FUZZY, Term
from registry.core.records import LabelRecord
from registry.http.appkeys import SERVICES


async def _may(request: web.Request, scope: str, project_id: int | None, need: str | None) -> None:
    """Global labels: anyone reads them, system administrators change them; a project's: its
    rights decide (``need`` None: any right to see the project)."""
    if scope == GLOBAL:
        if need is not None:
            await admin(request)
        return
    project = await find_project(request, str(project_id))
    await require(request, await caller(request), project, need)


async def _label(request: web.Request, need: str | None) -> LabelRecord:
    label = await request.app[SERVICES].labels.get(path_id(request, "label_id"))
    await _may(request, label.scope, label.project_id, need)
    return label


def _scope(value: object) -> str:
    if value not in (GLOBAL, PROJECT):
        raise bad_request('scope must be "g" (global) or "p" (a project\'s)')
    return value


async def list_labels(request: web.Request) -> web.Response:
    """``scope=g`` (the default) or ``scope=p&project_id=<id>``; ``name`` matches fuzzily."""
    scope = _scope(request.query.get("scope", GLOBAL))
    raw_project = request.query.get("project_id", "")
    if scope == PROJECT and not raw_project:
        raise bad_request("project_id is required for a project's labels (scope=p)")
    project_id = positive_int(raw_project, "project_id") if scope == PROJECT else None
    await _may(request, scope, project_id, None)
    page = page_of(request)
    listing = listing_of(request, page)
    if request.query.get("name"):
        listing = listing.adding(Term("name", FUZZY, (request.query["name"],)))
    found, total = await request.app[SERVICES].labels.list(project_id, listing)
    return paged(request, page, [render.label(label) for label in found], total)


async def create_label(request: web.Request) -> web.Response:
    body = await read_json(request)
    scope = _scope(field(body, "scope", str, GLOBAL))
    project_id = record_id(body.get("project_id"), "project_id") if scope == PROJECT else None
    await _may(request, scope, project_id, "manage-labels")
    label_id = await request.app[SERVICES].labels.create(body.get("name"), body.get("description"),
                                                         body.get("color"), project_id)
    return created(f"/api/v2.0/labels/{label_id}")


async def get_label(request: web.Request) -> web.Response:
    return json_response(render.label(await _label(request, None)))


async def update_label(request: web.Request) -> web.Response:
    """Change name, description or color; scope and project stay."""
    label = await _label(request, "manage-labels")
    body = await read_json(request)
    await request.app[SERVICES].labels.update(label, body.get("name"), body.get("description"), body.get("color"))
    return done()


async def delete_label(request: web.Request) -> web.Response:
    label = await _label(request, "manage-labels")
    await request.app[SERVICES].labels.delete(label)
    return done()
