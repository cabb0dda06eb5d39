"""Credentials matched to images the way the kubelet's ``BasicDockerKeyring`` does.

Keys come from Secrets and ``config.json`` (``https://index.docker.io/v1/``,
``my-registry:5000``, ``*.example.com/team``). A key matches an image when the ports
are equal, the host has as many dot-separated parts with each part matching as a glob,
and the key's path is a prefix of the image's path. Every matching credential is
returned, most specific key first, so the puller can try them in turn.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from registry.oci.reference import ImageReference

DOCKER_HUB_KEY = "index.docker.io"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """The pull Secret a credential came from, as the kubelet's pull records name it."""

    namespace: str
    name: str
    uid: str = ""


@dataclass(frozen=True, slots=True)
class Credential:
    """A username and password for one registry key; ``source`` says where it came from.

    ``problem`` says, in words for whoever wrote the Secret, why the registry will
    likely refuse this credential (empty when nothing is known to be wrong). ``secret``
    names the pull Secret it came from; None for the node's own credentials.
    """

    username: str
    password: str
    email: str = ""
    source: str = ""
    problem: str = ""
    secret: SecretRef | None = None

    def __repr__(self) -> str:  # never print a password by accident
        return f"Credential(username={self.username!r}, source={self.source!r})"

    @property
    def hash(self) -> str:
        """A digest that tells credentials apart without keeping them (stored in pull records)."""
        return hashlib.sha256(json.dumps([self.username, self.password]).encode()).hexdigest()


def normalize_key(server: str) -> str | None:
    """The kubelet's key for a config entry: host[:port][/path] without scheme; None if unusable."""
    text = server.strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if not parts.netloc:
        return None
    path = parts.path
    if path.startswith(("/v2/", "/v1/")):
        path = path[3:]
    return parts.netloc if path in ("", "/") else parts.netloc + path


def _split_host_port(netloc: str) -> tuple[str, str]:
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = netloc.partition(":")
    return host, port


def key_matches(key: str, target: str) -> bool:
    """``URLsMatch``: does normalised ``key`` (a glob) match ``target`` (``host[:port]/path``)?"""
    key_host, _, key_path = key.partition("/")
    target_host, _, target_path = target.partition("/")
    glob_host, glob_port = _split_host_port(key_host)
    host, port = _split_host_port(target_host)
    if glob_port != port:
        return False
    glob_parts, parts = glob_host.split("."), host.split(".")
    if len(glob_parts) != len(parts):
        return False
    if not all(fnmatch.fnmatchcase(part, glob) for glob, part in zip(glob_parts, parts)):
        return False
    return ("/" + target_path).startswith("/" + key_path) if key_path else True


def is_default_registry(image: str) -> bool:
    """``isDefaultRegistryMatch``: is this (normalised) image a Docker Hub one?"""
    parts = image.split("/")
    if len(parts) == 1:
        return True
    return parts[0] in ("docker.io", DOCKER_HUB_KEY) or ("." not in parts[0] and ":" not in parts[0])


@dataclass
class Keyring:
    """Credentials by normalised key; ``lookup`` returns them most specific first."""

    entries: dict[str, list[Credential]] = field(default_factory=dict)

    def add(self, server: str, credential: Credential) -> bool:
        """Add a credential under ``server``; return False (and keep nothing) if the key is unusable."""
        key = normalize_key(server)
        if key is None:
            return False
        self.entries.setdefault(key, []).append(credential)
        return True

    def from_secret(self, secret: SecretRef) -> "Keyring":
        """The same credentials, each marked as coming from ``secret``."""
        return Keyring({key: [replace(c, secret=secret) for c in credentials] for key, credentials in self.entries.items()})

    def extend(self, other: "Keyring") -> None:
        for key, credentials in other.entries.items():
            self.entries.setdefault(key, []).extend(credentials)

    def matches(self, ref: ImageReference) -> list[tuple[str, list[Credential]]]:
        """The keys matching the image's repository with their credentials, most specific first."""
        target = ref.name
        found = [(key, self.entries[key]) for key in sorted(self.entries, reverse=True) if key_matches(key, target)]
        if not found and is_default_registry(target) and DOCKER_HUB_KEY in self.entries:
            found = [(DOCKER_HUB_KEY, self.entries[DOCKER_HUB_KEY])]
        return found

    def lookup(self, ref: ImageReference) -> list[Credential]:
        """Every credential whose key matches the image, in the order the kubelet tries them."""
        return [credential for _, credentials in self.matches(ref) for credential in credentials]

    def __bool__(self) -> bool:
        return bool(self.entries)


def union_lookup(ref: ImageReference, keyrings: list[Keyring]) -> list[Credential]:
    """``UnionDockerKeyring``: the pod's Secrets first, then the node's own configuration."""
    return [credential for keyring in keyrings for credential in keyring.lookup(ref)]
