"""Harbor's paging and query syntax, used by every list endpoint.

``page`` (from 1) and ``page_size`` (default 10, at most 100) select a slice;
the answer carries ``X-Total-Count`` and a ``Link`` header with ``prev``/``next``.
``q`` is ``key=value,key=~fuzzy``; Berth reads the exact and fuzzy forms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from registry.api.body import bad_request, json_response, positive_int

DEFAULT_SIZE = 10
MAX_SIZE = 100
# Far past any list's end, and small enough that the row offset stays a 64-bit integer.
MAX_PAGE = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _query_int(request: web.Request, name: str, default: int, maximum: int) -> int:
    raw = request.query.get(name, "")
    return default if raw == "" else positive_int(raw, name, maximum)


def page_of(request: web.Request) -> Page:
    return Page(_query_int(request, "page", 1, MAX_PAGE), _query_int(request, "page_size", DEFAULT_SIZE, MAX_SIZE))


def paged(request: web.Request, page: Page, items: list[Any], total: int) -> web.Response:
    """A JSON list with ``X-Total-Count`` and ``Link`` (prev/next) headers."""
    links = []
    if page.number > 1:
        links.append(f'<{request.rel_url.update_query(page=page.number - 1, page_size=page.size)}>; rel="prev"')
    if page.offset + len(items) < total:
        links.append(f'<{request.rel_url.update_query(page=page.number + 1, page_size=page.size)}>; rel="next"')
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = " , ".join(links)
    return json_response(items, headers=headers)


def query_terms(request: web.Request) -> dict[str, str]:
    """``q=name=~ab,public=true`` → ``{"name": "~ab", "public": "true"}``."""
    raw = request.query.get("q", "")
    terms: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise bad_request(f"q must be key=value pairs separated by commas, not {part[:64]!r}")
        terms[key.strip()] = value.strip()
    return terms


def fuzzy(value: str) -> str:
    """The text of an exact (``v``) or fuzzy (``~v``) query value."""
    return value[1:] if value.startswith("~") else value


def matches(text: str, query: str) -> bool:
    """Whether ``text`` is what an exact (``v``) or fuzzy (``~v``) query value asks for; an empty one asks nothing."""
    if not query:
        return True
    return fuzzy(query) in text if query.startswith("~") else text == query
