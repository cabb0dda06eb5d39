"""A project's pages in a real headless Chromium: the summary with its quota bar, the push
commands, visibility, and deleting a tag, an artifact, a repository and the project, each
after a confirmation that names it, with the keyboard as well as the mouse."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer
from tests.ui.test_ui import enter, make_project, page, server, shot  # noqa: F401  (the fixtures)


def _api(server: BerthServer, path: str) -> requests.Response:
    return requests.get(f"{server.url}/api/v2.0{path}", auth=ADMIN, timeout=5)


def test_summary_push_command_and_visibility(server: BerthServer, page):  # noqa: F811
    make_project(server, "sumry", storage_limit=10 * 1024 * 1024)
    client = RegistryClient(server.url, ADMIN)
    client.push_image("sumry/api", make_image(layers=2), "v1")
    client.push_image("sumry/api", make_image(layers=1), "v2")
    client.push_image("sumry/web", make_image(layers=1), "v1")
    enter(page, server, "#/projects/sumry/summary")
    expect(page.get_by_test_id("Repositories")).to_have_text("2")
    expect(page.get_by_test_id("Artifacts")).to_have_text("3")
    expect(page.get_by_test_id("Members")).to_have_text("1")  # the admin who created it
    expect(page.get_by_test_id("quota")).to_contain_text(re.compile(r"KiB of 10\.0 MiB used \(\d+%\)"))
    used = _api(server, "/projects/sumry/summary").json()["quota"]["used"]["storage"]
    expect(page.get_by_role("progressbar", name="Storage used")).to_have_attribute("value", str(used))
    expect(page.get_by_text(re.compile("Created .* by admin"))).not_to_contain_text("never")
    shot(page, "9-project-summary")

    page.get_by_role("link", name="Repositories").click()
    toggle = page.get_by_role("button", name="Push command")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    push = f"docker push {server.host}/sumry/REPOSITORY[:TAG]"
    for command in (f"docker tag SOURCE_IMAGE[:TAG] {server.host}/sumry/REPOSITORY[:TAG]", push,
                    f"podman push IMAGE_ID {server.host}/sumry/REPOSITORY[:TAG]", f"helm push CHART_PACKAGE oci://{server.host}/sumry"):
        expect(page.locator("#push-commands")).to_contain_text(command)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name=f"Copy: {push}").click()
    expect(page.get_by_role("status")).to_have_text(f"Copied: {push}")
    assert page.evaluate("navigator.clipboard.readText()") == push
    shot(page, "10-push-command")

    assert requests.get(f"{server.url}/api/v2.0/projects/sumry", timeout=5).status_code in (401, 403, 404)
    page.get_by_role("button", name="Make public").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Make project sumry public?")
    expect(dialog.get_by_role("button", name="Make public")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".page-head .badge")).to_have_text("Public")
    assert requests.get(f"{server.url}/api/v2.0/projects/sumry", timeout=5).json()["metadata"]["public"] == "true"
    page.get_by_role("button", name="Make private").click()
    page.keyboard.press("Escape")  # nothing changes
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Make private")).to_be_focused()  # the focus came back
    assert requests.get(f"{server.url}/api/v2.0/projects/sumry", timeout=5).json()["metadata"]["public"] == "true"
    page.get_by_role("button", name="Make private").click()
    page.get_by_role("dialog").get_by_role("button", name="Make private").click()
    expect(page.locator(".page-head .badge")).to_have_text("Private")
    assert _api(server, "/projects/sumry").json()["metadata"]["public"] == "false"


def test_delete_a_tag_an_artifact_a_repository_and_the_project(server: BerthServer, page):  # noqa: F811
    make_project(server, "gone")
    client = RegistryClient(server.url, ADMIN)
    digest = client.push_image("gone/app", make_image(layers=1), "v1")
    tags = f"/projects/gone/repositories/app/artifacts/{digest}/tags"
    assert requests.post(f"{server.url}/api/v2.0{tags}", json={"name": "stable"}, auth=ADMIN, timeout=5).status_code == 201
    client.push_image("gone/other", make_image(layers=1), "v1")
    enter(page, server, "#/projects/gone/repositories/app")
    page.get_by_role("link", name=digest[:19]).click()
    expect(page.get_by_role("cell", name="stable", exact=True)).to_be_visible()
    shot(page, "11-artifact-tags")

    page.get_by_role("button", name="Delete tag stable").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete tag stable of gone/app?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("cell", name="stable", exact=True)).to_be_visible()
    page.get_by_role("button", name="Delete tag stable").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete tag").click()
    expect(page.get_by_role("cell", name="stable", exact=True)).to_have_count(0)
    assert [t["name"] for t in _api(server, tags).json()] == ["v1"]

    page.get_by_role("button", name="Delete artifact").click()
    expect(page.get_by_role("dialog")).to_contain_text(f"Delete artifact {digest[:19]} of gone/app (v1)?")
    page.get_by_role("dialog").get_by_role("button", name="Delete artifact").click()
    expect(page.get_by_text("No artifacts")).to_be_visible()
    assert _api(server, "/projects/gone/repositories/app/artifacts").json() == []

    page.get_by_role("link", name="gone", exact=True).click()
    remove = page.get_by_role("button", name="Delete repository gone/other")
    remove.focus()
    page.keyboard.press("Enter")  # the keyboard alone: open, look, cancel, open again, confirm
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete repository gone/other with its 1 artifact(s)")
    expect(dialog.get_by_role("button", name="Delete repository")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(remove).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="gone/other")).to_have_count(0)
    assert [r["name"] for r in _api(server, "/projects/gone/repositories").json()] == ["gone/app"]

    page.get_by_role("button", name="Delete project").click()
    expect(page.get_by_role("dialog")).to_contain_text("Delete project gone?")
    page.get_by_role("dialog").get_by_role("button", name="Delete project").click()
    expect(page.get_by_role("status")).to_contain_text("repositor")  # refused: gone/app is still there
    page.get_by_role("button", name="Delete repository gone/app").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete repository").click()
    expect(page.get_by_text("No repositories yet")).to_be_visible()
    page.get_by_role("button", name="Delete project").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete project").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.get_by_role("link", name="gone", exact=True)).to_have_count(0)
    assert _api(server, "/projects/gone").status_code == 404
