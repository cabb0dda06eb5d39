"""Image pull Secrets: ``kubernetes.io/dockerconfigjson`` and ``kubernetes.io/dockercfg``.

A Secret is used only when its ``type`` matches its data key, as the kubelet does.
Values come from ``data`` (base64) or ``stringData`` (plain, and winning over
``data`` as the API server merges them). Secrets are looked up by namespace and
name, because a pod may only use pull Secrets of its own namespace.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from registry.agent.dockerconfig import parse_config_json
from registry.agent.documents import Document
from registry.agent.keyring import Keyring, SecretRef

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"
DATA_KEYS = {DOCKER_CONFIG_JSON: ".dockerconfigjson", DOCKER_CFG: ".dockercfg"}
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, slots=True)
class PullSecret:
    namespace: str
    name: str
    keyring: Keyring


def is_secret(doc: Document) -> bool:
    return doc.body.get("kind") == "Secret"


def _metadata(doc: Document, default_namespace: str) -> SecretRef:
    metadata = doc.body.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise doc.error("metadata.name", "required string")
    namespace = metadata.get("namespace") or default_namespace
    if not isinstance(namespace, str):
        raise doc.error("metadata.namespace", "must be a string")
    uid = metadata.get("uid") or ""  # a Secret read from the API server has one; kubectl --dry-run output none
    if not isinstance(uid, str):
        raise doc.error("metadata.uid", "must be a string")
    return SecretRef(namespace, metadata["name"], uid)


def _value(doc: Document, key: str) -> str | None:
    string_data = doc.body.get("stringData") or {}
    data = doc.body.get("data") or {}
    for section, value in (("stringData", string_data), ("data", data)):
        if not isinstance(value, dict):
            raise doc.error(section, "must be a mapping")
    if key in string_data:
        if not isinstance(string_data[key], str):
            raise doc.error(f"stringData[{key}]", "must be a string")
        return string_data[key]
    if key not in data:
        return None
    if not isinstance(data[key], str):
        raise doc.error(f"data[{key}]", "must be a base64 string")
    try:
        return base64.b64decode(data[key], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise doc.error(f"data[{key}]", "not valid base64 of UTF-8 text") from None


def parse_secret(doc: Document, default_namespace: str = DEFAULT_NAMESPACE) -> PullSecret:
    """Turn a Secret document into its credentials; other Secret types carry none."""
    ref = _metadata(doc, default_namespace)
    namespace, name = ref.namespace, ref.name
    secret_type = doc.body.get("type")
    keyring = Keyring()
    key = DATA_KEYS.get(secret_type) if isinstance(secret_type, str) else None
    text = _value(doc, key) if key else None
    if text:
        section = "stringData" if key in (doc.body.get("stringData") or {}) else "data"
        keyring = parse_config_json(
            text, source=doc.source, document=doc.number, field=f"{section}[{key}]",
            label=f"secret {namespace}/{name}", legacy=secret_type == DOCKER_CFG, secret=name,
        ).from_secret(ref)
    return PullSecret(namespace, name, keyring)


@dataclass
class SecretPool:
    """The Secrets the node was given, by namespace and name."""

    secrets: dict[tuple[str, str], PullSecret] = field(default_factory=dict)

    def add(self, secret: PullSecret) -> None:
        self.secrets[(secret.namespace, secret.name)] = secret

    def add_documents(self, docs: list[Document], default_namespace: str = DEFAULT_NAMESPACE) -> None:
        for doc in docs:
            if is_secret(doc):
                self.add(parse_secret(doc, default_namespace))

    def keyring_for(self, namespace: str, names: tuple[str, ...]) -> tuple[Keyring, list[str]]:
        """Merge the named Secrets of ``namespace`` into one keyring; also return names not found."""
        keyring, missing = Keyring(), []
        for name in names:
            secret = self.secrets.get((namespace, name))
            if secret is None:
                missing.append(name)
            else:
                keyring.extend(secret.keyring)
        return keyring, missing

    def all_credentials(self) -> Keyring:
        """Every Secret's credentials together, for callers with no namespace (credential plugins)."""
        keyring = Keyring()
        for secret in self.secrets.values():
            keyring.extend(secret.keyring)
        return keyring

