"""Docker's ``daemon.json`` settings that decide how registries are reached.

``insecure-registries`` lists ``host[:port]`` names (exact match) and CIDR ranges
(matched against IP-literal hosts); such registries may be spoken to without TLS
verification and over plain HTTP. Loopback is insecure by default, as in Docker.
``registry-mirrors`` are tried, in order, before Docker Hub, and only for Docker Hub
images.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from registry.agent.errors import InputError, json_object

_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass(frozen=True)
class DaemonConfig:
    insecure_names: frozenset[str] = frozenset()
    insecure_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = _LOOPBACK
    mirrors: tuple[str, ...] = field(default_factory=tuple)

    def is_insecure(self, registry: str) -> bool:
        """Whether ``registry`` (``host[:port]``) may be used over plain HTTP."""
        if registry in self.insecure_names:
            return True
        host = registry
        if host.startswith("["):
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        if host == "localhost":
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.insecure_networks)


def parse_daemon_config(text: str, source: str) -> DaemonConfig:
    """Validate and read the two settings; other daemon.json keys are ignored."""
    data = json_object(text, source)
    names, networks = set(), list(_LOOPBACK)
    entries = data.get("insecure-registries") or []
    if not isinstance(entries, list):
        raise InputError(source, "must be a list of registries", field="insecure-registries")
    for index, entry in enumerate(entries):
        where = f"insecure-registries[{index}]"
        if not isinstance(entry, str) or not entry.strip():
            raise InputError(source, "must be a non-empty string", field=where)
        if "://" in entry:
            raise InputError(source, f"insecure registry {entry} should not contain '://'", field=where)
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise InputError(source, f"{entry!r} is not a valid CIDR", field=where) from None
        else:
            names.add(entry.strip())
    mirrors = data.get("registry-mirrors") or []
    if not isinstance(mirrors, list):
        raise InputError(source, "must be a list of URLs", field="registry-mirrors")
    for index, mirror in enumerate(mirrors):
        parts = urlsplit(mirror) if isinstance(mirror, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(source, f"invalid mirror: {mirror!r} must be an http(s) URL",
                             field=f"registry-mirrors[{index}]")
    return DaemonConfig(frozenset(names), tuple(networks), tuple(m.rstrip("/") for m in mirrors))


def load_daemon_config(path: str) -> DaemonConfig:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_daemon_config(handle.read(), path)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
