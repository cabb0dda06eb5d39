"""``docker-credential-berth``: a Docker credential helper (docker-credential-helpers protocol).

``get``/``erase`` read a server URL on standard input, ``store`` a JSON
``{"ServerURL","Username","Secret"}``, ``list`` prints ``{url: username}``. Errors
are printed on standard output with exit status 1, as the protocol wants.
Credentials are kept in a 0600 JSON file: ``$BERTH_CREDENTIALS_FILE``, or
``~/.config/berth/docker-credentials.json``.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from registry.agent.keyring import normalize_key

VERSION = "docker-credential-berth (berth) 0.1.0"
NOT_FOUND = "credentials not found in native keychain"
USAGE = "Usage: docker-credential-berth <store|get|erase|list|version>"


class HelperError(Exception):
    """A protocol error; its message is what the client shows."""


def store_path() -> Path:
    configured = os.environ.get("BERTH_CREDENTIALS_FILE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "berth" / "docker-credentials.json"


class CredentialStore:
    """Server URL → {Username, Secret}, written atomically and readable only by its owner."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise HelperError(f"cannot read {self.path}: {exc}") from None
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2)
            os.replace(temp, self.path)  # mkstemp files are 0600 already
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    @staticmethod
    def find(data: dict[str, dict[str, str]], server: str) -> str | None:
        """The stored key for ``server``: exact, else the same registry written differently."""
        if server in data:
            return server
        wanted = normalize_key(server)
        return next((key for key in data if wanted is not None and normalize_key(key) == wanted), None)


def _server_url(stdin: TextIO) -> str:
    server = stdin.read().strip()
    if not server:
        raise HelperError("no credentials server URL")
    return server


def _stored(store: CredentialStore, stdin: TextIO) -> tuple[str, dict[str, Any], str]:
    """The server named on stdin, the stored credentials, and the key of its entry."""
    server = _server_url(stdin)
    data = store.load()
    key = store.find(data, server)
    if key is None:
        raise HelperError(NOT_FOUND)
    return server, data, key


def run(action: str, stdin: TextIO, stdout: TextIO, store: CredentialStore) -> None:
    """Perform one action; raise HelperError with the protocol's message on failure."""
    if action == "version":
        stdout.write(VERSION + "\n")
    elif action == "list":
        json.dump({url: entry.get("Username", "") for url, entry in store.load().items()}, stdout)
        stdout.write("\n")
    elif action == "get":
        server, data, key = _stored(store, stdin)
        json.dump({"ServerURL": server, "Username": data[key].get("Username", ""),
                   "Secret": data[key].get("Secret", "")}, stdout)
        stdout.write("\n")
    elif action == "store":
        try:
            entry = json.loads(stdin.read())
        except ValueError as exc:
            raise HelperError(f"error reading credentials from stdin: {exc}") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("ServerURL"), str) or not entry["ServerURL"].strip():
            raise HelperError("no credentials server URL")
        if not isinstance(entry.get("Username"), str) or not entry["Username"]:
            raise HelperError("no credentials username")
        data = store.load()
        data.pop(store.find(data, entry["ServerURL"].strip()) or "", None)
        data[entry["ServerURL"].strip()] = {"Username": entry["Username"], "Secret": str(entry.get("Secret") or "")}
        store.save(data)
    elif action == "erase":
        _, data, key = _stored(store, stdin)
        del data[key]
        store.save(data)
    else:
        raise HelperError(f"Unknown credential action `{action}`")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stdout.write(USAGE + "\n")
        return 1
    try:
        run(args[0], sys.stdin, sys.stdout, CredentialStore(store_path()))
    except HelperError as exc:
        sys.stdout.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
