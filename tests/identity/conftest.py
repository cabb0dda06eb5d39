"""A real slapd with a test tree, and Berth servers that sign users in against it."""
from __future__ import annotations

import pytest

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
