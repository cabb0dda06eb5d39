"""A real slapd with a test tree, a real OpenID provider, and Berth servers that sign users in
against them (and a private docker daemon for the modules that ask)."""
from __future__ import annotations

import pytest
import requests

from tests.support.dockerd import dockerd  # noqa: F401  (module fixture)
from tests.support.oidc_provider import OidcProvider
from tests.support.server import BerthServer, free_port
from tests.support.slapd import GROUPS, Slapd, group, person

PASSWORDS = {"alice": "Alice-Pass-1", "bob": "Bob-Pass-1", "dave": "Dave-Pass-1", "carol": "Carol-Ldap-1",
             "erin": "Erin-Pass-1"}
DEVELOPERS = f"cn=developers,{GROUPS}"
GUESTS = f"cn=guests,{GROUPS}"
ADMINS = f"cn=registry-admins,{GROUPS}"


@pytest.fixture(scope="package")
def slapd(tmp_path_factory: pytest.TempPathFactory):
    directory = Slapd(tmp_path_factory.mktemp("slapd")).start()
    directory.add("\n".join([person("alice", PASSWORDS["alice"], "Alice Liddell"),
                             person("bob", PASSWORDS["bob"], "Bob Builder"),
                             person("dave", PASSWORDS["dave"], "Dave Admin"),
                             person("carol", PASSWORDS["carol"], "Carol Directory"),
                             person("erin", PASSWORDS["erin"], "Erin Leaver"),
                             group("developers", "alice", "erin"),
                             group("guests", "bob"),
                             group("registry-admins", "dave")]))
    yield directory
    directory.stop()


@pytest.fixture(scope="package")
def provider(tmp_path_factory: pytest.TempPathFactory):
    oidc = OidcProvider(tmp_path_factory.mktemp("oidc")).start()
    oidc.set_user("sub-oscar", preferred_username="oscar", name="Oscar Oidc", email="oscar@berth.test",
                  groups=["devs"])
    oidc.set_user("sub-paula", preferred_username="paula", email="paula@berth.test", groups=["others"])
    oidc.set_user("sub-root", preferred_username="rooty", groups=["registry-admins"])
    oidc.set_user("sub-lena", preferred_username="lena", groups=["devs"])
    oidc.set_user("sub-quinn", preferred_username="quinn", groups=["devs"])
    yield oidc
    oidc.stop()


def oidc_server(provider: OidcProvider, data_dir, **auth) -> BerthServer:
    """A Berth server (not started) whose OIDC client is registered at ``provider``."""
    port = free_port()
    client_id, client_secret = provider.register(f"http://127.0.0.1:{port}/c/oidc/callback")
    return BerthServer(data_dir, port=port, settings={
        "oidc": {"name": "TestID", "endpoint": provider.url, "client_id": client_id, "client_secret": client_secret,
                 "groups_claim": "groups", "admin_group": "registry-admins"},
        "auth": auth})


def oidc_sign_in(server: BerthServer, sub: str) -> tuple[requests.Session, str]:
    """Follow the browser's flow with plain HTTP: Berth, the provider's form, the callback.
    Returns the signed-in session and the provider URL Berth sent the browser to."""
    session = requests.Session()
    start = session.get(f"{server.url}/c/oidc/login", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    consent = session.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    back = session.get(consent.headers["Location"], timeout=10)
    session.last_answer = back  # type: ignore[attr-defined]
    session.headers["X-Harbor-CSRF-Token"] = back.headers.get("X-Harbor-CSRF-Token", "")
    return session, authorize
