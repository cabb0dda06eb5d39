"""``GET /repositories``: every repository the caller may see, across projects, paged."""
from __future__ import annotations

from tests.api.conftest import unique


def test_lists_only_visible_repositories(admin, anon, user, project, image_in):
    public = unique()
    assert admin.post("/projects", json={"project_name": public, "metadata": {"public": "true"}}).status_code == 201
    image_in(f"{project}/private-app")
    image_in(f"{public}/open-app")
    member, _ = user(project, 3)
    outsider, _ = user()

    def names(api, **params) -> set[str]:
        """What ``api`` sees of the two projects (the suite's server holds many more repositories)."""
        seen: set[str] = set()
        for query in params.get("q") and [params["q"]] or [f"name=~{project}/", f"name=~{public}/"]:
            response = api.get("/repositories", params={"page_size": 100, "q": query})
            assert response.status_code == 200, response.text
            seen |= {r["name"] for r in response.json()}
        return seen

    assert {f"{project}/private-app", f"{public}/open-app"} <= names(admin)
    assert {f"{project}/private-app", f"{public}/open-app"} <= names(member)
    assert f"{project}/private-app" not in names(outsider) and f"{public}/open-app" in names(outsider)
    assert f"{project}/private-app" not in names(anon) and f"{public}/open-app" in names(anon)
    assert names(admin, q=f"name=~{project}/private") == {f"{project}/private-app"}
    listed = admin.get("/repositories", params={"q": f"name=~{public}"}).json()
    assert listed[0]["project_id"] == admin.get(f"/projects/{public}").json()["project_id"]


def test_paging_and_bad_parameters(admin, project, image_in):
    for i in range(3):
        image_in(f"{project}/r{i}")
    first = admin.get("/repositories", params={"q": f"name=~{project}/", "page_size": 2})
    assert first.status_code == 200 and len(first.json()) == 2
    assert first.headers["X-Total-Count"] == "3" and 'rel="next"' in first.headers["Link"]
    assert admin.get("/repositories", params={"page_size": "many"}).status_code == 400
