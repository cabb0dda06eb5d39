"""A real OpenLDAP ``slapd`` on loopback with a test tree: people, groups, and the memberOf
overlay, configured from a private ``cn=config`` (nothing of the machine's own LDAP is touched)."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.support.daemon import Daemon, require, run
from tests.support.server import free_port

SUFFIX = "dc=berth,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "Root-Secret-1"
SEARCH_DN = f"cn=reader,{SUFFIX}"
SEARCH_PASSWORD = "Reader-Secret-1"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

CONFIG = """dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {suffix}
olcDbDirectory: {dir}/db
olcDbMaxSize: 67108864
olcRootDN: {root}
olcRootPW: {root_password}
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{search}" read by self read by * none

dn: olcOverlay={{0}}memberof,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {{0}}memberof
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf
"""


def person(uid: str, password: str, name: str) -> str:
    return (f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name.split()[-1]}\n"
            f"mail: {uid}@berth.test\nuserPassword: {password}\n")


def group(name: str, *members: str) -> str:
    lines = "".join(f"member: uid={m},{PEOPLE}\n" for m in members) or f"member: {SEARCH_DN}\n"
    return f"dn: cn={name},{GROUPS}\nobjectClass: groupOfNames\ncn: {name}\n{lines}"


class Slapd(Daemon):
    name = "slapd"

    def __init__(self, home: Path) -> None:
        super().__init__(home / "slapd.log")
        self.home = home
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> "Slapd":
        slapadd = require("slapadd", "slapd")
        slapd = require("slapd", "slapd")
        require("ldapadd", "ldap-utils")
        conf = self.home / "slapd.d"
        if not conf.exists():
            conf.mkdir(parents=True)
            (self.home / "db").mkdir()
            ldif = self.home / "config.ldif"
            ldif.write_text(CONFIG.format(dir=self.home, suffix=SUFFIX, root=ROOT_DN, root_password=ROOT_PASSWORD,
                                          search=SEARCH_DN))
            subprocess.run([slapadd, "-n", "0", "-F", str(conf), "-l", str(ldif)], check=True, capture_output=True)
            fresh = True
        else:
            fresh = False
        self.launch([slapd, "-d", "0", "-h", f"{self.url}/", "-F", str(conf)], self._answers)
        if fresh:
            self.add(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: berth\no: Berth\n\n"
                     f"dn: {SEARCH_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
                     f"cn: reader\nuserPassword: {SEARCH_PASSWORD}\n\n"
                     f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
                     f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _tool(self, tool: str, text: str, *extra: str) -> None:
        run([tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, *extra], f"{tool}", self,
            input=text)

    def add(self, ldif: str) -> None:
        self._tool("ldapadd", ldif)

    def modify(self, ldif: str) -> None:
        self._tool("ldapmodify", ldif)

    def delete(self, dn: str) -> None:
        self._tool("ldapdelete", dn + "\n")

    def settings(self, **extra) -> dict:
        """Berth's ``ldap`` config section for this directory; the membership attribute is left
        at its default ``memberof``, which must find the ``memberOf`` slapd returns."""
        return {"url": self.url, "search_dn": SEARCH_DN, "search_password": SEARCH_PASSWORD, "base_dn": PEOPLE,
                "uid": "uid", "timeout": 3, "group_base_dn": GROUPS, "group_attribute_name": "cn",
                **extra}
