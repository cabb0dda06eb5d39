"""A real OpenID provider on loopback (PyPI ``oidc-provider-mock``): authorization code,
ID tokens, userinfo and refresh tokens, with users whose claims the tests set and whose
tokens they revoke, as an administrator would at a real provider."""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import requests

from tests.support.daemon import Daemon
from tests.support.server import free_port


class OidcProvider(Daemon):
    name = "oidc-provider-mock"

    def __init__(self, home: Path) -> None:
        super().__init__(home / "oidc-provider.log")
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OidcProvider":
        self.launch([sys.executable, "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(self.port),
                     "-r", "true", "-n", "true"], self._answers)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2).ok
        except (OSError, requests.RequestException):
            return False

    def register(self, redirect_uri: str) -> tuple[str, str]:
        """A client for one relying party: its id and secret."""
        made = requests.post(f"{self.url}/oauth2/clients", json={"redirect_uris": [redirect_uri]}, timeout=10)
        made.raise_for_status()
        return made.json()["client_id"], made.json()["client_secret"]

    def set_user(self, sub: str, **claims) -> None:
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def revoke(self, sub: str) -> None:
        """End every token of the user, as disabling them at a provider does."""
        requests.post(f"{self.url}/users/{sub}/revoke-tokens", timeout=10).raise_for_status()
