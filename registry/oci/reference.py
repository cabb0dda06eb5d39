"""Image references, parsed and normalised the way Docker and the kubelet do.

The grammar is the one of ``distribution/reference``: a name made of an optional
domain and lowercase path components, an optional tag and an optional digest.
Normalisation (``nginx`` → ``docker.io/library/nginx``) decides which registry is
contacted and which credentials match, so it must agree with the kubelet's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX_LENGTH = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_IDENTIFIER_RE = re.compile(r"^[a-f0-9]{64}$")


class ReferenceError(ValueError):
    """The text is not a valid image reference."""


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A normalised reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> "ImageReference":
        """Parse and normalise ``text`` like ``ParseNormalizedNamed``; raise ReferenceError."""
        if not text:
            raise ReferenceError("invalid reference format: repository name must have at least one component")
        if _IDENTIFIER_RE.match(text):
            raise ReferenceError(
                f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
            )
        domain, remainder = _split_domain(text)
        name_part = remainder.split("@", 1)[0].split(":", 1)[0]
        if name_part.lower() != name_part:
            raise ReferenceError("invalid reference format: repository name must be lowercase")
        match = _REFERENCE_RE.match(f"{domain}/{remainder}")
        if not match:
            raise ReferenceError("invalid reference format")
        if len(match["name"]) > NAME_MAX_LENGTH:
            raise ReferenceError(f"repository name must not be more than {NAME_MAX_LENGTH} characters")
        path = match["name"][len(domain) + 1:]
        return cls(domain, path, match["tag"], match["digest"])

    @property
    def name(self) -> str:
        """The repository with its domain, e.g. ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}"

    @property
    def identifier(self) -> str:
        """What to ask the registry for: the digest when there is one, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def with_default_tag(self) -> "ImageReference":
        """Append ``:latest`` when there is neither tag nor digest, as the kubelet does."""
        if self.tag or self.digest:
            return self
        return ImageReference(self.domain, self.path, DEFAULT_TAG, None)

    def familiar(self) -> str:
        """The short form people write: ``nginx:1.25`` rather than ``docker.io/library/nginx:1.25``."""
        name = self.name
        if self.domain == DEFAULT_DOMAIN:
            name = self.path.removeprefix(OFFICIAL_PREFIX) if self.path.count("/") == 1 else self.path
        return name + self._suffix()

    def _suffix(self) -> str:
        return (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def __str__(self) -> str:
        return self.name + self._suffix()


def _split_domain(text: str) -> tuple[str, str]:
    first, sep, rest = text.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost") or first.lower() != first:
        domain, remainder = DEFAULT_DOMAIN, text
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder
