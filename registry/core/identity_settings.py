"""LDAP and OpenID Connect settings under Harbor's names (``ldap_url``, ``oidc_endpoint`` …).

The config file's ``ldap`` and ``oidc`` sections give the starting values; what an
administrator sets through ``/api/v2.0/configurations`` is kept in the database (so every
process sees it) and wins. Secrets are accepted but never handed back.

``auth_mode`` (what Harbor clients and UIs branch on) is ``oidc_auth`` when OIDC is on
(Harbor's UI then offers the provider's button beside the login form), else ``ldap_auth``
when LDAP is on, else ``db_auth``. Local accounts work in every mode.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from registry.config import Config
from registry.core.errors import bad_request
from storage.meta.store import MetaStore

SECRETS = frozenset({"ldap_search_password", "oidc_client_secret"})
SECTIONS = ("ldap", "oidc")
MAX_VALUE = 4096


def _check(key: str, value: Any) -> None:
    if key in ("ldap_url", "oidc_endpoint") and value:
        scheme = urlsplit(value).scheme
        allowed = ("ldap", "ldaps") if key == "ldap_url" else ("http", "https")
        if scheme not in allowed or not urlsplit(value).hostname:
            raise bad_request(f"{key} must be a {' or '.join(s + '://' for s in allowed)} URL")
    if key == "ldap_scope" and value not in (0, 1, 2):
        raise bad_request("ldap_scope must be 0 (base), 1 (one level) or 2 (subtree)")
    if key == "ldap_timeout" and not 1 <= value <= 300:
        raise bad_request("ldap_timeout must be 1-300 seconds")


class IdentitySettings:
    def __init__(self, meta: MetaStore, config: Config) -> None:
        self.meta = meta
        self.defaults = {f"{section}_{key}": value for section in SECTIONS
                         for key, value in config.section(section).items()}

    async def current(self) -> dict[str, Any]:
        """Every setting, secrets included (for the sign-in code, never for a response)."""
        values = dict(self.defaults)
        for name, raw in (await self.meta.settings.all()).items():
            if name in values:
                values[name] = json.loads(raw)
        return values

    @staticmethod
    def public(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in SECRETS}

    def checked(self, body: dict[str, Any]) -> dict[str, Any]:
        """The identity keys of ``body``, validated. Keys this registry does not know are
        refused, so a typo is not silently ignored."""
        for key, value in body.items():
            default = self.defaults.get(key)
            if default is None:
                raise bad_request(f"unknown or read-only setting {key[:64]!r}")
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, str) and len(value) <= MAX_VALUE
            if not ok:
                raise bad_request(f"{key} must be {type(default).__name__}")
            _check(key, value)
        return body

    async def update(self, body: dict[str, Any]) -> list[str]:
        """Validate and keep the settings of ``body``; returns the keys set."""
        changes = {key: json.dumps(value) for key, value in self.checked(body).items()}
        if changes:
            await self.meta.settings.put(changes)
        return sorted(changes)


def ldap_on(values: dict[str, Any]) -> bool:
    return bool(values["ldap_url"])


def oidc_on(values: dict[str, Any]) -> bool:
    return bool(values["oidc_endpoint"] and values["oidc_client_id"])


def auth_mode(values: dict[str, Any]) -> str:
    return "oidc_auth" if oidc_on(values) else "ldap_auth" if ldap_on(values) else "db_auth"
