"""Who may use an image already on the node: the kubelet's credential verification (KEP-2535).

An image pulled with a pod's Secret is not handed to another pod just because it is
present: the kubelet keeps a record of the credentials each image was pulled with, per
repository, and a pod that cannot show one of them pulls again with its own, so the
registry decides. Images pulled anonymously or with the node's own credentials are
usable by every pod. ``imagePullCredentialsVerificationPolicy`` says which present
images are checked:

- ``NeverVerify``: none (the behaviour before KEP-2535);
- ``NeverVerifyPreloadedImages`` (default): every image the agent pulled; images it has
  no record of (there before it first ran, or put there by other tools) are exempt;
- ``NeverVerifyAllowlistedImages``: like the default, but only images of the allowlist
  (``registry/repo`` or ``registry/path/*``) are exempt;
- ``AlwaysVerify``: every image, preloaded ones included.

Records live in the agent's state as ``pulled-images.json``: by image ID, then by
repository, the Secrets (namespace, name, UID, a hash of the credential) that pulled
it, or ``nodeWide``. They survive restarts, as the kubelet's do.
"""
from __future__ import annotations

import json
import os
from enum import Enum
from pathlib import Path
from typing import Any

from registry.agent.errors import InputError
from registry.agent.keyring import Credential
from registry.agent.statefile import write_atomically
from registry.oci.reference import ImageReference

RECORDS_FILE = "pulled-images.json"
VERSION = 1


class VerificationPolicy(str, Enum):
    NEVER_VERIFY = "NeverVerify"
    NEVER_VERIFY_PRELOADED = "NeverVerifyPreloadedImages"
    NEVER_VERIFY_ALLOWLISTED = "NeverVerifyAllowlistedImages"
    ALWAYS_VERIFY = "AlwaysVerify"

    def __str__(self) -> str:
        return self.value


def _allowlisted(ref: ImageReference, allowlist: tuple[str, ...]) -> bool:
    """``preloadedImagesVerificationAllowlist``: exact repositories, or a path prefix ending ``/*``."""
    return any(ref.name.startswith(entry[:-1]) if entry.endswith("/*") else ref.name == entry for entry in allowlist)


class PullRecords:
    """The pull records of one node, read at start and written after every change."""

    def __init__(self, state_dir: str | os.PathLike[str],
                 policy: VerificationPolicy = VerificationPolicy.NEVER_VERIFY_PRELOADED, allowlist: tuple[str, ...] = ()):
        self.path = Path(state_dir) / RECORDS_FILE
        self.policy = policy
        self.allowlist = allowlist
        self._images: dict[str, dict[str, dict[str, Any]]] = self._load()

    def _load(self) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InputError(str(self.path), f"unreadable pull records: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("images"), dict):
            raise InputError(str(self.path), f"not pull records of version {VERSION}")
        return data["images"]

    def _save(self) -> None:
        write_atomically(self.path, json.dumps({"version": VERSION, "images": self._images}, indent=1,
                                               sort_keys=True).encode())

    def must_pull(self, ref: ImageReference, image_id: str, credentials: list[Credential]) -> bool:
        """Whether a pod holding ``credentials`` (its Secrets' matches) must pull the present image itself."""
        if self.policy is VerificationPolicy.NEVER_VERIFY:
            return False
        record = self._images.get(image_id)
        if record is None:  # never pulled here: preloaded, as far as the agent can tell
            if self.policy is VerificationPolicy.NEVER_VERIFY_PRELOADED:
                return False
            return not (self.policy is VerificationPolicy.NEVER_VERIFY_ALLOWLISTED and _allowlisted(ref, self.allowlist))
        entry = record.get(ref.name)
        if entry is None:
            return True
        if entry.get("nodeWide"):
            return False
        known = {secret["credentialHash"] for secret in entry.get("secrets", [])}
        for credential in credentials:
            if credential.secret is not None and credential.hash in known:
                self._remember(entry, credential)  # the same credential in another Secret: note where else it lives
                return False
        return True

    def pulled(self, ref: ImageReference, image_id: str, credential: Credential | None) -> None:
        """Record a successful pull: with a Secret's credential for that Secret, else for every pod."""
        entry = self._images.setdefault(image_id, {}).setdefault(ref.name, {})
        if credential is None or credential.secret is None:
            if not entry.get("nodeWide"):
                entry["nodeWide"] = True
                self._save()
            return
        self._remember(entry, credential)

    def _remember(self, entry: dict[str, Any], credential: Credential) -> None:
        assert credential.secret is not None
        secret = {"namespace": credential.secret.namespace, "name": credential.secret.name,
                  "uid": credential.secret.uid, "credentialHash": credential.hash}
        secrets = entry.setdefault("secrets", [])
        if secret not in secrets:
            secrets.append(secret)
            self._save()

    def forget(self, image_id: str) -> None:
        """Drop the records of a removed image."""
        if self._images.pop(image_id, None) is not None:
            self._save()
