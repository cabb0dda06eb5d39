"""The web UI in a real headless Chromium: "Sign in with <provider>" on the login page, the
provider's own form, back in Berth as that user; the CLI secret shown and regenerated from
the top bar; a directory user signs in with the ordinary form."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.identity.conftest import PASSWORDS, oidc_server
from tests.support.oidc_provider import OidcProvider
from tests.support.server import BerthServer
from tests.support.slapd import Slapd
from tests.ui.test_ui import ARGS, CHROMIUM, shot


@pytest.fixture(scope="module")
def server(provider: OidcProvider, slapd: Slapd, tmp_path_factory: pytest.TempPathFactory):
    berth = oidc_server(provider, tmp_path_factory.mktemp("browser") / "data")
    berth.settings["ldap"] = slapd.settings()
    berth.start()
    yield berth
    berth.stop()


@pytest.fixture
def page(server: BerthServer):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1200, "height": 720}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert errors == [], errors


def test_sign_in_with_the_provider_and_manage_the_cli_secret(page, server: BerthServer):
    page.goto(server.url)
    button = page.get_by_role("link", name="Sign in with TestID")
    expect(button).to_be_visible()
    shot(page, "identity-login")
    with page.expect_request(lambda r: "/oauth2/authorize" in r.url) as asked:
        button.click()
    assert "code_challenge_method=S256" in asked.value.url
    page.locator("input[name=sub]").fill("sub-oscar")
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator("#whoami")).to_have_text("oscar", timeout=15000)
    page.get_by_role("button", name="CLI secret").click()
    secret = page.locator("#cli-secret")
    expect(secret).not_to_have_value("")
    first = secret.input_value()
    shot(page, "identity-cli-secret")
    token = requests.get(f"{server.url}/service/token", params={"service": "harbor-registry"},
                         auth=("oscar", first), timeout=10)
    assert token.status_code == 200
    page.get_by_role("button", name="Regenerate").click()
    expect(secret).not_to_have_value(first)
    second = secret.input_value()
    assert requests.get(f"{server.url}/v2/", auth=("oscar", second), timeout=10).status_code == 200
    assert requests.get(f"{server.url}/v2/", auth=("oscar", first), timeout=10).status_code == 401


def test_a_directory_user_signs_in_with_the_form(page, server: BerthServer):
    page.goto(server.url)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORDS["alice"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text("alice", timeout=15000)
    expect(page.get_by_role("button", name="CLI secret")).to_have_count(0)
