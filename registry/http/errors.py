"""Turn refusals into the protocol's own error format, and never leak a 500 body.

/v2/ answers OCI error JSON; /api/v2.0/ answers Harbor's; anything unexpected is
logged with the request id and answered as a generic error in the same format.
"""
from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.web_exceptions import HTTPException

from registry.core.errors import RegistryError

log = logging.getLogger("berth.http")

HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "DENIED", 404: "NOT_FOUND",
    405: "UNSUPPORTED", 409: "CONFLICT", 411: "SIZE_INVALID", 412: "PRECONDITION",
    413: "TOO_LARGE", 414: "NAME_INVALID", 415: "UNSUPPORTED", 416: "RANGE_INVALID",
    429: "TOOMANYREQUESTS", 431: "BAD_REQUEST",
}


def error_response(request: web.Request, error: RegistryError) -> web.Response:
    if request.path.startswith("/api/"):
        body = {"errors": [{"code": error.code, "message": error.message}]}
    else:
        body = {"errors": [error.as_dict()]}
    response = web.Response(status=error.status, text=json.dumps(body), content_type="application/json")
    response.headers.update(error.headers)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RegistryError as error:
        return error_response(request, error)
    except HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTP_CODES.get(exc.status, "UNKNOWN")
        error = RegistryError(code, exc.reason or "request refused", status=exc.status)
        error.headers.update({k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate")})
        return error_response(request, error)
    except (ConnectionResetError, TimeoutError):
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        error = RegistryError("UNKNOWN", "internal error; see the server log", status=500)
        return error_response(request, error)
