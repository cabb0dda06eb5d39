"""The node's platform (os/architecture/variant) and choosing it from an index."""
from __future__ import annotations

import platform as host
from dataclasses import dataclass
from typing import Any

from registry.agent.errors import PlatformNotFoundError
from registry.oci.manifest import Descriptor

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "armel": "arm",
                 "armv7l": "arm", "armv6l": "arm", "i386": "386", "i686": "386"}
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> "Platform":
        """``linux/amd64``, ``linux/arm64/v8``, ``linux/arm/v7``; raise ValueError otherwise."""
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"invalid platform {text!r}: expected os/architecture[/variant]")
        architecture = _ARCH_ALIASES.get(parts[1], parts[1])
        return cls(parts[0], architecture, parts[2] if len(parts) == 3 else "")

    @classmethod
    def host(cls) -> "Platform":
        machine = host.machine().lower()
        variant = "v6" if machine == "armv6l" else ""
        return cls(host.system().lower(), _ARCH_ALIASES.get(machine, machine), variant)

    def matches(self, descriptor_platform: dict[str, Any]) -> bool:
        """Same os and architecture; the variant must agree when this platform names one."""
        if descriptor_platform.get("os") != self.os:
            return False
        if descriptor_platform.get("architecture") != self.architecture:
            return False
        default = _DEFAULT_VARIANTS.get(self.architecture, "")
        variant = descriptor_platform.get("variant") or default
        return not self.variant or variant == self.variant

    def preference(self, descriptor_platform: dict[str, Any]) -> int:
        """Lower is better among matches: the default variant wins when none was asked for."""
        variant = descriptor_platform.get("variant") or ""
        return 0 if variant in ("", _DEFAULT_VARIANTS.get(self.architecture, "")) else 1

    def __str__(self) -> str:
        return f"{self.os}/{self.architecture}" + (f"/{self.variant}" if self.variant else "")


def select_manifest(manifests: list[Descriptor], wanted: Platform) -> Descriptor:
    """The index entry for ``wanted``; the first best match keeps the index's order."""
    candidates = [m for m in manifests if m.platform is not None and wanted.matches(m.platform)]
    if not candidates:
        offered = ", ".join(
            str(Platform(p.get("os", "?"), p.get("architecture", "?"), p.get("variant", "")))
            for p in (m.platform or {} for m in manifests)
        )
        raise PlatformNotFoundError(f"no match for platform {wanted} in manifest (offers: {offered or 'none'})")
    return min(candidates, key=lambda m: wanted.preference(m.platform or {}))
