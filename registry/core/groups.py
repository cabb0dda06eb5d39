"""User groups (Harbor's ``/usergroups``) and their roles in projects.

A group stands for a directory group (type 1, named by its DN) or an OpenID Connect
group (type 3, named by the groups claim's value). Who is in it is what the provider
said at the member's last check; Berth never edits that, only the group's project roles.
"""
from __future__ import annotations

from registry.core.errors import RegistryError, bad_request
from registry.core.rbac import ROLE_NAMES
from storage.meta.records import GroupMemberRecord, GroupRecord, ProjectRecord
from storage.meta.store import MetaStore

LDAP_GROUP, HTTP_GROUP, OIDC_GROUP = 1, 2, 3
GROUP_TYPES = {LDAP_GROUP: "ldap", OIDC_GROUP: "oidc"}


def group_not_found(group_id: int) -> RegistryError:
    return RegistryError("NOT_FOUND", f"user group {group_id} not found", status=404)


class GroupService:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    async def ensure(self, name: str, group_type: int, external_id: str) -> int:
        """The group for a provider's group, created the first time it is named."""
        if group_type not in GROUP_TYPES:
            raise bad_request(f"group_type must be one of {sorted(GROUP_TYPES)} (1 LDAP, 3 OIDC)")
        name, external_id = name.strip(), external_id.strip()
        if not name or not external_id or len(name) > 255 or len(external_id) > 1024:
            raise bad_request("a group needs a name (at most 255 characters) and its LDAP DN or OIDC name")
        return await self.meta.groups.ensure(name, group_type, external_id)

    async def get(self, group_id: int) -> GroupRecord:
        group = await self.meta.groups.by_id(group_id)
        if group is None:
            raise group_not_found(group_id)
        return group

    async def list(self, name_like: str, offset: int, limit: int) -> tuple[list[GroupRecord], int]:
        return await self.meta.groups.list(name_like, offset, limit)

    async def rename(self, group_id: int, name: str) -> None:
        if not name.strip() or len(name) > 255:
            raise bad_request("group_name must be 1-255 characters")
        if not await self.meta.groups.rename(group_id, name.strip()):
            raise group_not_found(group_id)

    async def delete(self, group_id: int) -> None:
        if not await self.meta.groups.delete(group_id):
            raise group_not_found(group_id)

    async def members(self, project: ProjectRecord) -> list[GroupMemberRecord]:
        return await self.meta.groups.members(project.id)

    async def member(self, project: ProjectRecord, group_id: int) -> GroupMemberRecord:
        for member in await self.members(project):
            if member.group_id == group_id:
                return member
        raise RegistryError("NOT_FOUND", f"group member {group_id} not found in {project.name}", status=404)

    async def add_member(self, project: ProjectRecord, group_id: int, role_id: int) -> None:
        """Give a group a role in a project; CONFLICT when it has one already."""
        group = await self.get(group_id)
        if any(m.group_id == group_id for m in await self.members(project)):
            raise RegistryError("CONFLICT", f"group {group.name} is already a member of {project.name}", status=409)
        await self.set_role(project, group_id, role_id)

    async def set_role(self, project: ProjectRecord, group_id: int, role_id: int) -> None:
        if role_id not in ROLE_NAMES:
            raise bad_request(f"role_id must be one of {sorted(ROLE_NAMES)}")
        await self.meta.groups.set_member(project.id, group_id, role_id)

    async def remove_member(self, project: ProjectRecord, group_id: int) -> None:
        if not await self.meta.groups.remove_member(project.id, group_id):
            raise RegistryError("NOT_FOUND", f"group member {group_id} not found in {project.name}", status=404)
