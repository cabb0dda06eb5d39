"""/robots: robot accounts. System robots are for admins; a project robot is managed by
whoever may manage robots in its project. The secret is shown once.
"""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import admin, authenticated, find_project, require
from registry.api.body import created, done, field, json_response, path_id, positive_int, read_json
from registry.api.paging import matches, page_of, paged, query_terms
from registry.core.robots import robot_project
from registry.http.appkeys import SERVICES
from registry.core.records import RobotRecord


async def _managed_robot(request: web.Request) -> RobotRecord:
    services = request.app[SERVICES]
    principal = await authenticated(request)
    robot = await services.robots.get(path_id(request, "robot_id"))
    if robot.level == "system" or robot.project_id is None:
        await admin(request)
    else:
        project = await services.projects.by_id(robot.project_id)
        if project is None:
            await admin(request)
        else:
            await require(request, principal, project, "manage-robots")
    return robot


async def list_robots(request: web.Request) -> web.Response:
    """All robots for admins; otherwise ``q=Level=project,ProjectID=<id>`` of a project you manage."""
    services = request.app[SERVICES]
    principal = await authenticated(request)
    page = page_of(request)
    terms = query_terms(request)
    project_id = terms.get("ProjectID") or request.query.get("project_id")
    if project_id:
        project = await find_project(request, str(positive_int(project_id, "ProjectID")))
        await require(request, principal, project, "manage-robots")
        robots = await services.robots.list(project.id)
    else:
        await admin(request)
        robots = await services.robots.list()
    if terms.get("Level"):
        robots = [r for r in robots if r.level == terms["Level"]]
    robots = [r for r in robots if matches(r.name, terms.get("name", ""))]
    return paged(request, page, [render.robot(r) for r in robots[page.offset:page.offset + page.size]],
                 len(robots))


async def create_robot(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticated(request)
    body = await read_json(request)
    level = field(body, "level", str)
    permissions = field(body, "permissions", list, [])
    project = robot_project(level, permissions)
    if project is not None:
        await require(request, principal, await find_project(request, project, by_name=True), "manage-robots")
    else:
        await admin(request)
    robot = await services.robots.create(
        field(body, "name", str, max_length=255), level, permissions,
        description=field(body, "description", str, ""), duration=field(body, "duration", int, -1),
        disabled=field(body, "disable", bool, False), creator=principal.name,
        secret=field(body, "secret", str, None, max_length=128),
    )
    return created(f"/api/v2.0/robots/{robot.id}", render.robot_created(robot))


async def get_robot(request: web.Request) -> web.Response:
    return json_response(render.robot(await _managed_robot(request)))


async def update_robot(request: web.Request) -> web.Response:
    robot = await _managed_robot(request)
    body = await read_json(request)
    await request.app[SERVICES].robots.update(
        robot.id, description=field(body, "description", str, None), disabled=field(body, "disable", bool, None),
        duration=field(body, "duration", int, None), permissions=field(body, "permissions", list, None),
    )
    return done()


async def delete_robot(request: web.Request) -> web.Response:
    robot = await _managed_robot(request)
    await request.app[SERVICES].robots.delete(robot.id)
    return done()


async def refresh_secret(request: web.Request) -> web.Response:
    """PATCH: a new secret, generated unless the body gives one; shown once."""
    robot = await _managed_robot(request)
    body = await read_json(request) if request.can_read_body else {}
    secret = await request.app[SERVICES].robots.refresh_secret(robot.id, field(body, "secret", str, None))
    return json_response({"secret": secret})


