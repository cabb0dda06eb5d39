"""The Policy tab (tag immutability rules, the retention policy and its runs) and the
Garbage collection page, in a real headless Chromium against a real server."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer
from tests.ui.test_ui import enter, log_in, make_project, page, server, shot  # noqa: F401  (the fixtures)


def test_immutability_rule_refuses_a_moved_tag_until_deleted(server: BerthServer, page):  # noqa: F811
    make_project(server, "frozen")
    client = RegistryClient(server.url, ADMIN)
    client.push_image("frozen/app", make_image(), "v1")
    enter(page, server, "#/projects/frozen")
    page.get_by_role("link", name="Policy").click()
    expect(page.get_by_text("No immutability rules")).to_be_visible()

    page.get_by_label("Tag pattern").fill("v*")
    page.get_by_label("Repository pattern").fill("**")
    page.get_by_label("Repository pattern").press("Enter")  # the keyboard submits the form
    rule = page.get_by_role("row").filter(has_text="v*")
    expect(rule).to_contain_text("Enabled")
    shot(page, "6-policy-immutability")

    moved = make_image()
    for data in moved.blobs.values():
        client.push_blob("frozen/app", data)
    refused = client.push_manifest("frozen/app", "v1", moved.manifest, moved.media_type)
    assert refused.status_code in (400, 403, 409, 412), refused.text

    rule.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("row").filter(has_text="v*")).to_contain_text("Disabled")
    page.get_by_role("row").filter(has_text="v*").get_by_role("button", name="Enable").click()
    expect(page.get_by_role("row").filter(has_text="v*")).to_contain_text("Enabled")

    page.get_by_role("row").filter(has_text="v*").get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("tags v* in repositories **")
    page.keyboard.press("Escape")  # cancelling keeps the rule
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="v*")).to_have_count(1)
    page.get_by_role("row").filter(has_text="v*").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete rule").click()
    expect(page.get_by_text("No immutability rules")).to_be_visible()
    assert client.push_manifest("frozen/app", "v1", moved.manifest, moved.media_type).status_code == 201


def test_rule_errors_are_shown(server: BerthServer, page):  # noqa: F811
    make_project(server, "errs")
    enter(page, server, "#/projects/errs/policy")
    page.get_by_label("Tag pattern").fill("v[")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("alert")).to_contain_text("'[' without ']'")  # the API's message, in place
    expect(page.get_by_text("No immutability rules")).to_be_visible()


def test_retention_policy_dry_run_lists_what_would_go(server: BerthServer, page):  # noqa: F811
    make_project(server, "kept")
    client = RegistryClient(server.url, ADMIN)
    for n in range(3):
        client.push_image("kept/web", make_image(), f"v{n}")
    enter(page, server, "#/projects/kept/policy")
    expect(page.get_by_text("No retention policy")).to_be_visible()
    page.get_by_label("Retention rule").select_option("latestPushedK")
    page.get_by_label("Count").fill("1")
    page.get_by_label("Tags matching").fill("**")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_role("cell", name="Retain the most recently pushed 1 artifacts", exact=True)).to_be_visible()

    page.get_by_role("button", name="Dry run").click()
    task = page.get_by_role("row").filter(has_text="kept/web")
    expect(task.get_by_role("cell").nth(1)).to_have_text("Succeed")
    expect(task.get_by_role("cell").nth(2)).to_have_text("3")
    expect(task.get_by_role("cell").nth(3)).to_have_text("1")
    task.get_by_role("button", name="Log").click()
    log = page.locator("pre.log")
    expect(log).to_contain_text("would delete")
    shot(page, "7-policy-retention")
    tags = requests.get(f"{server.url}/api/v2.0/projects/kept/repositories/web/artifacts", auth=ADMIN, timeout=5).json()
    assert len(tags) == 3  # a dry run deletes nothing

    page.get_by_role("button", name="Run", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("retention policy of kept")
    dialog.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name=re.compile("Tasks of run"))).to_contain_text("2")
    expect(page.get_by_role("row").filter(has_text="kept/web").get_by_role("cell").nth(1)).to_have_text("Succeed")
    left = requests.get(f"{server.url}/api/v2.0/projects/kept/repositories/web/artifacts", auth=ADMIN, timeout=5).json()
    assert [t["name"] for a in left for t in a["tags"]] == ["v2"]


def test_gc_dry_run_history_log_and_schedule(server: BerthServer, page):  # noqa: F811
    log_in(page, server.url)
    page.get_by_role("link", name="Garbage collection").click()
    expect(page.get_by_test_id("gc-schedule")).to_have_text("Not scheduled")

    page.get_by_role("button", name="Dry run").click()
    run = page.get_by_role("row").filter(has_text="dry run")
    expect(run.get_by_role("cell").nth(2)).to_have_text("Success")
    run.get_by_role("button", name="Log").click()
    expect(page.locator("pre.log")).to_contain_text(re.compile(r"would delete .* \d+ bytes"))

    page.get_by_role("button", name="Run now").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Run garbage collection now?")
    expect(dialog.get_by_role("button", name="Run now")).to_be_focused()  # the dialog names what Enter does
    page.keyboard.press("Enter")
    expect(page.get_by_role("row").filter(has_text="MANUAL")).to_have_count(2)
    expect(page.get_by_role("row").filter(has_text="MANUAL").first.get_by_role("cell").nth(2)).to_have_text("Success")

    page.get_by_label("Schedule type").select_option("Custom")
    page.get_by_label("Cron").fill("not a cron")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("cron")

    page.get_by_label("Schedule type").select_option("Daily")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_test_id("gc-schedule")).to_contain_text("Daily")
    expect(page.get_by_test_id("gc-schedule")).to_contain_text("next run")
    shot(page, "8-gc")
    page.reload()
    expect(page.get_by_test_id("gc-schedule")).to_contain_text("Daily")
    expect(page.get_by_label("Schedule type")).to_have_value("Daily")


def test_retention_rules_schedule_and_policy_are_edited_in_place(server: BerthServer, page):  # noqa: F811
    make_project(server, "tidy")
    client = RegistryClient(server.url, ADMIN)
    for n in range(3):
        client.push_image("tidy/api", make_image(layers=1, layer_size=3000 + n), f"v{n}")
    enter(page, server, "#/projects/tidy/policy")
    page.get_by_label("Retention rule").select_option("latestPushedK")
    page.get_by_label("Count").fill("1")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_role("cell", name="Retain the most recently pushed 1 artifacts", exact=True)).to_be_visible()

    page.get_by_label("Retention rule").select_option("always")
    page.get_by_label("Tags matching").fill("v0")
    page.get_by_label("Repositories matching").fill("api")
    page.get_by_label("Untagged artifacts too").check()
    page.get_by_role("button", name="Add retention rule").click()
    second = page.get_by_role("row").filter(has_text="Retain always")
    expect(second).to_contain_text("v0")
    expect(second).to_contain_text("Included")
    policy_id = requests.get(f"{server.url}/api/v2.0/projects/tidy", auth=ADMIN, timeout=5).json()["metadata"]["retention_id"]
    policy = requests.get(f"{server.url}/api/v2.0/retentions/{policy_id}", auth=ADMIN, timeout=5).json()
    assert [r["template"] for r in policy["rules"]] == ["latestPushedK", "always"]
    assert policy["rules"][1]["scope_selectors"]["repository"][0]["pattern"] == "api"

    page.get_by_label("Schedule").fill("every night")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("six fields")  # the API's message, in place
    page.get_by_label("Schedule").fill("0 0 3 * * *")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_label("Schedule")).to_have_value("0 0 3 * * *")
    policy = requests.get(f"{server.url}/api/v2.0/retentions/{policy_id}", auth=ADMIN, timeout=5).json()
    assert policy["trigger"]["settings"]["cron"] == "0 0 3 * * *"

    page.get_by_role("button", name="Dry run").click()  # v1 goes: v2 is the newest, v0 is kept always
    run = page.get_by_role("row").filter(has_text="Dry run")
    expect(run.get_by_role("cell").nth(2)).to_have_text("Succeed")
    expect(run.get_by_role("cell").nth(5)).to_have_text(re.compile(r"^\d+(\.\d)? KiB$"))
    shot(page, "7b-policy-retention-edit")

    page.get_by_role("row").filter(has_text="Retain always").get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text('"Retain always" for tags v0 in api')
    dialog.get_by_role("button", name="Delete rule").click()
    expect(page.get_by_role("row").filter(has_text="Retain always")).to_have_count(0)
    policy = requests.get(f"{server.url}/api/v2.0/retentions/{policy_id}", auth=ADMIN, timeout=5).json()
    assert [r["template"] for r in policy["rules"]] == ["latestPushedK"]

    page.get_by_role("button", name="Delete policy").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete policy").click()
    expect(page.get_by_text("No retention policy")).to_be_visible()
    assert requests.get(f"{server.url}/api/v2.0/retentions/{policy_id}", auth=ADMIN, timeout=5).status_code == 404
    assert len(requests.get(f"{server.url}/api/v2.0/projects/tidy/repositories/api/artifacts",
                            auth=ADMIN, timeout=5).json()) == 3  # nothing ran for real
