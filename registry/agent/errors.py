"""Errors the agent reports to people: bad input files, and failed pulls.

Input errors carry the file, the document and the field so that a wrong manifest
or Secret can be fixed without reading a traceback.
"""
from __future__ import annotations

import json
from typing import Any

from registry.oci.auth import RequestError, UnauthorizedRequest


class AgentError(Exception):
    """Base class of every error the agent turns into a message instead of a traceback."""


class InputError(AgentError):
    """A manifest, Secret or daemon.json that cannot be used, with where it is wrong."""

    def __init__(self, source: str, message: str, *, document: int | None = None, field: str = ""):
        self.source = source
        self.document = document
        self.field = field
        self.message = message
        where = source
        if document is not None:
            where += f": document {document}"
        if field:
            where += f": {field}"
        super().__init__(f"{where}: {message}")


def json_object(text: str, source: str) -> dict[str, Any]:
    """``text`` as a JSON object, or an InputError naming ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(source, "must be a JSON object")
    return data


class PullError(AgentError, RequestError):
    """A pull that did not produce a complete, verified image."""


class UnauthorizedError(PullError, UnauthorizedRequest):
    """The registry refused the credentials (or their absence)."""


class BlobVerificationError(PullError):
    """Downloaded content does not match the digest or size its descriptor promised."""


class PlatformNotFoundError(PullError):
    """An index offers no manifest for the node's platform."""


class RuntimeCallError(AgentError):
    """The container runtime could not be reached or answered a call with an error."""
