"""The "manage members" row of Harbor's permission matrix, one case per role."""
from __future__ import annotations

import pytest

from registry.core.rbac import DEVELOPER, GUEST, LIMITED_GUEST, MAINTAINER, PROJECT_ADMIN

# role → (may list members, may add / change / remove members)
MATRIX = {
    PROJECT_ADMIN: (True, True),
    MAINTAINER: (True, False),
    DEVELOPER: (True, False),
    GUEST: (True, False),
    LIMITED_GUEST: (False, False),
}


@pytest.mark.parametrize("role", list(MATRIX), ids=lambda r: {1: "projectAdmin", 2: "developer", 3: "guest",
                                                              4: "maintainer", 5: "limitedGuest"}[r])
def test_manage_members_row(admin, user, project, role):
    may_list, may_manage = MATRIX[role]
    member, _ = user(project, role)
    _, other_id = user()
    other = admin.get(f"/users/{other_id}").json()["username"]
    base = f"/projects/{project}/members"
    listed = member.get(base)
    assert listed.status_code == (200 if may_list else 403)
    added = member.post(base, json={"role_id": GUEST, "member_user": {"username": other}})
    assert added.status_code == (201 if may_manage else 403)
    if not may_manage:
        assert admin.post(base, json={"role_id": GUEST, "member_user": {"username": other}}).status_code == 201
    changed = member.put(f"{base}/{other_id}", json={"role_id": DEVELOPER})
    assert changed.status_code == (200 if may_manage else 403)
    removed = member.delete(f"{base}/{other_id}")
    assert removed.status_code == (200 if may_manage else 403)
    assert (admin.get(f"{base}/{other_id}").status_code == 404) == may_manage


def test_outsiders_and_anonymous_cannot_touch_members(admin, anon, user, project):
    outsider, _ = user()
    base = f"/projects/{project}/members"
    assert outsider.get(base).status_code == 403
    assert anon.get(base).status_code == 401
    assert outsider.post(base, json={"role_id": GUEST, "member_user": {"username": "admin"}}).status_code == 403
