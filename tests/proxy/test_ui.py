"""The web UI's registries page (add, test the connection, edit) and the proxy-cache choice in
the New project dialog, in a real headless Chromium."""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import ADMIN
from tests.proxy.conftest import PASSWORD, USER, proxy_settings
from tests.support.server import BerthServer
from tests.ui.test_ui import log_in, page, shot  # noqa: F401  (the page fixture)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    berth = BerthServer(tmp_path_factory.mktemp("ui-proxy") / "data", settings=proxy_settings()).start()
    yield berth
    berth.stop()


def test_add_test_edit_a_registry_and_make_a_proxy_project(server, page, upstream):  # noqa: F811
    name = f"up{uuid.uuid4().hex[:6]}"
    log_in(page, server.url)
    page.get_by_role("link", name="Registries").click()
    expect(page.get_by_text("No registries")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Type").select_option("docker-registry")
    page.get_by_label("URL").fill(upstream.url)
    page.get_by_label("Access ID").fill(USER)
    page.get_by_label("Access secret").fill("wrong")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("does not answer as expected")
    page.get_by_label("Access secret").fill(PASSWORD)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection works")
    page.get_by_role("button", name="Save registry").click()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Name").fill(name + "-x")
    page.get_by_role("button", name="Save registry").click()
    expect(page.get_by_role("cell", name=name + "-x", exact=True)).to_be_visible()
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("connection works")  # the stored secret was kept
    shot(page, "6-registries")

    page.get_by_role("link", name="Projects").click()
    page.get_by_role("button", name="+ New project").click()
    page.get_by_label("Project name").fill(name)
    page.get_by_label("Public").check()
    page.get_by_label("Proxy cache of").select_option(label=f"{name}-x ({upstream.url})")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("row", name=f"{name} proxy cache")).to_be_visible()
    project = requests.get(f"{server.url}/api/v2.0/projects/{name}", auth=ADMIN, timeout=10).json()
    assert project["registry_id"] is not None and project["metadata"]["public"] == "true"
