"""/system/gc: garbage collection runs, their history and logs, and the schedule (admins)."""
from __future__ import annotations

import json
import time

from aiohttp import web

from registry.api import render
from registry.api.guards import admin
from registry.api.body import bad_request, created, done, json_response, path_id, read_json
from registry.api.paging import page_of, paged
from registry.core.cron import next_due
from registry.core.gc_jobs import Schedule, parse_schedule
from registry.core.records import GcRunRecord
from registry.http.appkeys import SERVICES


def _history(run: GcRunRecord) -> dict:
    return {
        "id": run.id,
        "job_name": "GARBAGE_COLLECTION",
        "job_kind": run.kind,
        "job_parameters": json.dumps({"delete_untagged": run.delete_untagged, "dry_run": run.dry_run}),
        "schedule": None,
        "job_status": run.status,
        "deleted": False,
        "creation_time": render.when(run.created),
        "update_time": render.when(run.updated),
    }


def _next_time(schedule: Schedule) -> str | None:
    return render.when(next_due(schedule.cron, time.time())) if schedule.cron else None


async def list_runs(request: web.Request) -> web.Response:
    await admin(request)
    page = page_of(request)
    runs, total = await request.app[SERVICES].gc.history(page.offset, page.size)
    return paged(request, page, [_history(r) for r in runs], total)


async def get_run(request: web.Request) -> web.Response:
    await admin(request)
    return json_response(_history(await request.app[SERVICES].gc.get(path_id(request, "gc_id"))))


async def run_log(request: web.Request) -> web.Response:
    await admin(request)
    run = await request.app[SERVICES].gc.get(path_id(request, "gc_id"))
    return web.Response(text=run.log, content_type="text/plain")


async def get_schedule(request: web.Request) -> web.Response:
    await admin(request)
    schedule = await request.app[SERVICES].gc.schedule()
    return json_response({"schedule": {"type": schedule.type, "cron": schedule.cron,
                                       "next_scheduled_time": _next_time(schedule)},
                          "parameters": schedule.parameters.as_json()})


async def _schedule_from(request: web.Request) -> Schedule:
    await admin(request)
    body = await read_json(request)
    return parse_schedule(body.get("schedule"), body.get("parameters"))


async def create_schedule(request: web.Request) -> web.Response:
    """``type: Manual`` runs now (the answer's Location is the run); any other type sets the schedule."""
    schedule = await _schedule_from(request)
    gc = request.app[SERVICES].gc
    if schedule.type == "Manual":
        run_id = await gc.launch("MANUAL", schedule.parameters)
        return created(f"/api/v2.0/system/gc/{run_id}")
    await gc.set_schedule(schedule)
    return created("/api/v2.0/system/gc/schedule")


async def update_schedule(request: web.Request) -> web.Response:
    """Change the schedule; running now is a POST with type Manual, as in Harbor."""
    schedule = await _schedule_from(request)
    if schedule.type == "Manual":
        raise bad_request("type Manual runs a collection now: POST it to /system/gc/schedule")
    await request.app[SERVICES].gc.set_schedule(schedule)
    return done()
