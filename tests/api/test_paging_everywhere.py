"""Every list endpoint pages as Harbor's do: ``page``/``page_size`` pick the slice, and the
answer carries ``X-Total-Count`` and a ``Link`` header with ``rel="next"``/``rel="prev"``.

The lists are taken from the route table, so a new list endpoint without an entry here
fails the test instead of going unchecked.
"""
from __future__ import annotations

import re
import time

import pytest

from registry.api.routes import ROUTES
from tests.api.conftest import PASSWORD, unique, wait_for
from tests.api.test_retention import _create, _execute, _rule
from tests.support.images import make_image

# Lists that Harbor does not page either.
UNPAGED = {"/users/current/permissions", "/ldap/users/search", "/ldap/groups/search"}
LINK = re.compile(r'<([^>]+)>; rel="(prev|next)"')


def list_routes() -> list[str]:
    return sorted(r.path for r in ROUTES if r.method == "GET" and (r.returns or "").startswith("[")
                  and r.path not in UNPAGED)


@pytest.fixture(scope="module")
def world(admin, registry):
    """Two of everything a list shows, and the concrete path of every list."""
    project = unique()
    assert admin.post("/projects", json={"project_name": project}).status_code == 201
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    for repo in ("a", "b"):
        for tag in ("v1", "v2"):
            registry.push_image(f"{project}/{repo}", make_image(layers=1, layer_size=256), tag)
    digest = admin.get(f"/projects/{project}/repositories/a/artifacts/v1").json()["digest"]
    assert admin.post(f"/projects/{project}/repositories/a/artifacts/{digest}/tags",
                      json={"name": "extra"}).status_code == 201
    for _ in range(2):
        name = unique("u")
        assert admin.post("/users", json={"username": name, "password": PASSWORD}).status_code == 201
        assert admin.post(f"/projects/{project}/members",
                          json={"role_id": 2, "member_user": {"username": name}}).status_code == 201
        assert admin.post("/labels", json={"name": unique("l"), "scope": "g"}).status_code == 201
        assert admin.post("/labels", json={"name": unique("l"), "scope": "p",
                                           "project_id": project_id}).status_code == 201
        assert admin.post(f"/projects/{project}/webhook/policies", json={
            "name": unique("w"), "enabled": True, "event_types": ["PUSH_ARTIFACT"],
            "targets": [{"type": "http", "address": "http://127.0.0.1:9/hook"}]}).status_code == 201
        assert admin.post(f"/projects/{project}/immutabletagrules", json={
            "tag_selectors": [{"decoration": "matches", "pattern": unique("t")}],
            "scope_selectors": {"repository": [{"decoration": "repoMatches", "pattern": "**"}]}}).status_code == 201
        assert admin.post("/robots", json={"name": unique("r"), "level": "system", "permissions": []}).status_code == 201
        assert admin.post("/registries", json={"name": unique("e"), "type": "docker-registry",
                                               "url": "http://127.0.0.1:9"}).status_code == 201
        assert admin.post("/usergroups", json={"group_name": unique("g"), "group_type": 3}).status_code == 201
    policy = _create(admin, project, _rule("always"))
    _execute(admin, policy, dry_run=True)
    execution, _, _ = _execute(admin, policy, dry_run=True)
    for _ in range(2):
        started = admin.post("/system/gc/schedule", json={"schedule": {"type": "Manual"},
                                                           "parameters": {"dry_run": True}})
        assert started.status_code in (201, 409), started.text
        time.sleep(0.2)
    hooks = f"/projects/{project}/webhook/policies"
    hook = admin.get(hooks).json()[0]["id"]
    for tag in ("w1", "w2"):  # pushes the policies hear of: their deliveries (to a closed port) are executions
        registry.push_image(f"{project}/a", make_image(layers=1, layer_size=256), tag)
    assert wait_for(lambda: int(admin.get(f"{hooks}/{hook}/executions").headers["X-Total-Count"]) >= 2, 20)
    # the audit log is written behind the requests that it records
    assert wait_for(lambda: int(admin.get(f"/projects/{project}/logs").headers["X-Total-Count"]) >= 2)
    paths = {
        "/audit-logs": "/audit-logs",
        "/projects": "/projects",
        "/projects/{project}/logs": f"/projects/{project}/logs",
        "/repositories": "/repositories",
        "/projects/{project}/repositories": f"/projects/{project}/repositories",
        "/projects/{project}/repositories/{repository}/artifacts": f"/projects/{project}/repositories/a/artifacts",
        "/projects/{project}/repositories/{repository}/artifacts/{reference}/tags":
            f"/projects/{project}/repositories/a/artifacts/v1/tags",
        "/labels": "/labels",
        "/projects/{project}/members": f"/projects/{project}/members",
        "/projects/{project}/webhook/policies": f"/projects/{project}/webhook/policies",
        "/projects/{project}/webhook/policies/{policy_id}/executions": f"{hooks}/{hook}/executions",
        "/projects/{project}/immutabletagrules": f"/projects/{project}/immutabletagrules",
        "/retentions/{retention_id}/executions": f"/retentions/{policy}/executions",
        "/retentions/{retention_id}/executions/{execution_id}/tasks":
            f"/retentions/{policy}/executions/{execution['id']}/tasks",
        "/system/gc": "/system/gc",
        "/users": "/users",
        "/users/search": "/users/search?username=u",
        "/robots": "/robots",
        "/registries": "/registries",
        "/quotas": "/quotas",
        "/usergroups": "/usergroups",
        "/usergroups/search": "/usergroups/search?groupname=g",
    }
    return paths


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


def test_every_list_is_covered(world):
    assert sorted(world) == list_routes()


@pytest.mark.parametrize("route", list_routes())
def test_list_pages_with_total_and_links(admin, world, route):
    path = world[route]
    first = admin.get(path, params={"page_size": 1})
    assert first.status_code == 200, first.text
    total = int(first.headers["X-Total-Count"])
    assert len(first.json()) == min(total, 1)
    if route == "/system/gc" and total < 2:
        pytest.skip("one garbage collection run a minute at most")
    assert total >= 2, f"{route}: set up two items"
    assert "prev" not in links(first) and "page=2" in links(first)["next"]
    second = admin.get(links(first)["next"].removeprefix("/api/v2.0"))
    assert second.status_code == 200 and int(second.headers["X-Total-Count"]) == total
    assert len(second.json()) == 1 and second.json() != first.json()
    assert "page=1" in links(second)["prev"]
    assert ("next" in links(second)) == (total > 2)
    last = admin.get(path, params={"page_size": 100, "page": (total + 99) // 100})
    assert "next" not in links(last)
    beyond = admin.get(path, params={"page_size": 1, "page": total + 1})
    assert beyond.status_code == 200 and beyond.json() == [] and int(beyond.headers["X-Total-Count"]) == total
