"""Tag immutability: the rules API (Harbor's shape) and the rule held at every door —
a push over /v2, a tag or manifest delete over /v2 and the API, a repository delete."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_code
from tests.support.images import make_image

RULES = "/projects/{}/immutabletagrules"


def _rule(tags: str = "rel-*", repos: str = "**", **extra) -> dict:
    return {"tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tags}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                                "pattern": repos}]}, **extra}


def _add(admin, project: str, body: dict) -> int:
    made = admin.post(RULES.format(project), json=body)
    assert made.status_code == 201, made.text
    return int(made.headers["Location"].rsplit("/", 1)[1])


def _refused(response, repo: str, tag: str) -> None:
    assert response.status_code == 412, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "PRECONDITION"
    assert error["message"] == f"Failed to process request due to '{repo}:{tag}' configured as immutable."


def test_rules_crud_in_harbors_shape(admin, project):
    rule_id = _add(admin, project, _rule(priority=3))
    listed = admin.get(RULES.format(project))
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    (rule,) = listed.json()
    assert rule["id"] == rule_id and rule["priority"] == 3 and rule["disabled"] is False
    assert rule["action"] == "immutable" and rule["template"] == "immutable_template"
    assert rule["tag_selectors"] == [{"kind": "doublestar", "decoration": "matches", "pattern": "rel-*"}]
    assert rule["scope_selectors"]["repository"][0]["decoration"] == "repoMatches"
    assert admin.put(f"{RULES.format(project)}/{rule_id}", json=_rule("v*")).status_code == 200
    assert admin.get(f"{RULES.format(project)}/{rule_id}").json()["tag_selectors"][0]["pattern"] == "v*"
    assert admin.put(f"{RULES.format(project)}/{rule_id}", json={"disabled": True}).status_code == 200
    assert admin.get(f"{RULES.format(project)}/{rule_id}").json()["disabled"] is True
    assert admin.delete(f"{RULES.format(project)}/{rule_id}").status_code == 200
    assert admin.get(f"{RULES.format(project)}/{rule_id}").status_code == 404
    assert admin.get(RULES.format(project)).json() == []


@pytest.mark.parametrize("body", [
    {},
    {"tag_selectors": [], "scope_selectors": {"repository": [{"pattern": "**"}]}},
    _rule(tags="[abc"),
    _rule(tags="{a,b"),
    _rule(tags=""),
    _rule(tags="x" * 256),
    {**_rule(), "action": "retain"},
    {**_rule(), "priority": -1},
    {**_rule(), "disabled": "yes"},
    {"tag_selectors": [{"pattern": "**", "decoration": "repoMatches"}], "scope_selectors": {"repository": [{"pattern": "**"}]}},
    {"tag_selectors": [{"pattern": "**", "kind": "regex"}], "scope_selectors": {"repository": [{"pattern": "**"}]}},
    {"tag_selectors": [{"pattern": "**"}], "scope_selectors": []},
    {"tag_selectors": ["**"], "scope_selectors": {"repository": [{"pattern": "**"}]}},
])
def test_bad_rules_are_refused_in_harbors_format(admin, project, body):
    answer = admin.post(RULES.format(project), json=body)
    assert answer.status_code == 400, answer.text
    assert error_code(answer) == "BAD_REQUEST"
    assert admin.get(RULES.format(project)).json() == []


def test_at_most_fifteen_rules(admin, project):
    for i in range(15):
        _add(admin, project, _rule(f"t{i}-*"))
    sixteenth = admin.post(RULES.format(project), json=_rule("more-*"))
    assert sixteenth.status_code == 400 and "15" in sixteenth.json()["errors"][0]["message"]


def test_only_project_admins_change_rules(admin, project, user):
    developer, _ = user(project, 3)
    assert developer.post(RULES.format(project), json=_rule()).status_code == 403
    assert developer.get(RULES.format(project)).status_code in (200, 403)
    assert admin.get(RULES.format("no-such-project-xyz")).status_code == 404


def test_a_push_cannot_move_an_immutable_tag(admin, project, registry):
    repo = f"{project}/app"
    first, second = make_image(layers=1, layer_size=300), make_image(layers=1, layer_size=301)
    registry.push_image(repo, first, "rel-1")
    registry.push_image(repo, first, "dev")
    _add(admin, project, _rule())
    for blob in (second.config, *second.layers):
        registry.push_blob(repo, blob)
    _refused(registry.push_manifest(repo, "rel-1", second.manifest, second.media_type), repo, "rel-1")
    assert registry.get(f"/v2/{repo}/manifests/rel-1").headers["Docker-Content-Digest"] == first.digest
    # the same digest again is not a move; a new matching tag and a tag no rule covers may be set
    assert registry.push_manifest(repo, "rel-1", first.manifest, first.media_type).status_code == 201
    assert registry.push_manifest(repo, "rel-2", second.manifest, second.media_type).status_code == 201
    assert registry.push_manifest(repo, "dev", second.manifest, second.media_type).status_code == 201
    assert registry.get(f"/v2/{repo}/manifests/dev").headers["Docker-Content-Digest"] == second.digest


def test_an_immutable_tag_cannot_be_deleted_by_any_door(admin, project, registry):
    repo = f"{project}/web"
    image = make_image(layers=1, layer_size=310)
    registry.push_image(repo, image, "rel-1")
    _add(admin, project, _rule())
    _refused(registry.delete(f"/v2/{repo}/manifests/rel-1"), repo, "rel-1")
    _refused(registry.delete(f"/v2/{repo}/manifests/{image.digest}"), repo, "rel-1")
    api_repo = f"/projects/{project}/repositories/web"
    _refused(admin.delete(f"{api_repo}/artifacts/{image.digest}/tags/rel-1"), repo, "rel-1")
    _refused(admin.delete(f"{api_repo}/artifacts/{image.digest}"), repo, "rel-1")
    _refused(admin.delete(api_repo), repo, "rel-1")
    assert registry.get(f"/v2/{repo}/manifests/rel-1").status_code == 200
    tags = admin.get(f"{api_repo}/artifacts/{image.digest}").json()["tags"]
    assert tags == [{**tags[0], "name": "rel-1", "immutable": True}]


def test_disabled_and_out_of_scope_rules_hold_nothing(admin, project, registry):
    kept, other = f"{project}/kept", f"{project}/other"
    image = make_image(layers=1, layer_size=320)
    for repo in (kept, other):
        registry.push_image(repo, image, "rel-1")
    rule_id = _add(admin, project, _rule(repos="kept"))
    assert registry.delete(f"/v2/{other}/manifests/rel-1").status_code == 202
    _refused(registry.delete(f"/v2/{kept}/manifests/rel-1"), kept, "rel-1")
    assert admin.put(f"{RULES.format(project)}/{rule_id}", json={"disabled": True}).status_code == 200
    assert registry.delete(f"/v2/{kept}/manifests/rel-1").status_code == 202


def test_excludes_protect_everything_else(admin, project, registry):
    repo = f"{project}/ex"
    image = make_image(layers=1, layer_size=330)
    registry.push_image(repo, image, "nightly")
    registry.push_image(repo, image, "v1.0")
    _add(admin, project, {**_rule("nightly"), "tag_selectors": [{"decoration": "excludes", "pattern": "nightly"}]})
    assert registry.delete(f"/v2/{repo}/manifests/nightly").status_code == 202
    _refused(registry.delete(f"/v2/{repo}/manifests/v1.0"), repo, "v1.0")


def test_deleting_a_project_removes_its_rules(admin, project):
    _add(admin, project, _rule())
    assert admin.delete(f"/projects/{project}").status_code == 200
    assert admin.post("/projects", json={"project_name": project}).status_code == 201
    assert admin.get(RULES.format(project)).json() == []
