"""The web UI in a real headless Chromium: log in, create a private project in the
dialog, push with skopeo, pull twice, refresh and see the pull count go from 0 to 2."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.clients.skopeo import Skopeo
from tests.conftest import ADMIN
from tests.support.images import make_image, write_oci_layout
from tests.support.server import ROOT, BerthServer

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# The README's picture is refreshed only on request (BERTH_UPDATE_SCREENSHOT=1), so a test run
# never changes tracked files.
SCREENSHOT = (ROOT / "docs" if os.environ.get("BERTH_UPDATE_SCREENSHOT") == "1" else ARTIFACTS) \
    / "screenshot-repositories.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    berth = BerthServer(tmp_path_factory.mktemp("ui") / "data", settings={"pulls": {"flush_interval": 1}}).start()
    yield berth
    berth.stop()


@pytest.fixture
def page(server: BerthServer):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert errors == [], errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, url: str, password: str = ADMIN[1], username: str = ADMIN[0]) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def make_project(server: BerthServer, name: str, **fields) -> None:
    response = requests.post(f"{server.url}/api/v2.0/projects", json={"project_name": name, **fields}, auth=ADMIN,
                             timeout=5)
    assert response.status_code == 201, response.text


def enter(page, server: BerthServer, hash_: str, password: str = ADMIN[1], username: str = ADMIN[0]) -> None:
    """Log in, wait for the projects list, then open a page by its address."""
    log_in(page, server.url, password, username)
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    page.goto(f"{server.url}/{hash_}")


def test_push_pull_and_watch_the_count(server: BerthServer, page, tmp_path: Path):
    log_in(page, server.url, "Wrong-Pass-1")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    log_in(page, server.url)
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    shot(page, "1-projects")

    page.get_by_role("button", name="+ New project").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Project name").fill("Bad Name")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_label("Project name")).to_be_focused()  # the browser refuses the pattern
    dialog.get_by_label("Project name").fill("shop")
    expect(dialog.get_by_label("Public — anyone may pull")).not_to_be_checked()
    dialog.get_by_label("Project name").press("Enter")
    expect(page.get_by_role("link", name="shop")).to_be_visible()
    expect(page.get_by_role("row", name="shop").get_by_text("Private")).to_be_visible()

    page.get_by_role("button", name="+ New project").click()
    page.get_by_role("dialog").get_by_label("Project name").fill("shop")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_contain_text("already exists")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("link", name="shop").click()
    expect(page.get_by_text("No repositories yet")).to_be_visible()

    skopeo = Skopeo(tmp_path / "skopeo", ADMIN)
    layout = write_oci_layout(tmp_path / "layout", make_image(layers=2), "v1")
    skopeo.copy(f"oci:{layout}:v1", f"docker://{server.host}/shop/web:v1")
    page.reload()
    row = page.get_by_role("row", name="shop/web")
    expect(row.get_by_test_id("pull-count")).to_have_text("0")

    for n in range(2):
        skopeo.copy(f"docker://{server.host}/shop/web:v1", f"dir:{tmp_path / f'out{n}'}")
    api = f"{server.url}/api/v2.0/projects/shop/repositories/web"
    deadline_ok = False
    for _ in range(30):
        if requests.get(api, auth=ADMIN, timeout=5).json()["pull_count"] == 2:
            deadline_ok = True
            break
        page.wait_for_timeout(200)
    assert deadline_ok, "the two pulls were not counted"
    page.reload()
    expect(page.get_by_role("row", name="shop/web").get_by_test_id("pull-count")).to_have_text("2")
    shot(page, "2-repositories")
    page.screenshot(path=str(SCREENSHOT))

    page.get_by_role("link", name="shop/web").click()
    artifact = page.get_by_role("row").filter(has_text="v1")
    expect(artifact).to_contain_text("sha256:")
    expect(artifact).not_to_contain_text("never")  # pushed and pulled times are shown
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    artifact.get_by_role("button", name="Copy pull command").click()
    expect(page.get_by_role("status")).to_have_text(f"Copied: docker pull {server.host}/shop/web:v1")
    shot(page, "3-artifacts")


def test_members_robots_users_and_logout(server: BerthServer, page):
    requests.post(f"{server.url}/api/v2.0/projects", json={"project_name": "team"}, auth=ADMIN, timeout=5)
    log_in(page, server.url)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("password must be")
    page.get_by_label("Password").fill("Bob-Pass-123")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("cell", name="bob", exact=True)).to_be_visible()

    page.goto(f"{server.url}/#/projects/team/members")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Role").select_option(label="Developer")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("row", name="bob Developer")).to_be_visible()
    shot(page, "4-members")

    page.get_by_role("link", name="Robot accounts").click()
    expect(page.get_by_text("No robot accounts")).to_be_visible()
    page.get_by_label("Name").fill("deployer")
    page.get_by_role("button", name="Create robot").click()
    expect(page.get_by_text("copy it now")).to_be_visible()
    expect(page.get_by_role("cell", name="robot$team+deployer", exact=True)).to_be_visible()
    shot(page, "5-robots")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(f"{server.url}/#/projects")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
