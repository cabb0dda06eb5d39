"""harborapi, an async Harbor v2.0 client whose models are generated from Harbor's swagger,
against Berth: every answer must parse into its models, paging must follow Berth's Link
headers, and what it writes (labels, a repository's description) must land.

On the scale-out stack (``BERTH_TEST_STACK=scale``) the same tests run against two
processes on PostgreSQL and an object store.
"""
from __future__ import annotations

import os
import uuid

import pytest
from harborapi import HarborAsyncClient
from harborapi.models import (Artifact, GeneralInfo, Label, Permission, Project, ProjectReq, Repository,
                              SystemInfo, UserResp)

from tests.conftest import ADMIN
from tests.support.images import make_image

SCALE = os.environ.get("BERTH_TEST_STACK") == "scale"


@pytest.fixture
def harbor(berth) -> HarborAsyncClient:
    return HarborAsyncClient(url=f"{berth.url}/api/v2.0", username=ADMIN[0], secret=ADMIN[1], timeout=20,
                             retry=None)


@pytest.fixture
async def pushed(harbor: HarborAsyncClient, client) -> str:
    """A new project with three repositories of two tagged images each."""
    project = f"h{uuid.uuid4().hex[:10]}"
    await harbor.create_project(ProjectReq(project_name=project, metadata={"public": "false"}))
    for repo in ("one", "two", "three"):
        for tag in ("v1", "v2"):
            client.push_image(f"{project}/{repo}", make_image(layers=1, layer_size=256), tag)
    return project


async def test_projects_parse_and_page(harbor: HarborAsyncClient, pushed: str):
    found = await harbor.get_projects(query=f"name={pushed}")
    assert [p.name for p in found] == [pushed] and isinstance(found[0], Project)
    assert found[0].project_id and found[0].repo_count == 3 and found[0].metadata.public == "false"
    for _ in range(3):
        await harbor.create_project(ProjectReq(project_name=f"h{uuid.uuid4().hex[:10]}"))
    # limit=None follows the Link headers to the last page, two at a time
    every = await harbor.get_projects(page_size=2, limit=None)
    assert pushed in [p.name for p in every] and len(every) == len({p.project_id for p in every})
    assert len(every) >= 5
    public = await harbor.get_projects(public=True, sort="-project_id", limit=None)
    assert "library" in [p.name for p in public] and pushed not in [p.name for p in public]


async def test_repositories_have_ids_and_page(harbor: HarborAsyncClient, pushed: str):
    repos = await harbor.get_repositories(pushed, page_size=1, limit=None, sort="name")
    assert [r.name for r in repos] == [f"{pushed}/one", f"{pushed}/three", f"{pushed}/two"]
    assert all(isinstance(r, Repository) and r.id and r.project_id and r.artifact_count == 2 for r in repos)
    assert all(r.pull_count == 0 and r.creation_time and r.update_time for r in repos)
    assert len({r.id for r in repos}) == 3
    newest = await harbor.get_repositories(pushed, sort="-creation_time", limit=1)
    assert newest[0].name == f"{pushed}/three"
    one = await harbor.get_repository(pushed, "one")
    assert one.id == repos[0].id
    await harbor.update_repository(pushed, "one", Repository(description="the first"))
    assert (await harbor.get_repository(pushed, "one")).description == "the first"
    across = await harbor.get_repositories(query=f"name=~{pushed}/t", sort="name")
    assert [r.name for r in across] == [f"{pushed}/three", f"{pushed}/two"]


async def test_artifacts_and_labels(harbor: HarborAsyncClient, pushed: str):
    artifacts = await harbor.get_artifacts(pushed, "one", page_size=1, limit=None, with_label=True)
    assert len(artifacts) == 2 and all(isinstance(a, Artifact) for a in artifacts)
    repo_id = (await harbor.get_repository(pushed, "one")).id
    assert all(a.id and a.repository_id == repo_id and a.digest.startswith("sha256:") for a in artifacts)
    assert {t.name for a in artifacts for t in a.tags or []} == {"v1", "v2"}

    location = await harbor.create_label(Label(name=f"l{uuid.uuid4().hex[:8]}", color="#00AA00", scope="g",
                                               description="release"))
    label_id = int(location.rsplit("/", 1)[1])
    label = await harbor.get_label(label_id)
    assert isinstance(label, Label) and label.scope == "g" and label.color == "#00AA00"
    labels = await harbor.get_labels(scope="g", page_size=1, limit=None)
    assert label_id in [x.id for x in labels]
    await harbor.add_artifact_label(pushed, "one", "v1", Label(id=label_id))
    shown = await harbor.get_artifact(pushed, "one", "v1", with_label=True)
    assert [x.id for x in shown.labels or []] == [label_id]
    labelled = await harbor.get_artifacts(pushed, "one", query=f"labels=({label_id})", with_label=True)
    assert [a.digest for a in labelled] == [shown.digest] and labelled[0].labels[0].name == label.name
    await harbor.delete_artifact_label(pushed, "one", "v1", label_id)
    assert not (await harbor.get_artifact(pushed, "one", "v1", with_label=True)).labels
    await harbor.delete_label(label_id)


async def test_current_user_permissions_and_system(harbor: HarborAsyncClient, pushed: str):
    me = await harbor.get_current_user()
    assert isinstance(me, UserResp) and me.username == "admin" and me.sysadmin_flag
    project_id = (await harbor.get_project(pushed)).project_id
    permissions = await harbor.get_current_user_permissions(scope=f"/project/{project_id}", relative=True)
    assert all(isinstance(p, Permission) for p in permissions)
    assert {("repository", "pull"), ("repository", "push"), ("label", "create")} <= \
        {(p.resource, p.action) for p in permissions}
    info = await harbor.get_system_info()
    assert isinstance(info, GeneralInfo) and info.harbor_version
    volumes = await harbor.get_system_volume_info()
    assert isinstance(volumes, SystemInfo)
    if SCALE:
        assert volumes.storage == []  # an object store has no size to report
    else:
        (storage,) = volumes.storage
        assert storage.total >= storage.free > 0
