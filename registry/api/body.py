"""Reading JSON request bodies and writing JSON answers, with Harbor's error rules:
malformed or mistyped input is a 400 that names the field, never a 500.

The body size limit is the application's ``client_max_size`` (``limits.max_json_body_bytes``);
aiohttp refuses larger bodies with 413 before they are read into memory.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from registry.core.errors import RegistryError

_MISSING = object()


def bad_request(message: str) -> RegistryError:
    return RegistryError("BAD_REQUEST", message)


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        raise bad_request("a JSON object is required in the request body")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    return data


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = _MISSING,
          *, max_length: int = 1024) -> Any:
    """``body[name]`` checked against ``kind`` (bool is never taken for int); required without a default."""
    value = body.get(name, _MISSING)
    if value is _MISSING or (value is None and default is not _MISSING):
        if default is _MISSING:
            raise bad_request(f"{name} is required")
        return default
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds).replace("str", "string").replace("int", "integer")
        raise bad_request(f"{name} must be a {names}")
    if isinstance(value, str) and len(value) > max_length:
        raise bad_request(f"{name} is longer than {max_length} characters")
    return value


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json", headers=headers)


def created(location: str, data: Any = None) -> web.Response:
    if data is None:
        return web.Response(status=201, headers={"Location": location})
    return json_response(data, 201, {"Location": location})


def done() -> web.Response:
    return web.Response(status=200)


def path_id(request: web.Request, name: str) -> int:
    """A numeric id from the path; anything else is a 400."""
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 18:
        raise bad_request(f"{name} must be a positive integer")
    return int(raw)
