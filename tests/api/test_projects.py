"""/projects: list, paging, filters, HEAD, create, get by name or id, update, delete, summary."""
from __future__ import annotations

from tests.api.conftest import error_code, unique


def test_create_get_by_name_and_id(admin, anon):
    name = unique()
    created = admin.post("/projects", json={"project_name": name, "metadata": {"public": "true"}})
    assert created.status_code == 201
    project_id = created.headers["Location"].rsplit("/", 1)[1]
    by_id = admin.get(f"/projects/{project_id}").json()
    by_name = anon.get(f"/projects/{name}").json()
    assert by_id["name"] == by_name["name"] == name
    assert by_id["metadata"] == {"public": "true"} and by_id["repo_count"] == 0
    assert by_id["owner_name"] == "admin" and by_id["current_user_role_id"] == 1
    in_name = admin.post("/projects", json={"project_name": unique(), "public": False},
                         headers={"X-Resource-Name-In-Location": "true"})
    assert not in_name.headers["Location"].rsplit("/", 1)[1].isdigit()


def test_the_default_project_has_a_creation_time(admin):
    library = admin.get("/projects/library").json()
    assert library["creation_time"] != "0001-01-01T00:00:00.000Z"
    assert library["creation_time"] == library["update_time"]


def test_numeric_project_name_needs_the_resource_name_header(admin):
    name = str(900000 + int(unique("")[:5], 16) % 99999)
    assert admin.post("/projects", json={"project_name": name}).status_code == 201
    assert admin.get(f"/projects/{name}", headers={"X-Is-Resource-Name": "true"}).json()["name"] == name


def test_create_errors(admin, anon, user):
    name = unique()
    assert admin.post("/projects", json={"project_name": name}).status_code == 201
    duplicate = admin.post("/projects", json={"project_name": name})
    assert duplicate.status_code == 409 and error_code(duplicate) == "CONFLICT"
    for body in ({"project_name": "Bad Name"}, {}, {"project_name": 5}, {"project_name": unique(), "public": "yes"},
                 {"project_name": unique(), "metadata": {"public": "maybe"}}, {"project_name": "x" * 300}):
        response = admin.post("/projects", json=body)
        assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", body
    assert anon.post("/projects", json={"project_name": unique()}).status_code == 401


def test_non_admin_storage_limit_is_ignored(admin, user):
    client, _ = user()
    name = unique()
    assert client.post("/projects", json={"project_name": name, "storage_limit": 10}).status_code == 201
    assert admin.get(f"/projects/{name}").json()["storage_limit"] == -1
    assert admin.get(f"/projects/{name}/summary").json()["project_admin_count"] == 1


def test_list_filters_and_paging(admin, anon):
    stem = unique("list")
    for i in range(3):
        assert admin.post("/projects", json={"project_name": f"{stem}-{i}", "public": i == 0}).status_code == 201
    found = admin.get("/projects", params={"q": f"name=~{stem}", "page_size": 2})
    assert found.headers["X-Total-Count"] == "3" and len(found.json()) == 2
    assert 'rel="next"' in found.headers["Link"]
    second = admin.get("/projects", params={"q": f"name=~{stem}", "page_size": 2, "page": 2})
    assert len(second.json()) == 1 and 'rel="prev"' in second.headers["Link"]
    assert [p["name"] for p in admin.get("/projects", params={"name": f"{stem}-1"}).json()] == [f"{stem}-1"]
    public_only = admin.get("/projects", params={"q": f"name=~{stem}", "public": "true"}).json()
    assert [p["name"] for p in public_only] == [f"{stem}-0"]
    assert [p["name"] for p in anon.get("/projects", params={"q": f"name=~{stem}"}).json()] == [f"{stem}-0"]
    for params in ({"page": "0"}, {"page_size": "101"}, {"page": "x"}, {"q": "nonsense"}, {"public": "yes"}):
        assert admin.get("/projects", params=params).status_code == 400, params


def test_head(admin, anon, project):
    assert admin("HEAD", "/projects", params={"project_name": project}).status_code == 200
    assert admin("HEAD", "/projects", params={"project_name": unique()}).status_code == 404
    assert admin("HEAD", "/projects").status_code == 400
    assert anon("HEAD", "/projects", params={"project_name": project}).status_code == 401


def test_private_project_visibility(admin, anon, user, project):
    outsider, _ = user()
    assert anon.get(f"/projects/{project}").status_code == 401
    denied = outsider.get(f"/projects/{project}")
    assert denied.status_code == 403 and error_code(denied) == "FORBIDDEN"
    assert admin.get(f"/projects/{unique()}").status_code == 404
    assert project not in [p["name"] for p in outsider.get("/projects", params={"page_size": 100}).json()]


def test_update(admin, user, project):
    developer, _ = user(project, 2)
    assert admin.put(f"/projects/{project}", json={"metadata": {"public": "true"}}).status_code == 200
    assert admin.get(f"/projects/{project}").json()["metadata"]["public"] == "true"
    assert developer.put(f"/projects/{project}", json={"public": False}).status_code == 403
    assert admin.put(f"/projects/{project}", json={"metadata": {"public": 1}}).status_code == 400
    assert admin.put(f"/projects/{project}", json={"storage_limit": -5}).status_code == 400
    assert admin.put(f"/projects/{unique()}", json={"public": True}).status_code == 404


def test_delete_refused_while_repositories_exist(admin, user, project, image_in):
    image_in(f"{project}/app")
    guest, _ = user(project, 3)
    assert guest.delete(f"/projects/{project}").status_code == 403
    refused = admin.delete(f"/projects/{project}")
    assert refused.status_code == 412 and error_code(refused) == "PRECONDITION"
    assert admin.delete(f"/projects/{project}/repositories/app").status_code == 200
    assert admin.delete(f"/projects/{project}").status_code == 200
    assert admin.get(f"/projects/{project}").status_code == 404


def test_summary(admin, user, project, image_in):
    image_in(f"{project}/one")
    user(project, 2)
    user(project, 3)
    summary = admin.get(f"/projects/{project}/summary").json()
    assert summary["repo_count"] == 1
    assert (summary["project_admin_count"], summary["developer_count"], summary["guest_count"]) == (1, 1, 1)
    assert summary["quota"]["hard"]["storage"] == -1 and summary["quota"]["used"]["storage"] > 0
