"""Who judges a password: robots and local accounts, an LDAP directory, or an OIDC CLI secret.

An account's source decides (see ``registry.core.external_users`` for the name rule):
robots and local users are checked by Berth alone, so a directory that is down never
locks them out; a name Berth does not know yet, or an LDAP user, is checked by the
directory when LDAP is on; an OIDC user's password is their CLI secret. The answers go
through the same credential cache, throttle and audit trail as local logins.

It also re-asks the provider when what it said about a user is stale (``revalidate``).
"""
from __future__ import annotations

import asyncio
import logging
import math
from registry.auth.ldap import DirectoryUnavailable, DirectoryUser, LdapDirectory
from registry.auth.oidc import OidcSignIn
from registry.core.accounts import ROBOT_PREFIX
from registry.core.errors import RegistryError
from registry.core.external_users import ExternalIdentity
from registry.core.identity_settings import ldap_on
from registry.core.rbac import Principal
from registry.core.services import Services
from registry.core.records import UserRecord

log = logging.getLogger("berth.identity")


def directory_down(exc: Exception) -> RegistryError:
    return RegistryError("UNAUTHORIZED", f"the LDAP directory cannot be reached ({exc}); local accounts still "
                                         "work", status=401)


class IdentityProviders:
    def __init__(self, services: Services) -> None:
        self.accounts = services.accounts
        self.settings = services.identity_settings
        self.external = services.external_users
        self.oidc: OidcSignIn | None = None

    async def directory(self) -> LdapDirectory | None:
        """The LDAP directory with the current settings, or None when LDAP is off."""
        values = await self.settings.current()
        return LdapDirectory(values) if ldap_on(values) else None

    async def check_login(self, username: str, password: str) -> tuple[Principal, float] | None:
        if username.startswith(ROBOT_PREFIX):
            return await self.accounts.check_login(username, password)
        user = await self.accounts.find(username)
        if user is not None and user.source == "oidc" and self.oidc is not None:
            return await self.oidc.cli_login(user, password)
        if user is None or user.source == "ldap":
            directory = await self.directory()
            if directory is not None:
                return await self._ldap_login(directory, username, password)
        return await self.accounts.check_login(username, password)

    async def _ldap_login(self, directory: LdapDirectory, username: str,
                          password: str) -> tuple[Principal, float] | None:
        try:
            found = await asyncio.to_thread(directory.authenticate, username, password)
            identity = await self._identity(directory, found) if found else None
        except DirectoryUnavailable as exc:
            log.warning("LDAP sign-in of %s failed: %s", username, exc)
            raise directory_down(exc) from None
        if identity is None:
            return None
        return await self.external.sign_in(identity), math.inf

    @staticmethod
    async def _identity(directory: LdapDirectory, user: DirectoryUser) -> ExternalIdentity:
        groups = await asyncio.to_thread(directory.groups, user)
        return ExternalIdentity("ldap", user.username, user.dn, user.email, user.realname, groups,
                                directory.is_admin(user))

    async def import_user(self, username: str) -> bool:
        """Create the account of a directory user before they first sign in; False when the
        directory has no such user (or the name belongs to another source)."""
        directory = await self.directory()
        if directory is None:
            raise RegistryError("PRECONDITION", "LDAP is not configured", status=412)
        found = await asyncio.to_thread(directory.lookup, username)  # unreachable: raises for a 503
        if found is None:
            return False
        try:
            await self.external.sign_in(await self._identity(directory, found))
        except RegistryError as error:
            if error.status != 401:
                raise
            return False
        return True

    async def revalidate(self, user: UserRecord) -> bool:
        if user.source == "oidc":
            return self.oidc is not None and await self.oidc.revalidate(user)
        directory = await self.directory()
        if directory is None:
            return False  # LDAP was turned off: its users sign in no more
        try:
            found = await asyncio.to_thread(directory.lookup, user.username)
            if found is None or found.dn != user.external_id:
                log.info("LDAP no longer has %s; its access ends", user.username)
                return False
            await self.external.vouch(user, await self._identity(directory, found))
        except DirectoryUnavailable as exc:
            log.warning("cannot re-check LDAP user %s: %s", user.username, exc)
            return False
        return True
