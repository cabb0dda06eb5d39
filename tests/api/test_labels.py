"""Labels as Harbor has them: global and per project, who may make them, putting them on
artifacts and taking them off, artifacts listed with and filtered by their labels."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_code, unique


def label_id(response) -> int:
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def project_id(admin, project) -> int:
    return admin.get(f"/projects/{project}").json()["project_id"]


def test_global_label_crud_by_admins(admin, user, anon):
    name = unique("l")
    made = label_id(admin.post("/labels", json={"name": name, "description": "d", "color": "#FF0000",
                                                "scope": "g"}))
    shown = admin.get(f"/labels/{made}").json()
    assert {k: shown[k] for k in ("id", "name", "description", "color", "scope", "project_id")} == \
        {"id": made, "name": name, "description": "d", "color": "#FF0000", "scope": "g", "project_id": 0}
    assert shown["creation_time"].endswith("Z") and shown["update_time"].endswith("Z")
    assert error_code(admin.post("/labels", json={"name": name, "scope": "g"})) == "CONFLICT"
    someone, _ = user()
    assert someone.post("/labels", json={"name": unique("l"), "scope": "g"}).status_code == 403
    assert anon.post("/labels", json={"name": unique("l"), "scope": "g"}).status_code == 401
    assert someone.get(f"/labels/{made}").status_code == 200
    listed = admin.get("/labels", params={"scope": "g", "name": name})
    assert [x["id"] for x in listed.json()] == [made] and listed.headers["X-Total-Count"] == "1"
    assert someone.put(f"/labels/{made}", json={"color": "#00FF00"}).status_code == 403
    assert admin.put(f"/labels/{made}", json={"color": "#00FF00"}).status_code == 200
    assert admin.get(f"/labels/{made}").json()["color"] == "#00FF00"
    assert admin.get(f"/labels/{made}").json()["name"] == name
    assert admin.delete(f"/labels/{made}").status_code == 200
    assert admin.get(f"/labels/{made}").status_code == 404


def test_project_labels_belong_to_their_project(admin, user, project, project_id):
    maintainer, _ = user(project, 4)
    developer, _ = user(project, 2)
    outsider, _ = user()
    name = unique("l")
    made = label_id(maintainer.post("/labels", json={"name": name, "scope": "p", "project_id": project_id}))
    assert developer.post("/labels", json={"name": unique("l"), "scope": "p",
                                           "project_id": project_id}).status_code == 403
    assert admin.get(f"/labels/{made}").json()["scope"] == "p"
    assert [x["id"] for x in developer.get("/labels", params={"scope": "p", "project_id": project_id}).json()] == [made]
    assert outsider.get("/labels", params={"scope": "p", "project_id": project_id}).status_code == 403
    assert outsider.get(f"/labels/{made}").status_code == 403
    # the same name in another scope is another label
    label_id(admin.post("/labels", json={"name": name, "scope": "g"}))
    assert made not in [x["id"] for x in admin.get("/labels", params={"scope": "g", "page_size": 100}).json()]


def test_labels_on_artifacts(admin, user, project, project_id, image_in):
    digest = image_in(f"{project}/app", "v1")
    other = image_in(f"{project}/app", "v2")
    base = f"/projects/{project}/repositories/app/artifacts"
    mine = label_id(admin.post("/labels", json={"name": unique("l"), "scope": "p", "project_id": project_id}))
    everyone = label_id(admin.post("/labels", json={"name": unique("l"), "scope": "g"}))
    developer, _ = user(project, 2)
    guest, _ = user(project, 3)
    assert developer.post(f"{base}/v1/labels", json={"id": mine}).status_code == 200
    assert admin.post(f"{base}/{digest}/labels", json={"id": everyone}).status_code == 200
    assert error_code(admin.post(f"{base}/v1/labels", json={"id": mine})) == "CONFLICT"
    assert guest.post(f"{base}/v2/labels", json={"id": mine}).status_code == 403
    assert admin.post(f"{base}/v2/labels", json={"id": everyone}).status_code == 200

    shown = admin.get(f"{base}/v1", params={"with_label": "true"}).json()
    assert sorted(x["id"] for x in shown["labels"]) == sorted([mine, everyone])
    assert shown["labels"][0]["name"] and shown["labels"][0]["scope"] in ("g", "p")
    assert admin.get(f"{base}/v1").json()["labels"] == []  # only when asked for
    listed = {a["digest"]: [x["id"] for x in a["labels"]]
              for a in admin.get(base, params={"with_label": "true"}).json()}
    assert listed == {digest: sorted([mine, everyone]), other: [everyone]}

    by_label = lambda q: [a["digest"] for a in admin.get(base, params={"q": q}).json()]  # noqa: E731
    assert by_label(f"labels={mine}") == [digest]
    assert by_label(f"labels=({mine} {everyone})") == [digest]
    assert sorted(by_label(f"labels={{{mine} {everyone}}}")) == sorted([digest, other])

    assert admin.delete(f"{base}/v1/labels/{mine}").status_code == 200
    assert error_code(admin.delete(f"{base}/v1/labels/{mine}")) == "NOT_FOUND"
    assert by_label(f"labels={mine}") == []
    assert admin.delete(f"/labels/{everyone}").status_code == 200  # comes off every artifact
    assert admin.get(f"{base}/v2", params={"with_label": "true"}).json()["labels"] == []


def test_labels_of_another_project_do_not_apply(admin, project, image_in):
    image_in(f"{project}/app", "v1")
    elsewhere = unique()
    assert admin.post("/projects", json={"project_name": elsewhere}).status_code == 201
    other_id = admin.get(f"/projects/{elsewhere}").json()["project_id"]
    foreign = label_id(admin.post("/labels", json={"name": unique("l"), "scope": "p", "project_id": other_id}))
    refused = admin.post(f"/projects/{project}/repositories/app/artifacts/v1/labels", json={"id": foreign})
    assert refused.status_code == 400 and error_code(refused) == "BAD_REQUEST"


def test_deleting_an_artifact_takes_its_labels_along(admin, project, image_in, registry):
    image_in(f"{project}/app", "v1")
    made = label_id(admin.post("/labels", json={"name": unique("l"), "scope": "g"}))
    base = f"/projects/{project}/repositories/app/artifacts"
    assert admin.post(f"{base}/v1/labels", json={"id": made}).status_code == 200
    assert admin.delete(f"{base}/v1").status_code == 200
    image_in(f"{project}/app", "v1")  # the same image again: a new artifact, unlabelled
    assert admin.get(f"{base}/v1", params={"with_label": "true"}).json()["labels"] == []


@pytest.mark.parametrize("body", [
    {"scope": "g"}, {"name": "", "scope": "g"}, {"name": "x" * 129, "scope": "g"}, {"name": 3, "scope": "g"},
    {"name": "a", "scope": "x"}, {"name": "a", "scope": "p"}, {"name": "a", "scope": "p", "project_id": "1"},
    {"name": "a", "scope": "g", "color": 5}, {"name": "a", "scope": "g", "description": ["x"]},
])
def test_bad_label_bodies_are_400(admin, body):
    response = admin.post("/labels", json=body)
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", (body, response.text)


@pytest.mark.parametrize("params", [{"scope": "x"}, {"scope": "p"}, {"scope": "p", "project_id": "abc"},
                                    {"q": "colour=red"}, {"sort": "-nope"}, {"page_size": "0"}])
def test_bad_label_queries_are_400(admin, params):
    response = admin.get("/labels", params=params)
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", (params, response.text)


def test_bad_artifact_label_requests(admin, project, image_in):
    image_in(f"{project}/app", "v1")
    base = f"/projects/{project}/repositories/app/artifacts/v1"
    assert admin.post(f"{base}/labels", json={"id": "1"}).status_code == 400
    assert admin.post(f"{base}/labels", json={}).status_code == 400
    assert error_code(admin.post(f"{base}/labels", json={"id": 2**40})) == "NOT_FOUND"
    assert admin.delete(f"{base}/labels/abc").status_code == 400
    assert admin.get(base, params={"with_label": "yes"}).status_code == 400
    assert admin.get("/labels/0").status_code == 400
    assert admin.get(f"/labels/{2**40}").status_code == 404
