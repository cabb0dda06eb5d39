"""/retentions: a project's tag retention policy, its runs (dry or real) and what each deleted."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import authenticated, require
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json
from registry.api.paging import page_of, paged
from registry.core.records import ProjectRecord
from registry.core.retention import TEMPLATES, Policy, parse_policy
from registry.core.errors import RegistryError
from registry.http.appkeys import SERVICES

UNITS = {"latestPushedK": "COUNT", "latestPulledN": "COUNT", "nDaysSinceLastPush": "DAYS", "nDaysSinceLastPull": "DAYS"}


async def _project(request: web.Request, project_id: int, need: str) -> ProjectRecord:
    principal = await authenticated(request)
    project = await request.app[SERVICES].projects.by_id(project_id)
    if project is None:
        raise bad_request(f"project {project_id} does not exist")
    await require(request, principal, project, need)
    return project


async def _policy(request: web.Request, need: str) -> tuple[int, Policy]:
    policy_id = path_id(request, "retention_id")
    _, policy = await request.app[SERVICES].retention.get(policy_id)
    await _project(request, policy.project_id, need)
    return policy_id, policy


async def metadatas(request: web.Request) -> web.Response:
    await authenticated(request)
    return json_response({
        "templates": [{"rule_template": name, "display_text": text, "action": "retain",
                       "params": [{"type": "int", "unit": UNITS[name], "required": True}] if name in UNITS else []}
                      for name, text in TEMPLATES.items()],
        "scope_selectors": [{"display_text": "Repositories", "kind": "doublestar",
                             "decorations": ["repoMatches", "repoExcludes"]}],
        "tag_selectors": [{"display_text": "Tags", "kind": "doublestar", "decorations": ["matches", "excludes"]}],
    })


async def create_policy(request: web.Request) -> web.Response:
    policy = parse_policy(await read_json(request))
    project = await _project(request, policy.project_id, "update-project")
    policy_id = await request.app[SERVICES].retention.create(project, policy)
    return created(f"/api/v2.0/retentions/{policy_id}")


async def get_policy(request: web.Request) -> web.Response:
    policy_id, policy = await _policy(request, "read-members")
    return json_response(policy.as_json(policy_id))


async def update_policy(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "update-project")
    await request.app[SERVICES].retention.update(policy_id, parse_policy(await read_json(request)))
    return done()


async def delete_policy(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "update-project")
    await request.app[SERVICES].retention.delete(policy_id)
    return done()


async def run(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "update-project")
    dry_run = field(await read_json(request), "dry_run", bool, False)
    execution_id = await request.app[SERVICES].retention.launch(policy_id, dry_run)
    return created(f"/api/v2.0/retentions/{policy_id}/executions/{execution_id}")


async def stop(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "update-project")
    if field(await read_json(request), "action", str, "") != "stop":
        raise bad_request('the only action is "stop"')
    await request.app[SERVICES].retention.stop_execution(policy_id, path_id(request, "execution_id"))
    return done()


async def executions(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "read-members")
    page = page_of(request)
    found, total = await request.app[SERVICES].retention.executions(policy_id, page.offset, page.size)
    return paged(request, page, [render.retention_execution(e) for e in found], total)


async def tasks(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "read-members")
    page = page_of(request)
    found = await request.app[SERVICES].retention.tasks(policy_id, path_id(request, "execution_id"))
    shown = found[page.offset:page.offset + page.size]
    return paged(request, page, [render.retention_task(t) for t in shown], len(found))


async def task_log(request: web.Request) -> web.Response:
    policy_id, _ = await _policy(request, "read-members")
    task_id = path_id(request, "task_id")
    for task in await request.app[SERVICES].retention.tasks(policy_id, path_id(request, "execution_id")):
        if task.id == task_id:
            return web.Response(text=task.log, content_type="text/plain")
    raise RegistryError("NOT_FOUND", f"task {task_id} is not part of this execution", status=404)
