"""Repository names, tags and references, validated by the distribution spec's grammar.

Validation here is also the first defence against path traversal: a name that
matches these expressions cannot contain ``..``, a leading ``/`` or a backslash.
"""
from __future__ import annotations

import re

from registry.oci.digest import Digest, DigestError
from registry.core.errors import RegistryError, manifest_unknown

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
MAX_NAME_LENGTH = 255


def validate_name(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise RegistryError("NAME_INVALID", "invalid repository name", {"name": name[:300]})
    return name


def validate_tag(tag: str) -> str:
    if not TAG_RE.fullmatch(tag):  # fullmatch: "$" would let "v1\n" in
        raise RegistryError("TAG_INVALID", "invalid tag", {"tag": tag[:300]})
    return tag


def parse_digest(text: str) -> Digest:
    """A digest from a request, or DIGEST_INVALID naming what is wrong with it."""
    try:
        return Digest.parse(text)
    except DigestError as exc:
        raise RegistryError("DIGEST_INVALID", str(exc), {"digest": text[:300]}) from None


def project_of(name: str) -> str:
    """The project a repository belongs to: its first path segment."""
    return name.split("/", 1)[0]


def split_reference(reference: str) -> tuple[str | None, Digest | None]:
    """A manifest reference is either a tag or a digest, never anything else."""
    if ":" in reference:
        return None, parse_digest(reference)
    return validate_tag(reference), None


def split_stored_reference(reference: str) -> tuple[str | None, Digest | None]:
    """A reference to read or delete: a tag that could never have been pushed names nothing.

    Only a write is told its tag is invalid; a read answers MANIFEST_UNKNOWN, as
    Distribution does, since nothing can exist under such a name.
    """
    try:
        return split_reference(reference)
    except RegistryError as error:
        if error.code == "TAG_INVALID":
            raise manifest_unknown(reference[:300]) from None
        raise
