"""A registry with auth as shipped (no auto-created projects), users in every role, and content."""
from __future__ import annotations

import pytest

from tests.conftest import ADMIN
from tests.support.admin import add_member, add_project, add_robot, add_user
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer

PASSWORD = "Secret-Pass-1"
ROLES = {"padmin": "projectAdmin", "maint": "maintainer", "dev": "developer", "guest": "guest",
         "lguest": "limitedGuest"}


class Secured:
    def __init__(self, server: BerthServer) -> None:
        self.server = server
        self.robots: dict[str, dict] = {}

    def client(self, user: str | None) -> RegistryClient:
        if user is None:
            return RegistryClient(self.server.url)
        if user == "admin":
            return RegistryClient(self.server.url, ADMIN)
        if user in self.robots:
            return RegistryClient(self.server.url, (self.robots[user]["name"], self.robots[user]["secret"]))
        return RegistryClient(self.server.url, (user, PASSWORD))


@pytest.fixture(scope="session")
def secured(tmp_path_factory) -> Secured:
    server = BerthServer(tmp_path_factory.mktemp("secured") / "data",
                         settings={"auth": {"credential_cache_seconds": 1}}).start()
    add_project(server, "team")
    add_project(server, "pub", public=True)
    add_project(server, "other")
    for user, role in ROLES.items():
        add_user(server, user, PASSWORD)
        add_member(server, "team", user, role)
    add_user(server, "outsider", PASSWORD)
    add_user(server, "victim", PASSWORD)
    add_user(server, "root2", PASSWORD, admin=True)
    state = Secured(server)
    state.robots["teambot"] = add_robot(server, "ci", "team", "pull,push")
    state.robots["readbot"] = add_robot(server, "reader", "team", "pull")
    state.robots["sysbot"] = add_robot(server, "fleet", None, "pull")
    admin = state.client("admin")
    state.team_image = make_image(layers=2)
    state.pub_image = make_image(layers=1)
    admin.push_image("team/app", state.team_image, "v1")
    admin.push_image("pub/web", state.pub_image, "v1")
    admin.push_image("other/db", make_image(layers=1), "v1")
    yield state
    server.stop()
