"""Content digests: parsing, validation and incremental hashing.

A digest is ``algorithm ":" hex``. Only algorithms the OCI image spec registers are
accepted, so a digest can be turned into a storage path without any chance of
escaping the blob tree.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Lengths of the hex encoding, per registered algorithm.
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}

_DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")


class DigestError(ValueError):
    """The text is not a digest, or names an algorithm Berth does not support."""


@dataclass(frozen=True, slots=True)
class Digest:
    algorithm: str
    hex: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @classmethod
    def parse(cls, text: str) -> "Digest":
        """Parse and validate ``text``; raise DigestError with a reason when it is not usable."""
        match = _DIGEST_RE.match(text or "")
        if not match:
            raise DigestError(f"invalid digest format: {text!r}")
        algorithm, encoded = match.groups()
        length = ALGORITHMS.get(algorithm)
        if length is None:
            raise DigestError(f"unsupported digest algorithm: {algorithm}")
        if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
            raise DigestError(f"{algorithm} digest must be {length} lowercase hex characters")
        return cls(algorithm, encoded)

    def hasher(self) -> "hashlib._Hash":
        return new_hasher(self.algorithm)


def new_hasher(algorithm: str = "sha256") -> "hashlib._Hash":
    if algorithm not in ALGORITHMS:
        raise DigestError(f"unsupported digest algorithm: {algorithm}")
    return hashlib.new(algorithm)


def digest_of(data: bytes, algorithm: str = "sha256") -> Digest:
    """The digest of ``data`` under ``algorithm``."""
    return Digest(algorithm, hashlib.new(algorithm, data).hexdigest())
