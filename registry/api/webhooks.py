"""/projects/{project}/webhook/policies: where a project's artifact events are sent."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import project_access
from registry.api.body import created, done, field, json_response, path_id, read_json
from registry.api.paging import matches, page_of, paged, query_terms
from registry.core.webhooks import parse_event_types, parse_targets
from registry.http.appkeys import SERVICES


def _policy_fields(body: dict) -> dict:
    return {
        "name": field(body, "name", str, max_length=255),
        "description": field(body, "description", str, ""),
        "targets": parse_targets(body.get("targets")),
        "event_types": parse_event_types(body.get("event_types")),
        "enabled": field(body, "enabled", bool, True),
    }


async def list_policies(request: web.Request) -> web.Response:
    """Filter by name with ``q=name=~part`` (or ``q=name=exact``)."""
    _, project = await project_access(request, "read-members")
    page = page_of(request)
    name = query_terms(request).get("name", "")
    policies = [p for p in await request.app[SERVICES].webhooks.policies.list(project) if matches(p.name, name)]
    return paged(request, page, [render.webhook_policy(p) for p in policies[page.offset:page.offset + page.size]],
                 len(policies))


async def create_policy(request: web.Request) -> web.Response:
    principal, project = await project_access(request, "update-project")
    fields = _policy_fields(await read_json(request))
    policy_id = await request.app[SERVICES].webhooks.policies.create(project, creator=principal.name, **fields)
    return created(f"/api/v2.0/projects/{request.match_info['project']}/webhook/policies/{policy_id}")


async def get_policy(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    policy = await request.app[SERVICES].webhooks.policies.get(project, path_id(request, "policy_id"))
    return json_response(render.webhook_policy(policy))


async def update_policy(request: web.Request) -> web.Response:
    _, project = await project_access(request, "update-project")
    policies = request.app[SERVICES].webhooks.policies
    policy = await policies.get(project, path_id(request, "policy_id"))
    await policies.update(policy, **_policy_fields(await read_json(request)))
    return done()


async def delete_policy(request: web.Request) -> web.Response:
    _, project = await project_access(request, "update-project")
    policies = request.app[SERVICES].webhooks.policies
    await policies.delete(await policies.get(project, path_id(request, "policy_id")))
    return done()


async def test_policy(request: web.Request) -> web.Response:
    """Send the body's targets a test call now: 200 when each took it, 400 naming the first that did not."""
    principal, project = await project_access(request, "update-project")
    targets = parse_targets((await read_json(request)).get("targets"))
    await request.app[SERVICES].webhooks.test(targets, principal.name, project)
    return done()


async def list_executions(request: web.Request) -> web.Response:
    """The policy's latest deliveries, newest first."""
    _, project = await project_access(request, "read-members")
    policies = request.app[SERVICES].webhooks.policies
    policy = await policies.get(project, path_id(request, "policy_id"))
    page = page_of(request)
    found, total = await policies.executions(policy, page.offset, page.size)
    return paged(request, page, [render.webhook_execution(e) for e in found], total)
