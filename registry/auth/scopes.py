"""Parsing token scopes: ``type:name:action[,action]``, names may hold a ``host:port``."""
from __future__ import annotations

from registry.auth.access import Scope


def parse_scope(text: str) -> Scope | None:
    """One resource scope, or None when it is malformed (ignored, as Harbor does)."""
    first = text.find(":")
    last = text.rfind(":")
    if first <= 0 or last == first:
        return None
    resource_type = text[:first].split("(", 1)[0]
    name = text[first + 1:last]
    actions = tuple(a for a in text[last + 1:].split(",") if a)
    if not name:
        return None
    return Scope(resource_type, name, actions)


def parse_scopes(values: list[str]) -> list[Scope]:
    """Every scope in repeated ``scope`` parameters, each possibly space-separated."""
    scopes = []
    for value in values:
        for part in value.split():
            scope = parse_scope(part)
            if scope is not None:
                scopes.append(scope)
    return scopes
