"""Robot accounts: ``robot$<project>+<name>`` or ``robot$<name>``, explicit permissions, expiry.

The secret is shown once, at creation or refresh; only its hash is kept.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from registry.core import passwords
from registry.core.accounts import ROBOT_PREFIX
from registry.core.errors import RegistryError, bad_request
from storage.meta.database import Conflict
from storage.meta.records import RobotRecord
from storage.meta.store import MetaStore

ROBOT_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
DAY = 86400
# Harbor refuses durations of 2^31 days or more; within that bound an expiry stays a 64-bit timestamp.
MAX_DURATION_DAYS = 2**31 - 2


@dataclass(frozen=True, slots=True)
class CreatedRobot:
    id: int
    name: str
    secret: str
    created: float
    expires_at: int


def _validate_permissions(level: str, permissions: list, project: str | None) -> list:
    if not isinstance(permissions, list):
        raise bad_request("permissions must be a list")
    for permission in permissions:
        if not isinstance(permission, dict) or not isinstance(permission.get("namespace"), str) \
                or not isinstance(permission.get("access", []), list):
            raise bad_request("each permission needs kind, namespace and an access list")
        if level == "project" and permission.get("namespace") != project:
            raise bad_request("a project robot may only hold permissions in its own project")
        for entry in permission.get("access", []):
            if not isinstance(entry, dict) or not isinstance(entry.get("action"), str) \
                    or not isinstance(entry.get("resource", ""), str):
                raise bad_request("each access entry needs a resource and an action")
    return permissions


def robot_project(level: str, permissions: object) -> str | None:
    """The project a robot of ``level`` with ``permissions`` belongs to; None for a system robot.

    A project robot holds permissions in exactly one project, named by their namespace.
    """
    if level not in ("system", "project"):
        raise bad_request("level must be system or project")
    project = None
    if level == "project":
        namespaces = [p.get("namespace") for p in permissions if isinstance(p, dict)] \
            if isinstance(permissions, list) else []
        if not namespaces or not isinstance(namespaces[0], str) or any(n != namespaces[0] for n in namespaces):
            raise bad_request("a project robot needs permissions in exactly one project")
        project = namespaces[0]
    _validate_permissions(level, permissions, project)
    return project


def expiry(duration_days: int, now: float) -> int:
    """When a robot of ``duration_days`` made at ``now`` expires: -1 (never) for a duration of -1 or 0."""
    if isinstance(duration_days, bool) or not isinstance(duration_days, int) \
            or not -1 <= duration_days <= MAX_DURATION_DAYS:
        raise bad_request(f"duration must be -1 (never expires) or a number of days up to "
                            f"{MAX_DURATION_DAYS}")
    if duration_days in (-1, 0):
        return -1
    return int(now + duration_days * DAY)


class RobotService:
    def __init__(self, meta: MetaStore, on_change=None) -> None:
        self.meta = meta
        self.on_change = on_change or (lambda: None)

    async def create(self, name: str, level: str, permissions: list, *, description: str = "",
                     duration: int = -1, disabled: bool = False, creator: str = "",
                     secret: str | None = None) -> CreatedRobot:
        if not ROBOT_NAME_RE.fullmatch(name or ""):
            raise bad_request(f"invalid robot name {str(name)[:64]!r}")
        project_id, project_name = None, robot_project(level, permissions)
        if project_name is not None:
            project = await self.meta.projects.by_name(project_name)
            if project is None:
                raise RegistryError("NOT_FOUND", f"project {project_name} not found", status=404)
            project_id = project.id
            full = f"{ROBOT_PREFIX}{project_name}+{name}"
        else:
            full = f"{ROBOT_PREFIX}{name}"
        if secret is not None and not passwords.password_is_strong(secret):
            raise bad_request("secret must be 8-128 characters with upper case, lower case and a digit")
        secret = secret or passwords.random_secret()
        now = time.time()
        record = RobotRecord(0, full, description, level, project_id, passwords.hash_secret(secret), disabled,
                             expiry(duration, now), duration, json.dumps(permissions), creator, now, now)
        try:
            robot_id = await self.meta.robots.create(record)
        except Conflict:
            raise RegistryError("CONFLICT", f"robot {full} already exists", status=409) from None
        return CreatedRobot(robot_id, full, secret, now, record.expires_at)

    async def list(self, project_id: int | None = None) -> list[RobotRecord]:
        """The robots of one project, or every robot."""
        return await self.meta.robots.list(project_id)

    async def get(self, robot_id: int) -> RobotRecord:
        robot = await self.meta.robots.by_id(robot_id)
        if robot is None:
            raise RegistryError("NOT_FOUND", f"robot {robot_id} not found", status=404)
        return robot

    async def refresh_secret(self, robot_id: int, secret: str | None = None) -> str:
        await self.get(robot_id)
        if secret is not None and not passwords.password_is_strong(secret):
            raise bad_request("secret must be 8-128 characters with upper case, lower case and a digit")
        secret = secret or passwords.random_secret()
        await self.meta.robots.update(robot_id, secret_hash=passwords.hash_secret(secret))
        self.on_change()
        return secret

    async def update(self, robot_id: int, *, description: str | None = None, disabled: bool | None = None,
                     duration: int | None = None, permissions: list | None = None) -> None:
        robot = await self.get(robot_id)
        fields: dict = {}
        if description is not None:
            fields["description"] = description
        if disabled is not None:
            fields["disabled"] = disabled
        if duration is not None:
            fields["duration"] = duration
            fields["expires_at"] = expiry(duration, robot.created)
        if permissions is not None:
            project = await self.meta.projects.by_id(robot.project_id) if robot.project_id else None
            fields["permissions"] = json.dumps(_validate_permissions(robot.level, permissions,
                                                                     project.name if project else None))
        if fields:
            await self.meta.robots.update(robot_id, **fields)
        self.on_change()

    async def delete(self, robot_id: int) -> None:
        if not await self.meta.robots.delete(robot_id):
            raise RegistryError("NOT_FOUND", f"robot {robot_id} not found", status=404)
        self.on_change()
