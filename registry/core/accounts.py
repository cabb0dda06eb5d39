"""Users: creation, passwords, the admin bootstrap, and authentication of users and robots."""
from __future__ import annotations

import hashlib
import asyncio
import json
import logging
import math
import os
import re
import time
from pathlib import Path
from typing import Protocol

from registry.core import passwords
from registry.core.errors import RegistryError, bad_request
from registry.core.rbac import Principal
from storage.meta.database import Conflict
from storage.meta.records import RobotRecord, UserRecord
from storage.meta.store import MetaStore

log = logging.getLogger("berth.accounts")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$")
ROBOT_PREFIX = "robot$"


def _robot_deadline(robot: RobotRecord) -> float:
    return math.inf if robot.expires_at == -1 else float(robot.expires_at)


def _robot_principal(robot: RobotRecord) -> Principal | None:
    """The robot with exactly its repository permissions; None when disabled or expired."""
    if robot.disabled or _robot_deadline(robot) < time.time():
        return None
    access: dict[str, set[str]] = {}
    for permission in json.loads(robot.permissions):
        namespace = permission.get("namespace", "")
        for entry in permission.get("access", []):
            if entry.get("effect", "allow") != "allow":
                continue
            if entry.get("resource") in ("repository", "artifact", "*"):
                access.setdefault(namespace, set()).add(entry.get("action"))
    return Principal("robot", robot.name, None, False, {k: frozenset(v) for k, v in access.items()})


def _weak_password() -> RegistryError:
    return bad_request("password must be 8-128 characters with upper case, lower case and a digit")


class Revalidator(Protocol):
    async def revalidate(self, user: UserRecord) -> bool:
        """Ask the user's LDAP directory or OIDC provider again and record its answer; False
        when it no longer vouches for the user (removed, disabled, or unreachable)."""


class AccountService:
    def __init__(self, meta: MetaStore, refresh_seconds: float = 300.0) -> None:
        self.meta = meta
        # Bumped on every change that can revoke access, so cached credentials are re-checked.
        self.generation = 0
        # How long what LDAP or OIDC said about a user (groups included) is trusted, and who asks again.
        self.refresh_seconds = refresh_seconds
        self.revalidator: Revalidator | None = None

    def changed(self) -> None:
        self.generation += 1

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(passwords.hash_password, password)

    async def create_user(self, username: str, password: str, *, email: str = "", realname: str = "",
                          comment: str = "", sysadmin: bool = False) -> int:
        if not USERNAME_RE.fullmatch(username) or username.startswith(ROBOT_PREFIX):
            raise bad_request(f"invalid username {username[:64]!r}")
        if not passwords.password_is_strong(password):
            raise _weak_password()
        try:
            return await self.meta.users.create(username, await self._hash(password), email=email,
                                                realname=realname, comment=comment, sysadmin=sysadmin)
        except Conflict:
            raise RegistryError("CONFLICT", f"user {username} already exists", status=409) from None

    async def set_password(self, user_id: int, password: str) -> None:
        if not passwords.password_is_strong(password):
            raise _weak_password()
        if not await self.meta.users.update(user_id, password_hash=await self._hash(password)):
            raise RegistryError("NOT_FOUND", f"user {user_id} not found", status=404)
        self.changed()

    async def update_user(self, user_id: int, **fields) -> None:
        if not await self.meta.users.update(user_id, **fields):
            raise RegistryError("NOT_FOUND", f"user {user_id} not found", status=404)
        self.changed()

    async def delete_user(self, user_id: int) -> None:
        user = await self.meta.users.by_id(user_id)
        if user is None:
            raise RegistryError("NOT_FOUND", f"user {user_id} not found", status=404)
        if user.username == "admin":
            raise RegistryError("PRECONDITION", "the admin user cannot be deleted", status=412)
        await self.meta.users.delete(user_id)
        self.changed()

    async def users(self, name_like: str, offset: int, limit: int) -> tuple[list[UserRecord], int]:
        """A page of users whose name contains ``name_like``, and how many there are in all."""
        return await self.meta.users.list(name_like, offset, limit)

    async def user_named(self, username: str) -> UserRecord:
        user = await self.meta.users.by_name(username)
        if user is None:
            raise RegistryError("NOT_FOUND", f"user {username} not found", status=404)
        return user

    async def user(self, user_id: int) -> UserRecord:
        user = await self.meta.users.by_id(user_id)
        if user is None:
            raise RegistryError("NOT_FOUND", f"user {user_id} not found", status=404)
        return user

    async def find(self, username: str) -> UserRecord | None:
        return await self.meta.users.by_name(username)

    def stale(self, user: UserRecord) -> bool:
        """True when the provider of an LDAP or OIDC user must be asked again before it is trusted."""
        return user.source != "local" and user.checked + self.refresh_seconds < time.time()

    async def user_principal(self, user: UserRecord) -> Principal | None:
        """The user with their rights: local accounts as they are; LDAP and OIDC users with the
        groups and admin flag their provider named, asked again first when that is stale."""
        if user.source == "local":
            return Principal("user", user.username, user.id, user.sysadmin)
        if self.stale(user):
            if self.revalidator is None or not await self.revalidator.revalidate(user):
                return None
            user = await self.meta.users.by_id(user.id) or user
        groups = frozenset(await self.meta.groups.groups_of_user(user.id))
        return Principal("user", user.username, user.id, user.sysadmin or user.admin_in_auth, group_ids=groups,
                         source=user.source)

    async def authenticate(self, username: str, secret: str) -> Principal | None:
        """The principal for valid credentials, or None. Robots log in like users."""
        login = await self.check_login(username, secret)
        return login[0] if login else None

    async def check_login(self, username: str, secret: str) -> tuple[Principal, float] | None:
        """The principal for valid credentials and the time (epoch seconds) its login ends.

        Users' logins do not end (``inf``); a robot's ends when the robot expires, so a
        cache of verified logins knows not to outlive it.
        """
        if username.startswith(ROBOT_PREFIX):
            robot = await self.meta.robots.by_name(username)
            if robot is None or not passwords.verify(secret, robot.secret_hash):
                return None
            principal = _robot_principal(robot)
            return (principal, _robot_deadline(robot)) if principal else None
        user = await self.meta.users.by_name(username)
        ok = await asyncio.to_thread(passwords.verify, secret, user.password_hash if user else passwords.DUMMY_HASH)
        if not ok or user is None or user.source != "local":
            return None
        return Principal("user", user.username, user.id, user.sysadmin), math.inf

    async def principal_for(self, kind: str, name: str) -> Principal | None:
        """Re-create a principal from a token subject, with the rights a login would give.

        Users must still exist; robots must still exist, be enabled and unexpired, and
        come back with exactly their permissions.
        """
        if kind == "robot" or name.startswith(ROBOT_PREFIX):
            robot = await self.meta.robots.by_name(name)
            return _robot_principal(robot) if robot else None
        user = await self.meta.users.by_name(name)
        return await self.user_principal(user) if user else None

    async def credential_stamp(self, kind: str, name: str) -> str | None:
        """A short fingerprint of the account's current password (or robot secret).

        Refresh tokens carry it, so a password change or a refreshed robot secret ends
        every refresh token issued before it. None when the account does not exist.
        """
        if kind == "robot" or name.startswith(ROBOT_PREFIX):
            robot = await self.meta.robots.by_name(name)
            secret = robot.secret_hash if robot else None
        else:
            user = await self.meta.users.by_name(name)
            secret = user.password_hash if user else None
        return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret is not None else None

    async def bootstrap_admin(self, configured: str, data_dir: Path) -> str | None:
        """Create ``admin`` on first start; return a generated password to show once."""
        if await self.meta.users.by_name("admin") is not None:
            if configured:
                log.info("admin exists already; the configured admin password is ignored")
            return None
        generated = None
        password = configured
        if not password:
            password = generated = passwords.random_secret(20) + "A1a"
        try:
            await self.meta.users.create("admin", await self._hash(password), realname="system admin",
                                         sysadmin=True)
        except Conflict:
            return None  # another process created it first
        if generated:
            path = data_dir / "admin-password"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(generated + "\n")
        return generated
