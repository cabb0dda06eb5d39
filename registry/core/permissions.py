"""Berth's rights in Harbor's words: the (resource, action) pairs that
``/users/current/permissions`` lists, so that a Harbor client or page can tell which
buttons to show.

Harbor names resources under a scope: ``/project/<id>/repository`` in a project,
``/system/user`` for the whole registry. Each Berth right (the permission matrix's
actions in ``registry.core.rbac``) stands for the Harbor pairs below; only pairs Berth
really answers are listed.
"""
from __future__ import annotations

import re

from registry.core.rbac import Principal

_CRUD = ("create", "read", "update", "delete", "list")

# A project right → the Harbor (resource, action) pairs it grants in that project.
PROJECT_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "pull": (("project", "read"), ("repository", "list"), ("repository", "read"), ("repository", "pull"),
             ("artifact", "list"), ("artifact", "read"), ("tag", "list"), ("label", "list"), ("label", "read"),
             ("quota", "read"), ("metadata", "read")),
    "push": (("repository", "push"), ("repository", "update"), ("artifact", "create"), ("tag", "create"),
             ("artifact-label", "create"), ("artifact-label", "delete")),
    "delete": (("repository", "delete"), ("artifact", "delete"), ("tag", "delete")),
    "read-members": (("member", "list"), ("member", "read"), ("log", "list")),
    "manage-members": tuple(("member", a) for a in ("create", "update", "delete")),
    "manage-robots": tuple(("robot", a) for a in _CRUD),
    "manage-labels": tuple(("label", a) for a in ("create", "update", "delete")),
    "update-project": (("project", "update"), ("project", "delete"), ("metadata", "update"),
                       *(("immutable-tag", a) for a in _CRUD), *(("tag-retention", a) for a in _CRUD),
                       *(("notification-policy", a) for a in _CRUD)),
}

# Registry-wide pairs: every user may create projects and read labels; admins do the rest.
SYSTEM_PAIRS_USER = (("project", "create"), ("label", "list"), ("label", "read"))
SYSTEM_PAIRS_ADMIN = (
    *SYSTEM_PAIRS_USER, ("label", "create"), ("label", "update"), ("label", "delete"),
    *(("user", a) for a in _CRUD), *(("robot", a) for a in _CRUD), *(("registry", a) for a in _CRUD),
    ("garbage-collection", "create"), ("garbage-collection", "read"), ("garbage-collection", "list"),
    ("garbage-collection", "update"), ("audit-log", "list"), ("quota", "read"), ("quota", "update"),
    ("quota", "list"), ("project", "list"),
)

PROJECT_SCOPE = re.compile(r"^/project/([0-9]{1,18})$")
SYSTEM_SCOPE = "/system"


def project_permissions(actions: set[str]) -> list[tuple[str, str]]:
    """The Harbor pairs that ``actions`` (a caller's rights in one project) grant, in order."""
    pairs: dict[tuple[str, str], None] = {}
    for action in PROJECT_PAIRS:
        if action in actions:
            pairs.update(dict.fromkeys(PROJECT_PAIRS[action]))
    return list(pairs)


def system_permissions(principal: Principal) -> list[tuple[str, str]]:
    if principal.admin:
        return list(SYSTEM_PAIRS_ADMIN)
    return [] if principal.anonymous or principal.kind == "robot" else list(SYSTEM_PAIRS_USER)


def scoped(scope: str, pairs: list[tuple[str, str]], relative: bool) -> list[dict[str, str]]:
    """Harbor's Permission objects: resources under ``scope``, or relative to it."""
    return [{"resource": resource if relative else f"{scope}/{resource}", "action": action}
            for resource, action in pairs]
