"""Every list searches and pages on the server (X-Total-Count); roles are named by one rule;
creation times are real; the favicon is served; the pages fit 1280 px and a 375 px phone."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer
from tests.ui.test_ui import enter, make_project, page, server, shot  # noqa: F401  (the fixtures)

PHONE = {"width": 375, "height": 740}


def _post(server: BerthServer, path: str, body: dict) -> requests.Response:
    response = requests.post(f"{server.url}/api/v2.0{path}", json=body, auth=ADMIN, timeout=5)
    assert response.status_code == 201, response.text
    return response


def _user(server: BerthServer, name: str) -> str:
    password = f"{name.capitalize()}-Pass-123"
    _post(server, "/users", {"username": name, "password": password, "email": f"{name}@example.test"})
    return password


def _pages_through(page, label: str, first: str, second: str) -> None:
    """The list shows `first` (e.g. "1–10 of 12"), then `second` on the next page, then `first` again."""
    total = page.get_by_test_id("total")
    expect(total).to_have_text(first)
    page.get_by_role("button", name=f"Next page of {label}").click()
    expect(total).to_have_text(second)
    expect(page.get_by_role("button", name=f"Next page of {label}")).to_be_disabled()
    page.get_by_role("button", name=f"Previous page of {label}").click()
    expect(total).to_have_text(first)


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"wider than {width} px"


def test_projects_and_repositories_search_and_page(server: BerthServer, page):  # noqa: F811
    for n in range(12):
        make_project(server, f"pg-{n:02d}")
    enter(page, server, "#/projects")
    page.get_by_role("searchbox", name="Search projects").fill("pg-")
    _pages_through(page, "projects", "1–10 of 12", "11–12 of 12")
    page.get_by_role("combobox", name="projects per page").select_option("25")
    expect(page.get_by_test_id("total")).to_have_text("1–12 of 12")
    page.get_by_role("searchbox", name="Search projects").fill("pg-07")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    page.get_by_role("searchbox", name="Search projects").fill("no-such-project")
    expect(page.get_by_text("No projects match “no-such-project”.")).to_be_visible()

    client = RegistryClient(server.url, ADMIN)
    image = make_image(layers=1)
    for n in range(11):
        client.push_image(f"pg-00/r{n:02d}", image, "v1")
    for n in range(12):
        client.push_image("pg-00/r00", make_image(layers=1), f"t{n:02d}")
    page.goto(f"{server.url}/#/projects/pg-00")
    _pages_through(page, "repositories", "1–10 of 11", "11–11 of 11")
    page.get_by_role("searchbox", name="Search repositories").fill("r1")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    expect(page.get_by_role("link", name="pg-00/r10")).to_be_visible()

    page.goto(f"{server.url}/#/projects/pg-00/repositories/r00")
    _pages_through(page, "artifacts", "1–10 of 13", "11–13 of 13")
    page.get_by_role("searchbox", name="Search by tag").fill("t11")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    expect(page.get_by_role("row").filter(has_text="t11")).to_have_count(1)
    shot(page, "12-artifacts-search")


def test_members_robots_and_users_search_and_page(server: BerthServer, page):  # noqa: F811
    make_project(server, "crowd")
    for n in range(11):
        _user(server, f"mem{n:02d}")
        _post(server, "/projects/crowd/members", {"role_id": 2, "member_user": {"username": f"mem{n:02d}"}})
    for n in range(11):
        _post(server, "/robots", {"name": f"bot{n:02d}", "level": "project", "duration": -1, "permissions": [
            {"kind": "project", "namespace": "crowd", "access": [{"resource": "repository", "action": "pull"}]}]})
    enter(page, server, "#/projects/crowd/members")
    _pages_through(page, "members", "1–10 of 12", "11–12 of 12")  # the admin who created it, and eleven
    page.get_by_role("searchbox", name="Search members").fill("mem0")
    expect(page.get_by_test_id("total")).to_have_text("1–10 of 10")

    page.get_by_role("link", name="Robot accounts").click()
    _pages_through(page, "robot accounts", "1–10 of 11", "11–11 of 11")
    page.get_by_role("searchbox", name="Search robot accounts").fill("bot07")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    expect(page.get_by_role("cell", name="robot$crowd+bot07", exact=True)).to_be_visible()

    page.get_by_role("link", name="Users").click()
    page.get_by_role("searchbox", name="Search users").fill("mem")
    _pages_through(page, "users", "1–10 of 11", "11–11 of 11")
    page.get_by_role("searchbox", name="Search users").fill("mem03")
    expect(page.get_by_test_id("total")).to_have_text("1–1 of 1")
    row = page.get_by_role("row").filter(has_text="mem03")
    row.get_by_role("button", name="Delete user mem03").click()
    expect(page.get_by_role("dialog")).to_contain_text("Delete user mem03?")
    page.get_by_role("dialog").get_by_role("button", name="Delete user").click()
    expect(page.get_by_text("No users match “mem03”.")).to_be_visible()
    listed = requests.get(f"{server.url}/api/v2.0/users", params={"username": "mem03"}, auth=ADMIN, timeout=5).json()
    assert listed == []


def test_roles_creation_times_favicon_and_widths(server: BerthServer, page):  # noqa: F811
    make_project(server, "mine")  # the admin becomes its project admin, a member
    enter(page, server, "#/projects")
    page.get_by_role("searchbox", name="Search projects").fill("library")
    library = page.get_by_role("row").filter(has_text="library")
    expect(library.get_by_role("cell").nth(2)).to_have_text("System admin")
    expect(library.get_by_role("cell").nth(4)).not_to_have_text("never")
    page.get_by_role("searchbox", name="Search projects").fill("mine")
    expect(page.get_by_role("row").filter(has_text="mine").get_by_role("cell").nth(2)).to_have_text("System admin")
    expect(page.locator("#whoami")).to_have_text("admin")
    expect(page.locator("#whoami-role")).to_have_text("System admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("searchbox", name="Search users").fill("admin")
    expect(page.get_by_role("row").filter(has_text="admin").get_by_role("cell").nth(2)).to_have_text("System admin")

    icon = page.locator("link[rel=icon]").get_attribute("href")
    answer = requests.get(f"{server.url}{icon}", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    assert answer.text.lstrip().startswith("<svg")
    module = requests.get(f"{server.url}/ui/lib/list.js", timeout=5)
    assert "javascript" in module.headers["Content-Type"] and module.headers["Cache-Control"] == "no-cache"

    password = _user(server, "dana")
    _post(server, "/projects/mine/members", {"role_id": 2, "member_user": {"username": "dana"}})
    page.get_by_role("button", name="Log out").click()
    enter(page, server, "#/projects", password, "dana")
    expect(page.locator("#whoami-role")).to_have_text("User")
    expect(page.get_by_role("row").filter(has_text="mine").get_by_role("cell").nth(2)).to_have_text("Developer")
    expect(page.get_by_role("row").filter(has_text="library").get_by_role("cell").nth(2)).to_have_text("Public: pull only")
    expect(page.get_by_role("link", name="Users")).to_be_hidden()
    _fits(page, 1280)

    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/#/projects")
    expect(page.get_by_role("link", name="mine")).to_be_visible()
    _fits(page, PHONE["width"])
    shot(page, "13-phone-projects")
    page.get_by_role("link", name="mine").click()
    expect(page.get_by_role("heading", name="mine")).to_be_visible()
    expect(page.get_by_role("button", name="Delete project")).to_have_count(0)  # a developer may not
    page.get_by_role("button", name="Push command").click()
    _fits(page, PHONE["width"])
    shot(page, "14-phone-repositories")
