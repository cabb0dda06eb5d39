"""The LDAP directory client: finding a user, binding as them, reading their groups.

A sign-in searches for the user's entry (as the search DN, or anonymously), then binds
as that entry with the given password: the directory alone judges the password. Groups
come from the user's membership attribute (``memberOf``), kept to those under the group
base DN that match the group filter. Every call has the configured timeout, so a
directory that is down answers ``DirectoryUnavailable`` quickly instead of hanging.

ldap3 is synchronous; callers run these methods in a thread.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

SCOPES = {0: ldap3.BASE, 1: ldap3.LEVEL, 2: ldap3.SUBTREE}
MAX_RESULTS = 100
MAX_GROUPS = 100


class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused the search account."""


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    dn: str
    username: str
    email: str
    realname: str
    member_of: tuple[str, ...]


def same_dn(a: str, b: str) -> bool:
    """DNs compared as directories do: case and spaces around separators do not count."""
    def norm(dn: str) -> str:
        return ",".join("=".join(part.strip() for part in rdn.split("=", 1)) for rdn in dn.lower().split(","))
    return norm(a) == norm(b)


def _under(dn: str, base: str) -> bool:
    return same_dn(dn, base) or ("," in dn and _under(dn.split(",", 1)[1], base))


def _attributes(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's attributes keyed in lower case: LDAP attribute names ignore case, so the
    configured ``memberof`` must find the ``memberOf`` a server returns."""
    return {name.lower(): value for name, value in entry.get("attributes", {}).items()}


def _first(attributes: dict[str, Any], name: str) -> str:
    value = attributes.get(name.lower())
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value) if value is not None else ""


class LdapDirectory:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        url = urlsplit(values["ldap_url"])
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if values["ldap_verify_cert"] else ssl.CERT_NONE)
        self.server = ldap3.Server(url.hostname or "", port=url.port, use_ssl=url.scheme == "ldaps", tls=tls,
                                   get_info=ldap3.NONE, connect_timeout=values["ldap_timeout"])
        self.starttls = url.scheme == "ldap" and values["ldap_starttls"]

    def _bind(self, dn: str | None, password: str | None) -> ldap3.Connection | None:
        """An open connection bound as ``dn`` (anonymous when None); None when the bind is refused."""
        conn = ldap3.Connection(self.server, user=dn, password=password, read_only=True, auto_referrals=False,
                                receive_timeout=self.values["ldap_timeout"], raise_exceptions=False)
        try:
            conn.open()
            if self.starttls and not conn.start_tls():
                raise DirectoryUnavailable("StartTLS was refused")
            if conn.bind():
                return conn
        except LDAPException as exc:
            conn.unbind()
            raise DirectoryUnavailable(f"cannot reach {self.values['ldap_url']}: {exc}") from None
        conn.unbind()
        return None

    def _searcher(self) -> ldap3.Connection:
        conn = self._bind(self.values["ldap_search_dn"] or None, self.values["ldap_search_password"] or None)
        if conn is None:
            raise DirectoryUnavailable("the directory refused the search DN and password")
        return conn

    def _search(self, conn: ldap3.Connection, base: str, query: str, scope: int, attributes: list[str],
                limit: int = MAX_RESULTS) -> list[tuple[str, dict[str, Any]]]:
        try:
            conn.search(base, query, search_scope=SCOPES.get(scope, ldap3.SUBTREE), attributes=attributes,
                        size_limit=limit)
        except LDAPException as exc:
            raise DirectoryUnavailable(f"the search failed: {exc}") from None
        return [(r["dn"], _attributes(r)) for r in conn.response or [] if r.get("type") == "searchResEntry"]

    def _users(self, conn: ldap3.Connection, uid_query: str, limit: int) -> list[DirectoryUser]:
        uid, membership = self.values["ldap_uid"], self.values["ldap_group_membership_attribute"]
        query = f"(&{self.values['ldap_filter'] or ''}({uid}={uid_query}))"
        found = self._search(conn, self.values["ldap_base_dn"], query, self.values["ldap_scope"],
                             [uid, "mail", "cn", "displayName", membership], limit)
        users = []
        for dn, attrs in found:
            groups = attrs.get(membership.lower()) or []
            users.append(DirectoryUser(dn, _first(attrs, uid), _first(attrs, "mail"),
                                       _first(attrs, "displayName") or _first(attrs, "cn"),
                                       tuple(map(str, groups if isinstance(groups, list) else [groups]))))
        return users

    def _one(self, conn: ldap3.Connection, username: str) -> DirectoryUser | None:
        """The entry of exactly this login name; None when there is none or more than one."""
        found = [u for u in self._users(conn, escape_filter_chars(username), 2) if u.username == username]
        return found[0] if len(found) == 1 else None

    def authenticate(self, username: str, password: str) -> DirectoryUser | None:
        """The user when the directory accepts the password; None otherwise. An empty password
        is refused here: LDAP would take it as an anonymous bind and say yes."""
        if not password:
            return None
        conn = self._searcher()
        try:
            user = self._one(conn, username)
        finally:
            conn.unbind()
        if user is None:
            return None
        bound = self._bind(user.dn, password)
        if bound is None:
            return None
        bound.unbind()
        return user

    def lookup(self, username: str) -> DirectoryUser | None:
        """The user's entry as the search DN sees it (for re-checks and imports, no password)."""
        conn = self._searcher()
        try:
            return self._one(conn, username)
        finally:
            conn.unbind()

    def search_users(self, name: str) -> list[DirectoryUser]:
        conn = self._searcher()
        try:
            return self._users(conn, f"*{escape_filter_chars(name)}*" if name else "*", MAX_RESULTS)
        finally:
            conn.unbind()

    def groups(self, user: DirectoryUser) -> tuple[tuple[str, str], ...]:
        """(name, DN) of the user's groups under the group base DN that match the group filter."""
        base = self.values["ldap_group_base_dn"]
        candidates = [dn for dn in user.member_of if base and _under(dn, base)][:MAX_GROUPS]
        if not candidates:
            return ()
        conn = self._searcher()
        try:
            return tuple(g for dn in candidates for g in self._groups_at(conn, dn, ldap3.BASE))
        finally:
            conn.unbind()

    def _groups_at(self, conn: ldap3.Connection, base: str, scope: Any, name: str = "") -> list[tuple[str, str]]:
        attribute = self.values["ldap_group_attribute_name"]
        named = f"({attribute}=*{escape_filter_chars(name)}*)" if name else f"({attribute}=*)"
        query = f"(&{self.values['ldap_group_search_filter'] or ''}{named})"
        try:
            conn.search(base, query, search_scope=scope, attributes=[attribute], size_limit=MAX_RESULTS)
        except LDAPException as exc:
            raise DirectoryUnavailable(f"the group search failed: {exc}") from None
        return [(_first(_attributes(r), attribute) or r["dn"], r["dn"]) for r in conn.response or []
                if r.get("type") == "searchResEntry"]

    def search_groups(self, name: str = "", dn: str = "") -> list[tuple[str, str]]:
        """Groups by name (under the group base DN) or the one group at ``dn``."""
        conn = self._searcher()
        try:
            if dn:
                return self._groups_at(conn, dn, ldap3.BASE)
            return self._groups_at(conn, self.values["ldap_group_base_dn"] or self.values["ldap_base_dn"],
                                   ldap3.SUBTREE, name)
        finally:
            conn.unbind()

    def is_admin(self, user: DirectoryUser) -> bool:
        admin_dn = self.values["ldap_group_admin_dn"]
        return bool(admin_dn) and any(same_dn(dn, admin_dn) for dn in user.member_of)

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the search account can bind."""
        self._searcher().unbind()
