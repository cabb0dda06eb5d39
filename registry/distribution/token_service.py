"""/service/token: the Docker token endpoint (GET) and its OAuth2 form (POST).

Credentials are optional: anonymous callers get tokens for what public projects
allow. A partial or empty grant is still a token; the registry refuses later.

Refresh tokens come only from the POST form, for ``access_type=offline`` (containerd,
and docker renewing an identity token it already holds). The GET endpoint never
hands one out, even for ``offline_token=true``: docker would keep it as an
``identitytoken`` and write no password into ``config.json``, and a pull Secret made
from that file is useless to the kubelet, which ignores identity tokens.

What gets throttled is what abuse looks like: failed logins (a back-off per account
and address, also for forged or stale refresh tokens) and anonymous token requests
per address. Authenticated issuance is not limited: a client that asks for a token
before every request (as the OCI conformance suite does) pays for the password check
once, thanks to the credential cache.
"""
from __future__ import annotations

from aiohttp import web

from registry.auth.access import Scope
from registry.auth.basic import decode_basic
from registry.http.appkeys import AUTH as TOKEN_SERVICE
from registry.http.bodies import read_form
from registry.auth.scopes import parse_scopes
from registry.auth.state import AuthState
from registry.auth.tokens import InvalidToken
from registry.core.errors import RegistryError
from registry.core.rbac import ANONYMOUS, Principal


def _check_service(service: str | None, expected: str) -> None:
    if service and service != expected:
        raise RegistryError("BAD_REQUEST", f"unable to handle service: {service[:100]}")


async def _issue(request: web.Request, principal: Principal, scopes: list[Scope], refresh: bool) -> dict:
    state = request.app[TOKEN_SERVICE]
    granted = await state.access.grant(principal, scopes)
    request["identity"] = principal  # named in the access log
    token = state.tokens.issue(principal.name, principal.kind, granted)
    body = {"token": token.token, "access_token": token.token, "expires_in": token.expires_in,
            "issued_at": token.issued_at}
    if refresh and not principal.anonymous:
        stamp = await state.accounts.credential_stamp(principal.kind, principal.name) or ""
        body["refresh_token"] = state.tokens.issue_refresh(principal.name, principal.kind, stamp)
    return body


async def get_token(request: web.Request) -> web.Response:
    state = request.app[TOKEN_SERVICE]
    _check_service(request.query.get("service"), state.tokens.service)
    scopes = parse_scopes(request.query.getall("scope", []))
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        username, password = decode_basic(value)
        principal = await state.basic.login(username, password, request.remote or "")
    elif not scopes:
        raise RegistryError("UNAUTHORIZED", "credentials are required to log in")
    else:
        state.limit_anonymous(request.remote or "")
        principal = ANONYMOUS
    return web.json_response(await _issue(request, principal, scopes, refresh=False))


async def _refreshed(state: AuthState, refresh_token: str, client: str) -> Principal:
    """The account a refresh token names, with its rights as of now (a robot's permissions,
    expiry and disabled flag included); a forged or stale token counts as a failed login."""
    address = f"addr:{client}"
    state.basic.throttle.check(address)
    try:
        subject, kind, stamp = state.tokens.verify_refresh(refresh_token)
    except InvalidToken:
        state.basic.throttle.failed(address)
        raise RegistryError("UNAUTHORIZED", "invalid refresh token") from None
    principal = await state.accounts.principal_for(kind, subject)
    if principal is None:
        raise RegistryError("UNAUTHORIZED", "the account of this refresh token no longer exists, "
                                            "is disabled or has expired")
    if stamp != await state.accounts.credential_stamp(kind, subject):
        state.basic.throttle.failed(address)
        raise RegistryError("UNAUTHORIZED", "the password (or robot secret) changed after this refresh token was "
                                            "issued; log in again")
    return principal


async def post_token(request: web.Request) -> web.Response:
    state = request.app[TOKEN_SERVICE]
    form = await read_form(request)
    _check_service(form.get("service"), state.tokens.service)
    grant_type = form.get("grant_type")
    if grant_type == "password":
        principal = await state.basic.login(str(form.get("username", "")), str(form.get("password", "")),
                                            request.remote or "")
    elif grant_type == "refresh_token":
        principal = await _refreshed(state, str(form.get("refresh_token", "")), request.remote or "")
    else:
        raise RegistryError("BAD_REQUEST", "grant_type must be password or refresh_token")
    scopes = parse_scopes([str(form.get("scope", ""))])
    body = await _issue(request, principal, scopes, form.get("access_type") == "offline")
    body["scope"] = " ".join(str(s) for s in await state.access.grant(principal, scopes))
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/service/token", get_token)
    app.router.add_post("/service/token", post_token)
