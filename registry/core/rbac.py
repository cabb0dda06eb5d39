"""Harbor's roles and the permission matrix, and who a caller is.

Repository actions are the Docker token ones: ``pull``, ``push``, ``delete``, plus
``*``. Project roles decide them for users; robot accounts carry explicit
permissions; public projects add ``pull`` for everyone, anonymous callers included.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PROJECT_ADMIN, DEVELOPER, GUEST, MAINTAINER, LIMITED_GUEST = 1, 2, 3, 4, 5

ROLE_NAMES = {
    PROJECT_ADMIN: "projectAdmin",
    DEVELOPER: "developer",
    GUEST: "guest",
    MAINTAINER: "maintainer",
    LIMITED_GUEST: "limitedGuest",
}

# Repository actions each role grants, plus project management rights.
ROLE_ACTIONS: dict[int, frozenset[str]] = {
    PROJECT_ADMIN: frozenset({"pull", "push", "delete", "manage-members", "manage-robots", "update-project",
                              "read-members", "manage-labels"}),
    MAINTAINER: frozenset({"pull", "push", "delete", "manage-robots", "read-members", "manage-labels"}),
    DEVELOPER: frozenset({"pull", "push", "read-members"}),
    GUEST: frozenset({"pull", "read-members"}),
    LIMITED_GUEST: frozenset({"pull"}),
}

REPOSITORY_ACTIONS = frozenset({"pull", "push", "delete"})


@dataclass(slots=True)
class Principal:
    """Who is calling: an anonymous caller, a user or a robot account."""

    kind: str = "anonymous"  # anonymous, user, robot
    name: str = ""
    user_id: int | None = None
    admin: bool = False
    # For robots: project name (or "*") → actions granted.
    robot_access: dict[str, frozenset[str]] = field(default_factory=dict)
    # For users from LDAP or OpenID Connect: the user groups the provider named at the last check.
    group_ids: frozenset[int] = frozenset()
    source: str = "local"  # for users: local, ldap or oidc

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"


ANONYMOUS = Principal()


def role_actions(role_id: int | None) -> frozenset[str]:
    return ROLE_ACTIONS.get(role_id or 0, frozenset())


def robot_actions(principal: Principal, project: str) -> frozenset[str]:
    return principal.robot_access.get(project, frozenset()) | principal.robot_access.get("*", frozenset())


def expand(actions: set[str] | frozenset[str]) -> set[str]:
    """``*`` stands for every repository action."""
    return set(REPOSITORY_ACTIONS) if "*" in actions else set(actions)
