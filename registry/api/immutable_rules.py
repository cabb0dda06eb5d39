"""/projects/{project}/immutabletagrules: which tags of a project can never move or go."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import project_access
from registry.api.body import created, done, field, json_response, path_id, read_json
from registry.api.paging import page_of, paged
from registry.core.immutability import parse_rule
from registry.http.appkeys import SERVICES


async def list_rules(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    page = page_of(request)
    rules = await request.app[SERVICES].immutable_tags.rules(project)
    shown = rules[page.offset:page.offset + page.size]
    return paged(request, page, [render.immutable_rule(r, project.id) for r in shown], len(rules))


async def create_rule(request: web.Request) -> web.Response:
    _, project = await project_access(request, "update-project")
    rule_id = await request.app[SERVICES].immutable_tags.create(project, parse_rule(await read_json(request)))
    return created(f"/api/v2.0/projects/{request.match_info['project']}/immutabletagrules/{rule_id}")


async def update_rule(request: web.Request) -> web.Response:
    """Replace a rule; a body with only ``disabled`` enables or disables it, as Harbor's UI sends."""
    _, project = await project_access(request, "update-project")
    rules = request.app[SERVICES].immutable_tags
    rule_id = path_id(request, "immutable_rule_id")
    body = await read_json(request)
    if "tag_selectors" not in body and "scope_selectors" not in body and "disabled" in body:
        await rules.set_disabled(project, rule_id, field(body, "disabled", bool))
    else:
        await rules.update(project, rule_id, parse_rule(body))
    return done()


async def delete_rule(request: web.Request) -> web.Response:
    _, project = await project_access(request, "update-project")
    await request.app[SERVICES].immutable_tags.delete(project, path_id(request, "immutable_rule_id"))
    return done()


async def get_rule(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    rule = await request.app[SERVICES].immutable_tags.rule(project, path_id(request, "immutable_rule_id"))
    return json_response(render.immutable_rule(rule, project.id))
