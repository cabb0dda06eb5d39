"""Harbor's permission matrix on /v2/, one row per role, with Basic credentials.

Each row pulls, pushes and deletes in the private project ``team`` and checks the
answer: allowed, 403 DENIED for a known user without the right, 401 for nobody.
"""
from __future__ import annotations

import pytest

from tests.support.client import error_codes
from tests.support.images import make_image

# user → (pull, push, delete) in the private project "team"
MATRIX = {
    "admin": (True, True, True),
    "root2": (True, True, True),
    "padmin": (True, True, True),
    "maint": (True, True, True),
    "dev": (True, True, False),
    "guest": (True, False, False),
    "lguest": (True, False, False),
    "outsider": (False, False, False),
    "teambot": (True, True, False),
    "readbot": (True, False, False),
    "sysbot": (True, False, False),
}


def _refused(response, user) -> bool:
    expected = 401 if user is None else 403
    return response.status_code == expected and error_codes(response) == (["UNAUTHORIZED"] if user is None else ["DENIED"])


@pytest.mark.parametrize("user", list(MATRIX))
def test_role_row(secured, user):
    can_pull, can_push, can_delete = MATRIX[user]
    client = secured.client(user)
    pull = client.get("/v2/team/app/manifests/v1")
    assert (pull.status_code == 200) if can_pull else _refused(pull, user), pull.text
    blob = client.get(f"/v2/team/app/blobs/{secured.team_image.digest}")
    assert (blob.status_code == 200) if can_pull else _refused(blob, user)

    image = make_image(layers=1)
    admin = secured.client("admin")
    start = client.post("/v2/team/app/blobs/uploads/")
    if can_push:
        assert start.status_code == 202
        client.push_image("team/app", image, f"by-{user}")
        assert admin.get(f"/v2/team/app/manifests/by-{user}").status_code == 200
    else:
        assert _refused(start, user)
        admin.push_image("team/app", image, f"by-{user}")
        put = client.push_manifest("team/app", "sneaky", image.manifest, image.media_type)
        assert _refused(put, user)

    delete = client.delete(f"/v2/team/app/manifests/{image.digest}")
    if can_delete:
        assert delete.status_code == 202
        assert admin.get(f"/v2/team/app/manifests/{image.digest}").status_code == 404
    else:
        assert _refused(delete, user)
        assert admin.get(f"/v2/team/app/manifests/{image.digest}").status_code == 200


@pytest.mark.parametrize("user", ["outsider", "guest", None])
def test_public_project_pull_only(secured, user):
    client = secured.client(user)
    if user is None:
        # Without credentials every /v2 request is challenged, even for public projects;
        # the anonymous token then opens the pull.
        assert client.get("/v2/pub/web/manifests/v1").status_code == 401
        return
    assert client.get("/v2/pub/web/manifests/v1").status_code == 200
    r = client.post("/v2/pub/web/blobs/uploads/")
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]


def test_project_robot_cannot_leave_its_project(secured):
    bot = secured.client("teambot")
    r = bot.get("/v2/other/db/manifests/v1")
    assert r.status_code == 403
    r = bot.post("/v2/pub/web/blobs/uploads/")
    assert r.status_code == 403


def test_push_to_missing_project_names_it(secured):
    r = secured.client("admin").post("/v2/nosuchproject/app/blobs/uploads/")
    assert r.status_code == 404
    assert error_codes(r) == ["NAME_UNKNOWN"]
    assert "nosuchproject" in r.json()["errors"][0]["message"]


def test_catalog_lists_only_what_the_caller_may_see(secured):
    def names(user):
        return set(secured.client(user).get("/v2/_catalog").json()["repositories"])

    assert {"team/app", "pub/web", "other/db"} <= names("admin")
    assert names("outsider") & {"team/app", "pub/web", "other/db"} == {"pub/web"}
    assert names("dev") & {"team/app", "pub/web", "other/db"} == {"team/app", "pub/web"}
    assert names("teambot") & {"team/app", "pub/web", "other/db"} == {"team/app", "pub/web"}
    assert secured.client(None).get("/v2/_catalog").status_code == 401


def test_private_layer_not_readable_through_public_repository(secured):
    layer = secured.team_image.layers[0]
    digest = "sha256:" + __import__("hashlib").sha256(layer).hexdigest()
    outsider = secured.client("outsider")
    assert outsider.get(f"/v2/pub/web/blobs/{digest}").status_code == 404
    assert outsider.get(f"/v2/team/app/blobs/{digest}").status_code == 403


def test_mount_from_unreadable_repository_is_not_a_mount(secured):
    """A developer of pub-like projects must not copy a layer out of a project they cannot read."""
    layer = secured.team_image.layers[0]
    digest = "sha256:" + __import__("hashlib").sha256(layer).hexdigest()
    robot = secured.client("sysbot")  # may pull everywhere, push nowhere
    admin = secured.client("admin")
    # dev may push to team but cannot read "other"; try to mount other's config into team.
    other_manifest = admin.get("/v2/other/db/manifests/v1").json()
    other_config = other_manifest["config"]["digest"]
    dev = secured.client("dev")
    r = dev.post(f"/v2/team/app/blobs/uploads/?mount={other_config}&from=other/db")
    assert r.status_code == 202  # an ordinary upload, not a mount
    assert admin.head(f"/v2/team/app/blobs/{other_config}").status_code == 404
    assert robot.head(f"/v2/team/app/blobs/{digest}").status_code == 200
