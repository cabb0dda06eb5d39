"""Harbor's tag and repository selectors: doublestar patterns that match or exclude.

One reading for every policy that picks tags (immutability today, retention next):
``*`` matches within one path segment, ``**`` across segments, ``?`` one character,
``{a,b}`` either alternative, ``[...]`` a character class. A repository selector is
matched against the repository name without its project, as Harbor does.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from registry.core.errors import bad_request

TAG_DECORATIONS = ("matches", "excludes")
REPOSITORY_DECORATIONS = ("repoMatches", "repoExcludes")
MAX_PATTERN = 255



@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise bad_request(f"pattern {pattern!r}: '[' without ']'")
            body = pattern[i + 1:end]
            negate = body.startswith("!") or body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise bad_request(f"pattern {pattern!r}: '{{' without '}}'")
    try:
        return re.compile("".join(out))
    except re.error:
        raise bad_request(f"pattern {pattern!r} is not a valid doublestar pattern") from None


def doublestar(pattern: str, text: str) -> bool:
    return _compiled(pattern).fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class Selector:
    kind: str
    decoration: str
    pattern: str

    def selects(self, text: str) -> bool:
        matched = doublestar(self.pattern, text)
        return matched if self.decoration in ("matches", "repoMatches") else not matched

    def as_json(self) -> dict:
        return {"kind": self.kind, "decoration": self.decoration, "pattern": self.pattern}


def parse_selectors(raw: object, decorations: tuple[str, ...], where: str) -> list[Selector]:
    """Selectors from a request body; BAD_REQUEST naming what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise bad_request(f"{where} must be a non-empty list of selectors")
    selectors = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise bad_request(f"each of {where} must be an object")
        kind = entry.get("kind", "doublestar")
        decoration = entry.get("decoration", decorations[0])
        pattern = entry.get("pattern")
        if kind != "doublestar":
            raise bad_request(f"{where}: selector kind must be doublestar")
        if decoration not in decorations:
            raise bad_request(f"{where}: decoration must be one of {', '.join(decorations)}")
        if not isinstance(pattern, str) or not 1 <= len(pattern) <= MAX_PATTERN:
            raise bad_request(f"{where}: pattern must be a string of 1 to {MAX_PATTERN} characters")
        _compiled(pattern)  # refuse a malformed pattern now, not at the next push
        selectors.append(Selector(kind, decoration, pattern))
    return selectors


def load_selectors(stored: list[dict]) -> list[Selector]:
    """Selectors as stored (validated when they were written)."""
    return [Selector(s["kind"], s["decoration"], s["pattern"]) for s in stored]


def all_select(selectors: list[Selector], text: str) -> bool:
    """Harbor ANDs the selectors of one kind: each must select ``text``."""
    return all(s.selects(text) for s in selectors)
