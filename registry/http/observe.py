"""What every request carries for logs and metrics: its id, its route template, in-flight count.

A client's ``X-Request-Id`` is kept when it is short and made of safe characters (so it
can go into a log line as it is), else a new one is made; either way it is answered on
every response, streamed ones included, and set in :data:`REQUEST_ID` so that every
log line written while the request runs can name it. Metrics and logs name a request
by its route template, never its path: paths hold repository names and digests, which
would make one time series per blob.
"""
from __future__ import annotations

import contextvars
import re
import time
import uuid

from aiohttp import web
from aiohttp.web_request import BaseRequest

from registry.core import metrics

HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
UNMATCHED = "(unmatched)"


def request_id_of(value: str | None) -> str:
    """The client's id when it is safe to repeat and log, else a fresh one."""
    if value is not None and _SAFE_ID.fullmatch(value):
        return value
    return str(uuid.uuid4())


def name_route(request: web.Request, template: str) -> None:
    """Name the route of a request a catch-all route dispatches further (/v2/): the router
    only knows the catch-all."""
    request["route"] = template


def seconds_since_start(request: BaseRequest, measured: float) -> float:
    """How long a request took, to the microsecond: aiohttp's own figure has the loop clock's
    resolution (a millisecond under uvloop), ``measured``, used when the app never saw the request."""
    started = request.get("started")
    return time.perf_counter() - started if started is not None else measured


def route_of(request: BaseRequest) -> str:
    """The route template of a request; requests aiohttp refused before routing have none."""
    return request.get("route", UNMATCHED)


@web.middleware
async def request_middleware(request: web.Request, handler) -> web.StreamResponse:
    request["started"] = time.perf_counter()
    resource = request.match_info.route.resource
    request["route"] = resource.canonical if resource is not None else UNMATCHED
    request_id = request["request_id"] = request_id_of(request.headers.get(HEADER))
    token = REQUEST_ID.set(request_id)
    metrics.request_started()
    try:
        return await handler(request)
    finally:
        metrics.request_ended()
        REQUEST_ID.reset(token)


async def answer_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for every response just before its headers go out."""
    request_id = request.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
