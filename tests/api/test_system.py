"""Health, systeminfo, statistics, search, audit logs, quotas, the OpenAPI document,
and bad input common to every endpoint."""
from __future__ import annotations

import requests

from registry.api.routes import PREFIX
from registry.config import load_config
from registry.server.app import create_app
from tests.api.conftest import Api, error_code, unique, wait_for


def test_health_ping_systeminfo(admin, anon):
    health = anon.get("/health").json()
    assert health["status"] == "healthy"
    assert {c["name"] for c in health["components"]} == {"core", "portal", "jobservice", "registry", "database"}
    assert all(c["status"] == "healthy" and "error" not in c for c in health["components"])
    assert anon.get("/ping").text == "Pong"
    public = anon.get("/systeminfo").json()
    assert public["auth_mode"] == "db_auth" and "registry_url" not in public
    full = admin.get("/systeminfo").json()
    assert full["registry_url"].startswith("127.0.0.1:") and full["project_creation_restriction"] == "everyone"


def test_statistics_and_search(admin, user, project, image_in):
    image_in(f"{project}/findme-app")
    stats = admin.get("/statistics").json()
    assert stats["total_project_count"] >= 2 and stats["private_repo_count"] >= 1
    assert stats["total_storage_consumption"] > 0
    outsider, _ = user()
    assert "total_storage_consumption" not in outsider.get("/statistics").json()
    found = admin.get("/search", params={"q": "findme"}).json()
    assert [r["repository_name"] for r in found["repository"]] == [f"{project}/findme-app"]
    assert found["repository"][0]["project_public"] is False
    assert admin.get("/search", params={"q": project}).json()["project"][0]["name"] == project
    assert outsider.get("/search", params={"q": "findme"}).json() == {"project": [], "repository": []}


def test_audit_logs(admin, user, registry, project, image_in):
    image_in(f"{project}/audited", "v1")
    registry.get(f"/v2/{project}/audited/manifests/v1")

    def pulls():
        return admin.get("/audit-logs", params={"q": f"operation=pull,resource={project}/audited"}).json()

    entries = wait_for(pulls)
    assert entries and entries[0]["username"] == "admin" and entries[0]["resource"] == f"{project}/audited:v1"
    pushes = admin.get(f"/projects/{project}/logs", params={"q": "operation=push"}).json()
    assert pushes[0]["operation"] == "push" and pushes[0]["resource_type"] == "artifact"
    outsider, _ = user()
    assert outsider.get("/audit-logs").status_code == 403
    assert outsider.get(f"/projects/{project}/logs").status_code == 403


def test_login_failures_are_audited(admin, server):
    name = unique("ghost")
    assert Api(server.url, (name, "Wrong-Pass-1")).get("/users/current").status_code == 401
    failed = wait_for(lambda: admin.get("/audit-logs", params={"q": f"operation=login_failed,resource={name}"}).json())
    assert failed and failed[0]["operation_result"] is False


def test_quotas(admin, anon, user, project, image_in):
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    assert admin.get(f"/quotas/{project_id}").json()["used"]["storage"] == 0
    image_in(f"{project}/a")
    image_in(f"{project}/b")
    quota = admin.get(f"/quotas/{project_id}").json()
    assert quota["ref"]["name"] == project and quota["hard"]["storage"] == -1 and quota["used"]["storage"] > 1000
    assert [q["id"] for q in admin.get("/quotas", params={"reference_id": project_id}).json()] == [project_id]
    assert admin.put(f"/quotas/{project_id}", json={"hard": {"storage": 10 ** 9}}).status_code == 200
    assert admin.get(f"/quotas/{project_id}").json()["hard"]["storage"] == 10 ** 9
    assert admin.get(f"/projects/{project}").json()["storage_limit"] == 10 ** 9
    assert admin.put(f"/quotas/{project_id}", json={"hard": {"storage": "big"}}).status_code == 400
    assert admin.put(f"/quotas/{project_id}", json={"hard": 1}).status_code == 400
    member, _ = user(project, 1)
    assert member.get(f"/quotas/{project_id}").status_code == 200
    assert member.put(f"/quotas/{project_id}", json={"hard": {"storage": 1}}).status_code == 403
    assert anon.get(f"/quotas/{project_id}").status_code == 401
    assert admin.get("/quotas/999999").status_code == 404


def test_bad_input_never_500(admin, server):
    huge = b'{"project_name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    too_big = admin.post("/projects", data=huge, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    for raw in (b"", b"not json", b"[1,2]", b'"text"', b"{" * 5000, b'{"project_name": null}'):
        response = admin.post("/projects", data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", raw[:20]
    assert admin.get("/no-such-endpoint").status_code == 404
    assert admin("PATCH", "/projects").status_code == 405
    bearer = requests.get(f"{server.url}/api/v2.0/users/current", headers={"Authorization": "Bearer abc"})
    assert bearer.status_code == 401 and "errors" in bearer.json()
    garbled = requests.get(f"{server.url}/api/v2.0/users/current", headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 401


def test_openapi_documents_exactly_the_registered_routes(anon):
    document = anon.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    app = create_app(load_config(environ={}))
    registered = {(r.method, r.resource.canonical[len(PREFIX):]) for r in app.router.routes()
                  if r.resource is not None and r.resource.canonical.startswith(PREFIX + "/")}
    assert registered == documented
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["responses"], path
