"""Labels in a real headless Chromium: a global label made on the administrators' Labels page, a
project's label on its Labels tab, both put on an artifact from its page and shown as coloured
chips (black or white text, whichever reads better) in the artifacts list, one taken off from the
keyboard, a label renamed and one deleted after a confirmation naming it; the API agrees at each
step. A developer may label artifacts but not make the project's labels."""
from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer
from tests.ui.test_lists_ui import PHONE, _fits
from tests.ui.test_ui import enter, make_project, page, server, shot  # noqa: F401  (the fixtures)

BLACK, WHITE = "rgb(0, 0, 0)", "rgb(255, 255, 255)"


def _api(server: BerthServer, path: str, **params) -> requests.Response:
    return requests.get(f"{server.url}/api/v2.0{path}", params=params, auth=ADMIN, timeout=5)


def _label_ids(server: BerthServer, artifact: str) -> set[int]:
    return {label["id"] for label in _api(server, artifact, with_label="true").json()["labels"]}


def _only(server: BerthServer, name: str, **scope) -> dict:
    found = [label for label in _api(server, "/labels", name=name, **scope).json() if label["name"] == name]
    assert len(found) == 1, found
    return found[0]


def _create(page, name: str, description: str, color: str) -> None:
    page.get_by_role("button", name="+ New label").click()
    dialog = page.get_by_role("dialog", name="New label")
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Description").fill(description)
    dialog.get_by_label("Color").fill(color)
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(_chip(page, name)).to_be_visible()


def _chip(scope, name: str):
    """The chips naming `name` in `scope` (the page: its main part, not a closing dialog's preview)."""
    return (scope.locator("main") if isinstance(scope, Page) else scope).locator(".label-chip").filter(has_text=name)


def test_labels_made_put_on_an_artifact_renamed_and_deleted(server: BerthServer, page):  # noqa: F811
    make_project(server, "tagged")
    digest = RegistryClient(server.url, ADMIN).push_image("tagged/app", make_image(layers=1), "v1")
    project_id = _api(server, "/projects/tagged").json()["project_id"]
    artifact = f"/projects/tagged/repositories/app/artifacts/{digest}"

    # A global label, from the administrators' navigation.
    enter(page, server, "#/projects")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labels").click()
    expect(page.get_by_role("heading", name="Labels")).to_be_visible()
    expect(page.get_by_text("No labels", exact=True)).to_be_visible()
    _create(page, "release-ok", "Passed the release checks", "#ffd400")
    chip = _chip(page, "release-ok")
    expect(chip).to_have_css("background-color", "rgb(255, 212, 0)")
    expect(chip).to_have_css("color", BLACK)  # dark text on a light colour
    expect(page.get_by_role("row").filter(has_text="release-ok")).to_contain_text("Passed the release checks")
    global_label = _only(server, "release-ok", scope="g")
    assert (global_label["color"], global_label["scope"], global_label["description"]) == \
        ("#ffd400", "g", "Passed the release checks")

    page.get_by_role("button", name="+ New label").click()  # the name is taken among the global labels
    dialog = page.get_by_role("dialog", name="New label")
    dialog.get_by_label("Name").fill("release-ok")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_contain_text("exists")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    _create(page, "zz-other", "", "#00aa55")
    page.get_by_role("searchbox", name="Search labels").fill("release")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    expect(_chip(page, "zz-other")).to_have_count(0)
    _fits(page, 1280)
    shot(page, "18-labels")

    # A project's label, on the project's tab; it is not among the global ones.
    page.goto(f"{server.url}/#/projects/tagged")
    tab = page.get_by_role("navigation", name="Project").get_by_role("link", name="Labels")
    tab.click()
    expect(tab).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No project labels")).to_be_visible()
    _create(page, "needs-review", "Someone must look at it", "#1b2a4a")
    expect(_chip(page, "needs-review")).to_have_css("color", WHITE)  # light text on a dark colour
    expect(_chip(page, "release-ok")).to_have_count(0)
    project_label = _only(server, "needs-review", scope="p", project_id=project_id)
    assert (project_label["scope"], project_label["project_id"]) == ("p", project_id)
    assert all(label["name"] != "needs-review" for label in _api(server, "/labels", scope="g").json())
    shot(page, "19-project-labels")

    # Both on the artifact, from its page.
    page.goto(f"{server.url}/#/projects/tagged/repositories/app/artifacts/{digest}")
    section = page.get_by_role("region", name="Labels")
    expect(section).to_contain_text("No labels on this artifact.")
    choose = section.get_by_label("Label to add")
    expect(choose.locator("option")).to_have_text(["release-ok", "zz-other", "needs-review"])
    choose.select_option(label="release-ok")
    section.get_by_role("button", name="Add label").click()
    expect(_chip(section, "release-ok")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Label release-ok added")
    expect(choose.locator("option")).to_have_text(["zz-other", "needs-review"])  # what it has is not offered
    choose.select_option(label="needs-review")
    choose.focus()
    page.keyboard.press("Tab")  # the keyboard adds as well
    expect(section.get_by_role("button", name="Add label")).to_be_focused()
    page.keyboard.press("Enter")
    expect(_chip(section, "needs-review")).to_be_visible()
    expect(choose.locator("option")).to_have_text(["zz-other"])
    assert _label_ids(server, artifact) == {global_label["id"], project_label["id"]}
    _fits(page, 1280)
    shot(page, "20-artifact-labels")

    # The chips in the artifacts list.
    page.get_by_role("link", name="app", exact=True).click()
    expect(page.get_by_role("columnheader", name="Labels")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="v1")
    expect(_chip(row, "release-ok")).to_have_css("color", BLACK)
    expect(_chip(row, "needs-review")).to_have_css("color", WHITE)
    expect(row.locator(".label-chip")).to_have_count(2)
    shot(page, "21-artifacts-labels")

    # One taken off, from the keyboard alone.
    page.goto(f"{server.url}/#/projects/tagged/repositories/app/artifacts/{digest}")
    section = page.get_by_role("region", name="Labels")
    section.get_by_role("button", name="Remove label needs-review").focus()
    page.keyboard.press("Enter")
    expect(_chip(section, "needs-review")).to_have_count(0)
    expect(_chip(section, "release-ok")).to_be_visible()
    expect(section.get_by_label("Label to add")).to_be_focused()  # the focus stays in the section
    assert _label_ids(server, artifact) == {global_label["id"]}

    # The global label renamed: the colour stays, the artifact shows the new name.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labels").click()
    page.get_by_role("button", name="Edit label release-ok").click()
    dialog = page.get_by_role("dialog", name="Edit label release-ok")
    expect(dialog.get_by_label("Name")).to_have_value("release-ok")
    dialog.get_by_label("Name").fill("release-approved")
    dialog.get_by_role("button", name="Save").click()
    expect(_chip(page, "release-approved")).to_be_visible()
    expect(_chip(page, "release-ok")).to_have_count(0)
    renamed = _api(server, f"/labels/{global_label['id']}").json()
    assert (renamed["name"], renamed["color"], renamed["description"]) == \
        ("release-approved", "#ffd400", "Passed the release checks")
    page.goto(f"{server.url}/#/projects/tagged/repositories/app")
    expect(_chip(page.get_by_role("row").filter(has_text="v1"), "release-approved")).to_be_visible()

    # Deleted after a confirmation that names it: first cancelled, then confirmed; it leaves the artifact.
    page.goto(f"{server.url}/#/labels")
    page.get_by_role("button", name="Delete label release-approved").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete label release-approved?")
    expect(dialog.get_by_role("button", name="Delete label")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert _api(server, f"/labels/{global_label['id']}").status_code == 200
    page.get_by_role("button", name="Delete label release-approved").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete label").click()
    expect(_chip(page, "release-approved")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Label release-approved deleted")
    assert _api(server, f"/labels/{global_label['id']}").status_code == 404
    assert _label_ids(server, artifact) == set()
    assert _api(server, f"/labels/{project_label['id']}").status_code == 200  # the project's stays

    # A phone's width.
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/#/projects/tagged/labels")
    expect(_chip(page, "needs-review")).to_be_visible()
    _fits(page, PHONE["width"])
    page.goto(f"{server.url}/#/projects/tagged/repositories/app/artifacts/{digest}")
    expect(page.get_by_role("region", name="Labels").get_by_label("Label to add")).to_be_visible()
    _fits(page, PHONE["width"])
    shot(page, "22-phone-artifact-labels")


def test_a_developer_labels_artifacts_but_makes_no_labels(server: BerthServer, page):  # noqa: F811
    make_project(server, "devs")
    digest = RegistryClient(server.url, ADMIN).push_image("devs/app", make_image(layers=1), "v1")
    project_id = _api(server, "/projects/devs").json()["project_id"]
    made = requests.post(f"{server.url}/api/v2.0/labels", auth=ADMIN, timeout=5,
                         json={"name": "devs-only", "color": "#c0392b", "scope": "p", "project_id": project_id})
    assert made.status_code == 201, made.text
    label_id = int(made.headers["Location"].rsplit("/", 1)[1])
    user = {"username": "devon", "password": "Devon-Pass-123", "email": "devon@example.test"}
    assert requests.post(f"{server.url}/api/v2.0/users", json=user, auth=ADMIN, timeout=5).status_code == 201
    member = {"role_id": 2, "member_user": {"username": "devon"}}
    assert requests.post(f"{server.url}/api/v2.0/projects/devs/members", json=member, auth=ADMIN,
                         timeout=5).status_code == 201

    enter(page, server, "#/projects/devs/labels", user["password"], "devon")
    expect(_chip(page, "devs-only")).to_be_visible()
    expect(page.get_by_role("button", name="+ New label")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete label devs-only")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Labels")).to_be_hidden()

    page.goto(f"{server.url}/#/projects/devs/repositories/app/artifacts/{digest}")
    section = page.get_by_role("region", name="Labels")
    section.get_by_label("Label to add").select_option(label="devs-only")
    section.get_by_role("button", name="Add label").click()
    expect(section.get_by_role("button", name="Remove label devs-only")).to_be_visible()
    assert _label_ids(server, f"/projects/devs/repositories/app/artifacts/{digest}") == {label_id}
