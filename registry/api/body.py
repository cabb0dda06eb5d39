"""Reading JSON request bodies and writing JSON answers, with Harbor's error rules:
malformed or mistyped input is a 400 that names the field, never a 500.

The body size limit is ``limits.max_json_body_bytes``: a larger body is refused with 413
after at most one byte more than the limit is read.
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from registry.core.errors import RegistryError, bad_request
from registry.core.records import MAX_ID
from registry.http.bodies import read_body
from registry.http.appkeys import CONFIG

_MISSING = object()

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_KIND_NAMES = {str: "a string", int: "an integer", bool: "a boolean", dict: "an object", list: "a list"}


async def read_json(request: web.Request) -> dict[str, Any]:
    limit = request.app[CONFIG]["limits.max_json_body_bytes"]
    raw = await read_body(request, limit)  # a body that stalls is answered 408
    if len(raw) > limit:
        raise RegistryError("TOO_LARGE", f"the request body exceeds the {limit}-byte limit", status=413)
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
        raise bad_request(f"{name} must be {' or '.join(_KIND_NAMES.get(k, k.__name__) for k in kinds)}")
    if isinstance(value, str) and len(value) > max_length:
        raise bad_request(f"{name} is longer than {max_length} characters")
    return value


def positive_int(raw: str, name: str, maximum: int = MAX_ID) -> int:
    """``raw`` as an integer from 1 to ``maximum``: ASCII digits only (``str.isdigit`` also takes
    ``²`` and other digits ``int`` refuses), else a 400 that names the parameter."""
    value = int(raw) if _ASCII_DIGITS.fullmatch(raw) else 0
    if not 1 <= value <= maximum:
        raise bad_request(f"{name} must be an integer from 1 to {maximum}")
    return value


def record_id(value: object, name: str) -> int:
    """An id given in a JSON body: an integer (never a boolean) that a record could have."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise bad_request(f"{name} must be an integer from 1 to {MAX_ID}")
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
    """A record id from the path; anything else is a 400."""
    return positive_int(request.match_info[name], name)
