"""Logging the web UI in and out (Harbor's ``/c/login`` and ``/c/log_out``).

The login form posts ``principal`` and ``password``; a good pair gets an HttpOnly
session cookie, and the CSRF token the page must echo on writes. Only users log in
here: robot accounts are for machines and use Basic credentials.
"""
from __future__ import annotations

from aiohttp import web

from registry.api.guards import CSRF_HEADER, SESSION_COOKIE
from registry.api.body import bad_request, json_response
from registry.core.errors import RegistryError
from registry.http.appkeys import AUTH, SERVICES
from registry.http.bodies import read_form

MAX_FIELD = 512


async def login(request: web.Request) -> web.Response:
    auth = request.app.get(AUTH)
    if auth is None:
        raise RegistryError("UNSUPPORTED", "authentication is disabled on this registry", status=405)
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise bad_request("post the login form: principal and password")
    form = await read_form(request)
    username, password = form.get("principal"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username \
            or len(username) > MAX_FIELD or len(password) > MAX_FIELD:
        raise bad_request("principal and password are required")
    principal = await auth.basic.login(username, password, request.remote or "")
    if principal.kind != "user":
        raise RegistryError("UNAUTHORIZED", "robot accounts cannot log in to the web UI", status=401)
    cookie, csrf = await request.app[SERVICES].sessions.open(principal)
    response = json_response({"username": principal.name, "sysadmin_flag": principal.admin},
                             headers={CSRF_HEADER: csrf})
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Strict", path="/",
                        secure=request.secure, max_age=int(request.app[SERVICES].sessions.lifetime))
    return response


async def log_out(request: web.Request) -> web.Response:
    await request.app[SERVICES].sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    response = web.Response(status=200)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_post("/c/login", login)
    app.router.add_route("GET", "/c/log_out", log_out)
    app.router.add_route("POST", "/c/log_out", log_out)
