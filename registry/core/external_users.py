"""Users whom LDAP or an OpenID Connect provider vouches for: created on first sign-in,
kept in step with their provider, and never merged with an account of another source.

The name rule: an account name belongs to the source that created it in Berth first —
an administrator's local account, or the first sign-in from LDAP or from OIDC. A sign-in
of that name from any other source (or another directory entry or provider subject of
the same name) is refused, so a directory can never take over a local account.

What the provider said (groups, admin group) is trusted for ``refresh_seconds``; after
that the next use of the account asks the provider again (see ``AccountService``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from registry.core import passwords
from registry.core.accounts import USERNAME_RE, AccountService
from registry.core.errors import RegistryError
from registry.core.groups import GroupService, LDAP_GROUP, OIDC_GROUP
from registry.core.rbac import Principal
from registry.core.sealing import Sealer
from registry.core.secrets import SharedSecrets
from storage.meta.records import UserRecord
from storage.meta.store import MetaStore

GROUP_TYPE_OF = {"ldap": LDAP_GROUP, "oidc": OIDC_GROUP}
UNUSABLE_PASSWORD = "external"  # no KDF scheme: a local password check never matches it


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """What a provider said about a user at sign-in."""

    source: str  # "ldap" or "oidc"
    username: str
    external_id: str  # the user's DN, or "<issuer>|<subject>"
    email: str = ""
    realname: str = ""
    groups: tuple[tuple[str, str], ...] = ()  # (display name, DN or OIDC group name)
    admin: bool = False  # in the provider's admin group


def refused(message: str) -> RegistryError:
    return RegistryError("UNAUTHORIZED", message, status=401)


class ExternalUsers:
    def __init__(self, meta: MetaStore, accounts: AccountService, groups: GroupService,
                 secrets: SharedSecrets) -> None:
        self.meta = meta
        self.accounts = accounts
        self.groups = groups
        self.secrets = secrets
        self._sealer: Sealer | None = None

    async def sign_in(self, identity: ExternalIdentity) -> Principal:
        """The principal of a user the provider has just vouched for, creating the account the
        first time; UNAUTHORIZED when the name belongs to another source (the name rule)."""
        if not USERNAME_RE.fullmatch(identity.username) or identity.username.startswith("robot$"):
            raise refused(f"the {identity.source} user name {identity.username[:64]!r} is not a valid Berth user name")
        user = await self.meta.users.by_name(identity.username)
        if user is None:
            await self.meta.users.create(identity.username, UNUSABLE_PASSWORD, email=identity.email[:255],
                                         realname=identity.realname[:255], source=identity.source,
                                         external_id=identity.external_id)
            user = await self.meta.users.by_name(identity.username)
        if user is None or user.source != identity.source or user.external_id != identity.external_id:
            raise refused(f"the name {identity.username} belongs to a {user.source if user else 'removed'} account in "
                          f"Berth; this {identity.source} user cannot sign in as it")
        await self.vouch(user, identity)
        return await self.accounts.user_principal(await self.accounts.user(user.id))

    async def vouch(self, user: UserRecord, identity: ExternalIdentity) -> None:
        """Record what the provider says now: profile, admin group, groups, and when."""
        group_type = GROUP_TYPE_OF[identity.source]
        group_ids = [await self.groups.ensure(name, group_type, external) for name, external in identity.groups]
        if sorted(group_ids) != sorted(await self.meta.groups.groups_of_user(user.id)):
            await self.meta.groups.set_groups_of_user(user.id, group_ids)
        fields = {"checked": time.time(), "admin_in_auth": identity.admin}
        if identity.email:
            fields["email"] = identity.email[:255]
        if identity.realname:
            fields["realname"] = identity.realname[:255]
        await self.meta.users.update(user.id, **fields)

    async def _seal(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer(await self.secrets.get_or_create("identity-seal-key", Sealer.new_key))
        return self._sealer

    async def cli_secret(self, user: UserRecord) -> str:
        """The user's CLI secret (made on first use): their password for docker, podman and helm."""
        if user.source != "oidc":
            raise RegistryError("PRECONDITION", f"{user.username} is not an OIDC user and has no CLI secret",
                                status=412)
        stored = await self.meta.external_credentials.get(user.id)
        secret = (await self._seal()).unseal(stored[0]) if stored else None
        return secret if secret is not None else await self.regenerate_cli_secret(user)

    async def regenerate_cli_secret(self, user: UserRecord) -> str:
        """A new random CLI secret; the old one stops working at once."""
        return await self.set_cli_secret(user, passwords.random_secret(29) + "A1a")

    async def set_cli_secret(self, user: UserRecord, secret: str) -> str:
        if user.source != "oidc":
            raise RegistryError("PRECONDITION", f"{user.username} is not an OIDC user and has no CLI secret",
                                status=412)
        if not passwords.password_is_strong(secret):
            raise RegistryError("BAD_REQUEST", "a CLI secret needs 8-128 characters with upper case, lower case "
                                               "and a digit", status=400)
        await self.meta.external_credentials.put(user.id, cli_secret=(await self._seal()).seal(secret))
        self.accounts.changed()  # logins with the old secret are cached no more
        return secret

    async def check_cli_secret(self, user: UserRecord, secret: str) -> bool:
        stored = await self.meta.external_credentials.get(user.id)
        expected = (await self._seal()).unseal(stored[0]) if stored else None
        return expected is not None and passwords.same(secret, expected)

    async def refresh_token(self, user: UserRecord) -> str | None:
        stored = await self.meta.external_credentials.get(user.id)
        return (await self._seal()).unseal(stored[1]) if stored and stored[1] else None

    async def keep_refresh_token(self, user: UserRecord, token: str) -> None:
        if await self.meta.external_credentials.get(user.id) is None:
            await self.cli_secret(user)
        await self.meta.external_credentials.put(user.id, refresh_token=(await self._seal()).seal(token))
