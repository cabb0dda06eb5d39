"""Errors of the registry's rules, with the OCI error code and HTTP status each maps to.

Core services raise these; the HTTP layer renders them in the protocol's own format
(OCI error JSON on /v2/, Harbor's on /api/v2.0/). Nothing here knows about HTTP
beyond the status number.
"""
from __future__ import annotations

from typing import Any

# OCI distribution-spec codes (and Distribution's extras), with their HTTP status.
STATUS: dict[str, int] = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
    "RANGE_INVALID": 416,
    "TAG_INVALID": 400,
    "PAGINATION_NUMBER_INVALID": 400,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "PRECONDITION": 412,
    "TOO_LARGE": 413,
    "BAD_REQUEST": 400,
    "UNAVAILABLE": 503,
}


class RegistryError(Exception):
    """A refusal with a stable code, a message for people and optional detail."""

    def __init__(self, code: str, message: str, detail: Any = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status or STATUS.get(code, 400)
        self.headers: dict[str, str] = {}

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            entry["detail"] = self.detail
        return entry


def blob_unknown(digest: str) -> RegistryError:
    return RegistryError("BLOB_UNKNOWN", "blob unknown to registry", {"digest": digest})


def manifest_unknown(reference: str) -> RegistryError:
    return RegistryError("MANIFEST_UNKNOWN", "manifest unknown", {"reference": reference})


def upload_unknown(upload_id: str) -> RegistryError:
    return RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {"uuid": upload_id})


def name_unknown(name: str) -> RegistryError:
    return RegistryError("NAME_UNKNOWN", "repository name not known to registry", {"name": name})


def bad_request(message: str) -> RegistryError:
    """Input that no retry can fix, in the caller's words (Harbor's 400)."""
    return RegistryError("BAD_REQUEST", message)
