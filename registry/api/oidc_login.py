"""The browser's OpenID Connect sign-in: ``/c/oidc/login`` sends the browser to the
provider, ``/c/oidc/callback`` takes it back, opens a session and returns to the UI.

The page that ends a sign-in moves on to ``/`` by itself rather than with a redirect, so
the browser's next request starts on Berth's own site and carries the ``SameSite=Strict``
session cookie even when the provider lives on another site.
"""
from __future__ import annotations

import html

from aiohttp import web

from registry.api.guards import CSRF_HEADER, SESSION_COOKIE
from registry.auth.challenge import external_url
from registry.core.errors import RegistryError
from registry.http.appkeys import AUTH, CONFIG, SERVICES

PENDING_COOKIE = "oidc_pending"


def _callback_url(request: web.Request) -> str:
    return external_url(request, request.app[CONFIG]["http.external_url"]) + "/c/oidc/callback"


def _page(status: int, title: str, body: str, refresh: bool = False) -> web.Response:
    head = '<meta http-equiv="refresh" content="0;url=/">' if refresh else ""
    return web.Response(status=status, content_type="text/html", text=(
        f"<!doctype html><html><head><meta charset='utf-8'>{head}<title>{html.escape(title)}</title></head>"
        f"<body><p>{html.escape(body)}</p><p><a href='/'>Back to Berth</a></p></body></html>"))


def _oidc(request: web.Request):
    auth = request.app.get(AUTH)
    if auth is None or auth.oidc is None:
        raise RegistryError("UNSUPPORTED", "authentication is disabled on this registry", status=405)
    return auth.oidc


async def login(request: web.Request) -> web.Response:
    url, pending = await _oidc(request).begin(_callback_url(request))
    response = web.HTTPFound(url)
    response.set_cookie(PENDING_COOKIE, pending, httponly=True, samesite="Lax", path="/c/oidc/",
                        secure=request.secure, max_age=600)
    raise response


async def callback(request: web.Request) -> web.Response:
    oidc = _oidc(request)
    if "error" in request.query:
        request.app[AUTH].basic.record_failed_sign_in("oidc", request.remote or "")
        return _page(401, "Sign-in refused", f"The provider refused the sign-in: "
                                             f"{request.query.get('error_description') or request.query['error']}"[:500])
    try:
        principal = await oidc.finish(request.query.get("code", "")[:4096], request.query.get("state", "")[:512],
                                      request.cookies.get(PENDING_COOKIE, "")[:8192], _callback_url(request))
    except RegistryError as error:
        request.app[AUTH].basic.record_failed_sign_in("oidc", request.remote or "")
        return _page(error.status, "Sign-in failed", error.message)
    auth = request.app[AUTH]
    auth.basic.record_login(principal, request.remote or "")
    sessions = request.app[SERVICES].sessions
    cookie, csrf = await sessions.open(principal)
    response = _page(200, "Signed in", f"Signed in as {principal.name}.", refresh=True)
    response.headers[CSRF_HEADER] = csrf
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Strict", path="/", secure=request.secure,
                        max_age=int(sessions.lifetime))
    response.del_cookie(PENDING_COOKIE, path="/c/oidc/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/c/oidc/login", login)
    app.router.add_get("/c/oidc/callback", callback)
