"""The node's image store: an OCI image layout plus reference records.

Layout: ``<state>/images/{oci-layout,index.json,blobs/sha256/<hex>}``. Each entry of
``index.json`` is one reference (``io.containerd.image.name``) pointing at the
platform manifest that was pulled for it, with the digest the registry served for
the reference (an index's digest for multi-platform images).

Blobs are downloaded into ``<state>/ingest/<hex>.partial`` and renamed into the
layout only after size and digest are verified, so the layout never holds a
half-written or wrong blob. A partial file left by an interrupted pull is resumed.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from registry.agent.statefile import write_atomically
from registry.oci.digest import Digest, digest_of
from registry.oci.manifest import Descriptor, ManifestError, parse_manifest
from registry.oci.mediatypes import OCI_INDEX
from registry.oci.reference import ImageReference

NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
REPO_DIGEST_ANNOTATION = "berth.agent.repo-digest"
PULLED_ANNOTATION = "berth.agent.pulled"
LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One reference on the node and the image it resolves to."""

    name: str
    manifest: Descriptor  # the platform manifest
    repo_digest: str
    pulled: str

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def to_descriptor(self) -> dict[str, Any]:
        """The record's ``index.json`` entry: the manifest's descriptor with the reference annotations."""
        ref = ImageReference.parse(self.name)
        entry: dict[str, Any] = {"mediaType": self.manifest.media_type, "digest": self.manifest.digest,
                                 "size": self.manifest.size}
        if self.manifest.platform is not None:
            entry["platform"] = self.manifest.platform
        entry["annotations"] = {NAME_ANNOTATION: self.name, REF_ANNOTATION: ref.tag or ref.digest or "",
                                REPO_DIGEST_ANNOTATION: self.repo_digest, PULLED_ANNOTATION: self.pulled}
        return entry

    @classmethod
    def from_descriptor(cls, entry: dict[str, Any]) -> "ImageRecord | None":
        """The record an ``index.json`` entry written by ``to_descriptor`` holds; None for any other entry."""
        annotations = entry.get("annotations") or {}
        name = annotations.get(NAME_ANNOTATION)
        if not name:
            return None
        manifest = Descriptor(entry["mediaType"], entry["digest"], entry["size"], platform=entry.get("platform"))
        return cls(name, manifest, annotations.get(REPO_DIGEST_ANNOTATION, manifest.digest),
                   annotations.get(PULLED_ANNOTATION, ""))


@dataclass(frozen=True, slots=True)
class ImageDetails:
    """A record with what its manifest says: the image ID (config digest) and total size."""

    record: ImageRecord
    config_digest: str
    size: int
    blobs: tuple[str, ...]


class ContentStore:
    """Blobs and reference records of one node, safe against concurrent agents on the node."""

    def __init__(self, state_dir: str | os.PathLike[str]):
        self.state_dir = Path(state_dir)
        self.layout = self.state_dir / "images"
        self.ingest_dir = self.state_dir / "ingest"
        (self.layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        self.ingest_dir.mkdir(parents=True, exist_ok=True)
        if not (self.layout / "oci-layout").exists():
            write_atomically(self.layout / "oci-layout", json.dumps(LAYOUT_VERSION).encode())
        if not (self.layout / "index.json").exists():
            self._write_index([])

    # blobs -------------------------------------------------------------------------

    def blob_path(self, digest: str | Digest) -> Path:
        parsed = Digest.parse(str(digest))
        return self.layout / "blobs" / parsed.algorithm / parsed.hex

    def has_blob(self, digest: str, size: int | None = None) -> bool:
        try:
            actual = self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            return False
        return size is None or actual == size

    def read_blob(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def put_blob(self, data: bytes, expected: str | None = None) -> str:
        """Store small verified content (manifests); return its digest."""
        algorithm = Digest.parse(expected).algorithm if expected else "sha256"
        digest = str(digest_of(data, algorithm))
        if expected and digest != expected:
            raise ValueError(f"content digest {digest} does not match {expected}")
        path = self.blob_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            write_atomically(path, data)
        return digest

    def partial_path(self, digest: str) -> Path:
        parsed = Digest.parse(digest)
        return self.ingest_dir / f"{parsed.algorithm}-{parsed.hex}.partial"

    def commit_partial(self, digest: str) -> None:
        """Move a verified download into the layout (the caller has checked size and digest)."""
        partial, target = self.partial_path(digest), self.blob_path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)

    # records -----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.state_dir / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_index(self) -> list[dict[str, Any]]:
        data = json.loads((self.layout / "index.json").read_text())
        return list(data.get("manifests") or [])

    def _write_index(self, manifests: list[dict[str, Any]]) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        write_atomically(self.layout / "index.json", json.dumps(index, indent=2).encode())

    def records(self) -> list[ImageRecord]:
        found = (ImageRecord.from_descriptor(d) for d in self._read_index())
        return [record for record in found if record is not None]

    def add(self, name: str, manifest: Descriptor, repo_digest: str) -> ImageRecord:
        """Record that ``name`` now resolves to ``manifest`` (replacing what it resolved to)."""
        pulled = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = ImageRecord(name, manifest, repo_digest, pulled)
        with self._locked():
            kept = [d for d in self._read_index() if (d.get("annotations") or {}).get(NAME_ANNOTATION) != name]
            self._write_index(kept + [record.to_descriptor()])
        return record

    def details(self, record: ImageRecord) -> ImageDetails | None:
        """Read the record's manifest; None when any blob of the image is missing."""
        if not self.has_blob(record.digest):
            return None
        try:
            manifest = parse_manifest(self.read_blob(record.digest), record.manifest.media_type)
        except ManifestError:
            return None
        if manifest.config is None:  # an index: records name platform manifests only
            return None
        descriptors = [manifest.config, *manifest.layers]
        if not all(self.has_blob(d.digest, d.size) for d in descriptors):
            return None
        blobs = (record.digest, *(d.digest for d in descriptors))
        if record.repo_digest != record.digest:
            blobs += (record.repo_digest,)
        return ImageDetails(record, manifest.config.digest, sum(d.size for d in descriptors), blobs)

    def find(self, ref: ImageReference) -> ImageDetails | None:
        """The complete image ``ref`` names on this node, if any (``GetImageRef``)."""
        ref = ref.with_default_tag()
        for record in self.records():
            if record.name == str(ref):
                return self.details(record)
        if ref.digest:
            for record in self.records():
                if (ImageReference.parse(record.name).name == ref.name
                        and ref.digest in (record.digest, record.repo_digest)):
                    return self.details(record)
        return None

    def remove(self, selector: str) -> list[ImageRecord]:
        """Untag by reference, or remove every reference to an image ID (or its prefix)."""
        matches = self._select(selector)
        if matches:
            names = {record.name for record in matches}
            with self._locked():
                self._write_index([d for d in self._read_index()
                                   if (d.get("annotations") or {}).get(NAME_ANNOTATION) not in names])
        return matches

    def _select(self, selector: str) -> list[ImageRecord]:
        records = self.records()
        try:
            wanted = str(ImageReference.parse(selector).with_default_tag())
        except ValueError:
            wanted = ""
        by_name = [r for r in records if r.name == wanted]
        if by_name:
            return by_name
        hex_prefix = selector.removeprefix("sha256:")
        if len(hex_prefix) < 4:
            return []
        found = []
        for record in records:
            details = self.details(record)
            ids = {record.digest, record.repo_digest} | ({details.config_digest} if details else set())
            if any(i.removeprefix("sha256:").startswith(hex_prefix) for i in ids):
                found.append(record)
        return found

    def garbage_collect(self) -> list[str]:
        """Delete blobs no record reaches; return their digests.

        Partial downloads are left alone: they are how an interrupted pull resumes.
        """
        with self._locked():
            keep: set[str] = set()
            for record in self.records():
                keep.add(record.digest)
                keep.add(record.repo_digest)
                details = self.details(record)
                if details:
                    keep.update(details.blobs)
            deleted = []
            for path in (self.layout / "blobs" / "sha256").iterdir():
                digest = f"sha256:{path.name}"
                if digest not in keep:
                    path.unlink()
                    deleted.append(digest)
            return deleted
