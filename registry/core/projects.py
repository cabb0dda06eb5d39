"""Projects and members: Harbor's naming rules, visibility and what each caller may do."""
from __future__ import annotations

import re

from registry.core.errors import RegistryError, bad_request
from registry.core.quotas import storage_limit as valid_storage_limit
from registry.core.readcache import ReadCache
from registry.core.rbac import PROJECT_ADMIN, ROLE_NAMES, Principal, expand, robot_actions, role_actions
from storage.meta.database import Conflict
from storage.meta.records import MemberRecord, ProjectRecord, UserRecord
from storage.meta.store import MetaStore

PROJECT_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def project_not_found(name: str) -> RegistryError:
    return RegistryError("NOT_FOUND", f"project {name} not found", status=404)


class ProjectService:
    def __init__(self, meta: MetaStore, auto_create: bool = False) -> None:
        self.meta = meta
        self.auto_create = auto_create

    async def create(self, name: str, public: bool, owner: Principal | None, storage_limit: int = -1) -> int:
        if not 1 <= len(name) <= 255 or not PROJECT_NAME_RE.fullmatch(name):
            raise bad_request(f"invalid project name {name[:64]!r}: use lower-case letters, "
                                "digits and . _ - between them")
        try:
            project_id = await self.meta.projects.create(name, public, owner.user_id if owner else None,
                                                         valid_storage_limit(storage_limit, "storage_limit"))
        except Conflict:
            raise RegistryError("CONFLICT", f"project {name} already exists", status=409) from None
        if owner is not None and owner.kind == "user" and owner.user_id is not None:
            await self.meta.projects.set_member(project_id, owner.user_id, 1)
        return project_id

    async def get(self, name: str) -> ProjectRecord:
        project = await self.meta.projects.by_name(name)
        if project is None:
            raise project_not_found(name)
        return project

    def read_cache(self) -> ReadCache:
        """A cache for answers drawn from projects and accounts, emptied by any change to them."""
        return ReadCache.over(self.meta)

    async def all(self) -> list[ProjectRecord]:
        return await self.meta.projects.all()

    async def by_id(self, project_id: int) -> ProjectRecord | None:
        return await self.meta.projects.by_id(project_id)

    async def find(self, name: str) -> ProjectRecord | None:
        return await self.meta.projects.by_name(name)

    async def roles_of_user(self, user_id: int) -> dict[str, int]:
        """The role id the user holds in each project it is a member of, by project name."""
        return await self.meta.projects.roles_of_user(user_id)

    async def actions(self, principal: Principal, project: ProjectRecord | None) -> set[str]:
        """Every repository or project action ``principal`` may perform in ``project``."""
        if project is None:
            return set()
        granted: set[str] = {"pull"} if project.public else set()
        if principal.admin:
            granted |= role_actions(PROJECT_ADMIN)  # every right a project has
        elif principal.kind == "user" and principal.user_id is not None:
            granted |= role_actions(await self.meta.projects.role_of(project.id, principal.user_id))
            for role in await self.meta.groups.roles_in_project(project.id, principal.group_ids):
                granted |= role_actions(role)
        elif principal.kind == "robot":
            granted |= expand(robot_actions(principal, project.name))
        return granted

    async def for_repository(self, principal: Principal, project_name: str, wanted: set[str]) -> ProjectRecord | None:
        """The repository's project, created first when an admin pushes and that is allowed."""
        project = await self.meta.projects.by_name(project_name)
        if project is None and self.auto_create and principal.admin and "push" in wanted:
            try:
                await self.create(project_name, False, principal)
            except RegistryError as error:
                if error.status != 409:
                    raise
            project = await self.meta.projects.by_name(project_name)
        return project

    async def visible_names(self, principal: Principal) -> set[str] | None:
        """Names of the projects the caller may see; None means all of them."""
        if principal.admin:
            return None
        names = {p.name for p in await self.meta.projects.all() if p.public}
        if principal.kind == "user" and principal.user_id is not None:
            names |= set(await self.meta.projects.roles_of_user(principal.user_id))
            names |= set(await self.meta.groups.projects_of(principal.group_ids))
        elif principal.kind == "robot":
            if "*" in principal.robot_access:
                return None
            names |= set(principal.robot_access)
        return names

    async def members(self, project: ProjectRecord) -> list[MemberRecord]:
        return await self.meta.projects.members(project.id)

    async def member(self, project: ProjectRecord, user_id: int) -> MemberRecord:
        for member in await self.members(project):
            if member.user_id == user_id:
                return member
        raise RegistryError("NOT_FOUND", f"member {user_id} not found in {project.name}", status=404)

    async def add_member(self, project: ProjectRecord, user: int | str, role_id: int) -> int:
        """Make a user (by id or name) a member; CONFLICT when it already is one. Returns its id."""
        found = await (self.meta.users.by_id(user) if isinstance(user, int) else self.meta.users.by_name(user))
        if found is None:
            raise RegistryError("NOT_FOUND", "no such user", status=404)
        if await self.meta.projects.role_of(project.id, found.id) is not None:
            raise RegistryError("CONFLICT", f"{found.username} is already a member of {project.name}", status=409)
        await self.set_member(project, found.id, role_id)
        return found.id

    async def set_member(self, project: ProjectRecord, user_id: int, role_id: int) -> None:
        if role_id not in ROLE_NAMES:
            raise bad_request(f"role_id must be one of {sorted(ROLE_NAMES)}")
        if await self.meta.users.by_id(user_id) is None:
            raise RegistryError("NOT_FOUND", f"user {user_id} not found", status=404)
        await self.meta.projects.set_member(project.id, user_id, role_id)

    async def remove_member(self, project: ProjectRecord, user_id: int) -> None:
        member = await self.member(project, user_id)
        await self.meta.projects.remove_member(project.id, member.user_id)

    async def delete(self, project: ProjectRecord) -> None:
        """Delete an empty project with what belongs only to it (webhook policies, its upstream binding)."""
        if await self.meta.projects.repository_count(project.name):
            raise RegistryError("PRECONDITION", f"project {project.name} still has repositories; delete them first",
                                status=412)
        await self.meta.projects.delete(project.id)
        await self.meta.webhooks.delete_project(project.id)
        await self.meta.immutable_rules.delete_project(project.id)
        retention = await self.meta.retention.policy_of_project(project.id)
        if retention is not None:
            await self.meta.retention.delete_policy(retention.id)
        await self.meta.upstreams.unbind(project.id)

    async def owner_names(self, projects: list[ProjectRecord]) -> dict[int, str]:
        """The owner's username for each owner id among ``projects`` ("" for a deleted owner)."""
        names: dict[int, str] = {}
        for owner in {p.owner_id for p in projects if p.owner_id}:
            record: UserRecord | None = await self.meta.users.by_id(owner)
            names[owner] = record.username if record else ""
        return names
