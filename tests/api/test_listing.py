"""Harbor's list conventions on Berth's lists: integer ids, ``sort``, every form of ``q``
(exact, fuzzy, range, any-of, all-of), paging headers, and a 400 for what cannot be read."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_code, unique


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["name"].split("/", 1)[1] for r in response.json()]


@pytest.fixture
def three(admin, project, image_in) -> str:
    """A project with repositories b, a, c pushed in that order; c is pulled twice."""
    for name in ("b", "a", "c"):
        image_in(f"{project}/{name}", "v1")
    return project


def test_repositories_have_stable_integer_ids(admin, three):
    listed = admin.get(f"/projects/{three}/repositories").json()
    ids = {r["name"]: r["id"] for r in listed}
    assert all(isinstance(i, int) and i > 0 for i in ids.values()) and len(set(ids.values())) == 3
    assert ids[f"{three}/b"] < ids[f"{three}/a"] < ids[f"{three}/c"]  # given in creation order
    one = admin.get(f"/projects/{three}/repositories/a").json()
    assert one["id"] == ids[f"{three}/a"]
    project_id = admin.get(f"/projects/{three}").json()["project_id"]
    assert set(one) >= {"id", "project_id", "name", "description", "artifact_count", "pull_count",
                        "creation_time", "update_time"} and one["project_id"] == project_id


def test_artifacts_have_ids_and_their_repository_id(admin, three, image_in):
    image_in(f"{three}/a", "v2")
    repo_id = admin.get(f"/projects/{three}/repositories/a").json()["id"]
    listed = admin.get(f"/projects/{three}/repositories/a/artifacts").json()
    assert len(listed) == 2 and all(a["repository_id"] == repo_id for a in listed)
    assert len({a["id"] for a in listed}) == 2 and all(isinstance(a["id"], int) for a in listed)
    one = admin.get(f"/projects/{three}/repositories/a/artifacts/v1").json()
    assert one["id"] in {a["id"] for a in listed} and one["repository_id"] == repo_id


def test_sort_by_one_key_or_several(admin, three):
    base = f"/projects/{three}/repositories"
    assert names(admin.get(base)) == ["a", "b", "c"]
    assert names(admin.get(base, params={"sort": "-name"})) == ["c", "b", "a"]
    assert names(admin.get(base, params={"sort": "creation_time"})) == ["b", "a", "c"]
    assert names(admin.get(base, params={"sort": "-creation_time"})) == ["c", "a", "b"]
    assert names(admin.get(base, params={"sort": "artifact_count,-name"})) == ["c", "b", "a"]
    assert names(admin.get("/repositories", params={"q": f"name=~{three}/", "sort": "-id"})) == ["c", "a", "b"]


def test_q_exact_fuzzy_range_and_sets(admin, three):
    base = f"/projects/{three}/repositories"
    ids = {r["name"].split("/", 1)[1]: r["id"] for r in admin.get(base).json()}
    assert names(admin.get(base, params={"q": f"name={three}/a"})) == ["a"]
    assert names(admin.get(base, params={"q": "name=~/c"})) == ["c"]
    assert names(admin.get(base, params={"q": f"id=[{ids['a']}~{ids['c']}]"})) == ["a", "c"]
    assert names(admin.get(base, params={"q": f"id=[~{ids['b']}]"})) == ["b"]
    assert names(admin.get(base, params={"q": f"id={{{ids['b']} {ids['c']}}}"})) == ["b", "c"]
    assert names(admin.get(base, params={"q": f"name={{{three}/a {three}/b}},pull_count=0"})) == ["a", "b"]
    assert names(admin.get(base, params={"q": f"name=({three}/a {three}/b)"})) == []
    assert names(admin.get(base, params={"q": "creation_time=[2000-01-01 00:00:00~2999-01-01 00:00:00]"})) == \
        ["a", "b", "c"]
    assert names(admin.get(base, params={"q": "creation_time=[~2000-01-01 00:00:00]"})) == []
    assert names(admin.get(base, params={"q": "name=~%"})) == []  # wildcards are taken literally


def test_artifacts_filter_and_sort(admin, three, image_in):
    for tag in ("x1", "x2", "y1"):
        image_in(f"{three}/many", tag)
    base = f"/projects/{three}/repositories/many/artifacts"
    tags = lambda r: [a["tags"][0]["name"] for a in r.json()]  # noqa: E731
    assert tags(admin.get(base)) == ["y1", "x2", "x1"]  # newest first
    assert tags(admin.get(base, params={"sort": "push_time"})) == ["x1", "x2", "y1"]
    assert tags(admin.get(base, params={"q": "tags=~x", "sort": "push_time"})) == ["x1", "x2"]
    assert tags(admin.get(base, params={"q": "tags={x1 y1}", "sort": "push_time"})) == ["x1", "y1"]
    assert tags(admin.get(base, params={"q": "tags=*"})) == ["y1", "x2", "x1"]
    one = admin.get(base, params={"q": "tags=x2"})
    assert tags(one) == ["x2"] and one.headers["X-Total-Count"] == "1"
    assert tags(admin.get(base, params={"q": "tags=x2,push_time=[2000-01-01 00:00:00~2999-01-01 00:00:00]"})) == ["x2"]
    none = admin.get(base, params={"q": "tags=z9"})
    assert none.json() == [] and none.headers["X-Total-Count"] == "0"
    ids = sorted(a["id"] for a in admin.get(base).json())
    assert tags(admin.get(base, params={"q": f"id=[{ids[1]}~]", "sort": "-id"})) == ["y1", "x2"]
    paged = admin.get(base, params={"page_size": 1, "page": 2, "sort": "push_time"})
    assert tags(paged) == ["x2"] and paged.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in paged.headers["Link"] and 'rel="prev"' in paged.headers["Link"]


@pytest.mark.parametrize("params", [
    {"q": "name"}, {"q": "=a"}, {"q": "colour=red"}, {"q": "name=[a"}, {"q": "name={}"},
    {"q": "id=abc"}, {"q": "id=~3"}, {"q": "creation_time=[yesterday~]"}, {"q": "id=[~]"},
    {"q": "name=a,name=b"}, {"sort": "colour"}, {"sort": "-"}, {"sort": "name;drop"},
    {"q": "name=" + "x" * 5000}, {"q": "id={" + " ".join(["1"] * 101) + "}"},
])
def test_bad_q_or_sort_is_a_harbor_400(admin, three, params):
    for path in (f"/projects/{three}/repositories", "/repositories"):
        response = admin.get(path, params=params)
        assert response.status_code == 400, (params, response.text)
        assert error_code(response) == "BAD_REQUEST" and response.json()["errors"][0]["message"]


@pytest.mark.parametrize("params", [{"q": "tags=(a b)"}, {"q": "labels=~x"}, {"sort": "labels"},
                                    {"q": "push_time=[x~]"}, {"sort": "tags"}])
def test_bad_artifact_q_is_a_harbor_400(admin, three, params):
    response = admin.get(f"/projects/{three}/repositories/a/artifacts", params=params)
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", response.text


def test_projects_sort_and_filter_in_every_form(admin):
    stem = unique("s")
    made = [f"{stem}{c}" for c in "bac"]
    for i, name in enumerate(made):
        assert admin.post("/projects", json={"project_name": name, "metadata": {"public": str(i == 1).lower()}}
                          ).status_code == 201
    shown = lambda **p: [x["name"] for x in admin.get("/projects", params=p).json()]  # noqa: E731
    assert shown(q=f"name=~{stem}") == sorted(made)
    assert shown(q=f"name=~{stem}", sort="-creation_time") == list(reversed(made))
    assert shown(q=f"name=~{stem}", sort="project_id") == made
    assert shown(q=f"name=~{stem},public=true") == [f"{stem}a"]
    assert shown(name=f"~{stem}", public="false") == [f"{stem}b", f"{stem}c"]
    assert shown(q=f"name={{{stem}a {stem}c}}") == [f"{stem}a", f"{stem}c"]
    ids = [admin.get(f"/projects/{n}").json()["project_id"] for n in made]
    assert shown(q=f"project_id=[{ids[1]}~{ids[2]}]") == [f"{stem}a", f"{stem}c"]
    listed = admin.get("/projects", params={"q": f"name=~{stem}", "page_size": 2})
    assert listed.headers["X-Total-Count"] == "3" and 'rel="next"' in listed.headers["Link"]
    for bad in ({"q": "public=maybe"}, {"q": "colour=red"}, {"sort": "size"}, {"public": "yes"}):
        response = admin.get("/projects", params=bad)
        assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", bad


def test_q_values_may_be_quoted_and_sets_comma_separated(admin, three, image_in):
    base = f"/projects/{three}/repositories"
    assert names(admin.get(base, params={"q": f'name="{three}/a"'})) == ["a"]
    assert names(admin.get(base, params={"q": f"name={{'{three}/a', \"{three}/c\"}}"})) == ["a", "c"]
    assert names(admin.get(base, params={"q": 'creation_time=["2000-01-01 00:00:00"~]'})) == ["a", "b", "c"]
    response = admin.get(base, params={"q": "name={'a b}"})
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST"
