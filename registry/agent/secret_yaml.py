"""``kubectl create secret docker-registry … --dry-run=client -o yaml``, byte for byte.

Nodes without kubectl can still produce the Secret that the cluster expects. The
JSON inside follows Go's ``encoding/json`` (compact, ``<``, ``>`` and ``&`` escaped,
other characters as UTF-8) so the base64 matches kubectl's exactly.
"""
from __future__ import annotations

import base64
import json
import re

from registry.agent.dockerconfig import encode_auth

DEFAULT_SERVER = "https://index.docker.io/v1/"
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value: object) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes it (keys in the given order)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _GO_ESCAPES[m.group()], text)


def validate_name(value: str, what: str) -> None:
    """Kubernetes object names and namespaces are DNS subdomains (lowercase, at most 253)."""
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(f"{what} {value!r} must be a lowercase RFC 1123 subdomain "
                         "(letters, digits, '-' and '.', starting and ending alphanumeric)")


def render(name: str, server: str, username: str, password: str, email: str = "", namespace: str = "") -> str:
    """The Secret YAML; ``email`` and ``namespace`` are left out when empty, as kubectl does."""
    validate_name(name, "name")
    if namespace:
        validate_name(namespace, "namespace")
    entry = {"username": username, "password": password}
    if email:
        entry["email"] = email
    entry["auth"] = encode_auth(username, password)
    payload = go_json({"auths": {server or DEFAULT_SERVER: entry}})
    encoded = base64.b64encode(payload.encode("utf-8")).decode()
    lines = [
        "apiVersion: v1",
        "data:",
        f"  .dockerconfigjson: {encoded}",
        "kind: Secret",
        "metadata:",
        "  creationTimestamp: null",
        f"  name: {name}",
    ]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("type: kubernetes.io/dockerconfigjson")
    return "\n".join(lines) + "\n"
