"""The Webhooks tab (create, test, edit, disable and enable, deliveries, delete) against a real
receiver on 127.0.0.1, and the audit log of the registry and of a project."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.receiver import Receiver
from tests.support.server import BerthServer
from tests.ui.test_ui import enter, make_project, page, server, shot  # noqa: F401  (the fixtures)


@pytest.fixture
def receiver():
    listening = Receiver()
    yield listening
    listening.stop()


def _policies(server: BerthServer, project: str) -> list[dict]:
    return requests.get(f"{server.url}/api/v2.0/projects/{project}/webhook/policies", auth=ADMIN, timeout=5).json()


def test_webhook_create_test_edit_toggle_deliveries_delete(server: BerthServer, page, receiver):  # noqa: F811
    make_project(server, "hooked")
    enter(page, server, "#/projects/hooked")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No webhooks")).to_be_visible()
    opener = page.get_by_role("button", name="+ New webhook")
    opener.click()
    dialog = page.get_by_role("dialog", name="New webhook")
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill("ci")
    dialog.get_by_label("Endpoint URL").fill(receiver.url)
    dialog.get_by_label("Auth header").fill("Bearer t0ken")
    dialog.get_by_label("Artifact pulled").uncheck()
    receiver.fail_first = 1
    dialog.get_by_role("button", name="Test endpoint").click()
    expect(dialog.get_by_role("alert")).to_contain_text("HTTP 503")  # the receiver's refusal, in place
    dialog.get_by_role("button", name="Test endpoint").click()
    expect(page.get_by_role("status")).to_have_text("The endpoint answered")
    assert receiver.of_type("PING") and receiver.headers[-1]["Authorization"] == "Bearer t0ken"
    shot(page, "15-webhook-dialog")
    dialog.get_by_label("Name").press("Enter")  # Enter in a field saves
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(opener).to_be_focused()
    row = page.get_by_role("row").filter(has_text=receiver.url)
    expect(row).to_contain_text("Artifact pushed")
    expect(row).not_to_contain_text("Artifact pulled")
    [policy] = _policies(server, "hooked")
    assert policy["name"] == "ci" and policy["event_types"] == ["PUSH_ARTIFACT", "DELETE_ARTIFACT"]

    page.get_by_role("button", name="Edit webhook ci").click()
    dialog = page.get_by_role("dialog", name="Edit webhook ci")
    expect(dialog.get_by_label("Endpoint URL")).to_have_value(receiver.url)
    dialog.get_by_label("Name").fill("ci-notify")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="ci-notify", exact=True)).to_be_visible()
    page.get_by_role("button", name="Edit webhook ci-notify").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("button", name="Disable webhook ci-notify").click()
    expect(page.get_by_role("row").filter(has_text="ci-notify")).to_contain_text("Disabled")
    assert _policies(server, "hooked")[0]["enabled"] is False
    page.get_by_role("button", name="Enable webhook ci-notify").click()
    expect(page.get_by_role("row").filter(has_text="ci-notify")).to_contain_text("Enabled")
    assert _policies(server, "hooked")[0]["enabled"] is True

    RegistryClient(server.url, ADMIN).push_image("hooked/app", make_image(layers=1), "v1")
    page.get_by_role("button", name="Deliveries of webhook ci-notify").click()
    deliveries = page.get_by_role("region", name="Deliveries of ci-notify")
    for _ in range(20):  # delivery happens in the background
        if deliveries.get_by_role("cell", name="Success").count():
            break
        page.wait_for_timeout(300)
        page.get_by_role("button", name="Deliveries of webhook ci-notify").click()
    expect(deliveries.get_by_role("row").filter(has_text="Artifact pushed")).to_contain_text("Success")
    assert receiver.of_type("PUSH_ARTIFACT")
    shot(page, "16-webhooks")

    page.get_by_role("button", name="Delete webhook ci-notify").click()
    expect(page.get_by_role("dialog")).to_contain_text(f"Delete webhook ci-notify? Events stop going to {receiver.url}.")
    page.get_by_role("dialog").get_by_role("button", name="Delete webhook").click()
    expect(page.get_by_text("No webhooks")).to_be_visible()
    assert _policies(server, "hooked") == []


def test_audit_log_of_the_registry_and_of_a_project(server: BerthServer, page):  # noqa: F811
    make_project(server, "audited")
    make_project(server, "other")
    client = RegistryClient(server.url, ADMIN)
    client.push_image("audited/app", make_image(layers=1), "v1")
    client.push_image("other/app", make_image(layers=1), "v1")
    enter(page, server, "#/projects")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_role("searchbox", name="Resource name starts with").fill("audited")
    created = page.get_by_role("row").filter(has_text="create")
    expect(created.get_by_role("cell").nth(2)).to_have_text("audited")
    expect(created.get_by_role("cell").nth(1)).to_have_text("admin")
    expect(page.get_by_role("row").filter(has_text="other/app")).to_have_count(0)
    shot(page, "17-audit-log")

    page.goto(f"{server.url}/#/projects/audited/logs")
    pushed = page.get_by_role("row").filter(has_text="push")
    expect(pushed.first).to_contain_text("audited/app")
    expect(page.get_by_role("row").filter(has_text="other/")).to_have_count(0)
    total = requests.get(f"{server.url}/api/v2.0/projects/audited/logs", auth=ADMIN, timeout=5).headers["X-Total-Count"]
    expect(page.get_by_test_id("total")).to_have_text(f"1–{min(int(total), 10)} of {total}")
