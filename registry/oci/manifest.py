"""Parsing and validating manifests and indexes as pushed.

The bytes are stored exactly as received; this module only reads them to learn
what they reference (for validation, referrers and garbage collection) and to
refuse what no client could use.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from registry.oci import mediatypes as mt
from registry.oci.digest import Digest, DigestError

MAX_JSON_DEPTH = 64
SCHEMA1_UNSUPPORTED = "Docker schema 1 manifests are not supported; push schema 2 or OCI"


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    platform: dict[str, Any] | None = None
    urls: tuple[str, ...] = ()


@dataclass(slots=True)
class ParsedManifest:
    media_type: str
    config: Descriptor | None = None
    layers: list[Descriptor] = field(default_factory=list)
    children: list[Descriptor] = field(default_factory=list)  # an index's manifests
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None

    @property
    def is_index(self) -> bool:
        return mt.is_index(self.media_type)

    def effective_artifact_type(self) -> str | None:
        """What the referrers API reports: artifactType, else the config's media type."""
        if self.artifact_type:
            return self.artifact_type
        return self.config.media_type if self.config else None


class ManifestError(ValueError):
    """The bytes are not a manifest any client could use; the message says why."""


def _invalid(message: str) -> ManifestError:
    return ManifestError(message)


def _depth(value: Any, limit: int) -> None:
    """Refuse absurdly nested JSON before anything walks it recursively."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise _invalid(f"manifest JSON is nested deeper than {limit} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _descriptor(raw: Any, where: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise _invalid(f"{where} must be a descriptor object")
    media_type = raw.get("mediaType")
    digest = raw.get("digest")
    size = raw.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(f"{where}.mediaType is required")
    if not isinstance(digest, str):
        raise _invalid(f"{where}.digest is required")
    try:
        Digest.parse(digest)
    except DigestError as exc:
        raise _invalid(f"{where}.digest: {exc}") from None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _invalid(f"{where}.size must be a non-negative integer")
    platform = raw.get("platform")
    if platform is not None and not isinstance(platform, dict):
        raise _invalid(f"{where}.platform must be an object")
    urls = raw.get("urls") or ()
    if not isinstance(urls, list | tuple) or not all(isinstance(u, str) for u in urls):
        raise _invalid(f"{where}.urls must be a list of strings")
    artifact_type = raw.get("artifactType")
    return Descriptor(media_type, digest, size, artifact_type if isinstance(artifact_type, str) else None,
                      platform, tuple(urls))


def _annotations(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise _invalid("annotations must map strings to strings")
    return raw


def _media_type(doc: dict[str, Any], content_type: str | None) -> str:
    declared = doc.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise _invalid("mediaType must be a string")
    sent = (content_type or "").split(";", 1)[0].strip().lower() or None
    if sent in (None, "application/json", "application/octet-stream"):
        sent = None
    if declared and sent and declared != sent:
        raise _invalid(f"mediaType {declared!r} does not match Content-Type {sent!r}")
    media_type = declared or sent
    if media_type is None:
        media_type = mt.OCI_INDEX if "manifests" in doc else mt.OCI_MANIFEST
    if media_type in (mt.DOCKER_SCHEMA1, mt.DOCKER_SCHEMA1_SIGNED):
        raise _invalid(SCHEMA1_UNSUPPORTED)
    if media_type not in mt.MANIFESTS:
        raise _invalid(f"unsupported manifest media type {media_type!r}")
    return media_type


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Read a manifest; raise ManifestError with the reason when it is unusable."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise _invalid("manifest is not valid JSON") from None
    if not isinstance(doc, dict):
        raise _invalid("manifest must be a JSON object")
    _depth(doc, MAX_JSON_DEPTH)
    if doc.get("schemaVersion") == 1:  # named, so that whoever holds one knows what to do
        raise _invalid(SCHEMA1_UNSUPPORTED)
    if doc.get("schemaVersion") != 2:
        raise _invalid("schemaVersion must be 2")
    media_type = _media_type(doc, content_type)
    parsed = ParsedManifest(media_type=media_type, annotations=_annotations(doc.get("annotations")))
    artifact_type = doc.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise _invalid("artifactType must be a string")
    parsed.artifact_type = artifact_type
    if doc.get("subject") is not None:
        parsed.subject = _descriptor(doc["subject"], "subject")
    if mt.is_index(media_type):
        children = doc.get("manifests")
        if not isinstance(children, list):
            raise _invalid("an index needs a manifests list")
        parsed.children = [_descriptor(c, f"manifests[{i}]") for i, c in enumerate(children)]
    else:
        if "config" not in doc:
            raise _invalid("an image manifest needs a config descriptor")
        parsed.config = _descriptor(doc["config"], "config")
        layers = doc.get("layers", [])
        if not isinstance(layers, list):
            raise _invalid("layers must be a list")
        parsed.layers = [_descriptor(layer, f"layers[{i}]") for i, layer in enumerate(layers)]
    return parsed
