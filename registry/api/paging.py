"""Harbor's paging and query syntax, used by every list endpoint.

``page`` (from 1) and ``page_size`` (default 10, at most 100) select a slice;
the answer carries ``X-Total-Count`` and a ``Link`` header with ``prev``/``next``.
``q`` is a comma list of ``key=value`` (exact), ``key=~value`` (fuzzy), ``key=[min~max]``
(a range; either end may be empty), ``key={a b c}`` (any of) and ``key=(a b c)`` (all of),
each value bare or in quotes;
``sort`` is a comma list of keys, each descending with a leading ``-``. Which keys a list
offers is its store's business; the syntax is checked here.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from registry.api.body import bad_request, json_response, positive_int
from registry.core.listing import ALL, ANY, EXACT, FUZZY, RANGE, Listing, Order, Term

DEFAULT_SIZE = 10
MAX_SIZE = 100
# Far past any list's end, and small enough that the row offset stays a 64-bit integer.
MAX_PAGE = 2**31 - 1
MAX_QUERY = 4096  # characters of q or sort: far more than any filter a person writes
_SETS = {"{": ("}", ANY), "(": (")", ALL)}


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


def _split(raw: str) -> list[str]:
    """Comma-separated parts, leaving commas inside brackets alone."""
    parts, depth, current = [], 0, []
    for char in raw:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _unquote(value: str) -> str:
    """A value as Harbor takes it: bare, or enclosed in " or '."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _members(text: str, key: str) -> tuple[str, ...]:
    """The values of a set, separated by spaces or commas, each bare or quoted."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace += ","
    lexer.whitespace_split = True
    try:
        return tuple(lexer)
    except ValueError:
        raise bad_request(f"the set of {key[:64]} in q has an unclosed quote") from None


def _term(part: str) -> Term:
    key, sep, value = part.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise bad_request(f"q must be key=value pairs separated by commas, not {part[:64]!r}")
    if value.startswith("~"):
        return Term(key, FUZZY, (_unquote(value[1:]),))
    if value.startswith("[") and value.endswith("]") and value.count("~") == 1:
        low, _, high = value[1:-1].partition("~")
        return Term(key, RANGE, (_unquote(low), _unquote(high)))
    if value[:1] in _SETS and value.endswith(_SETS[value[0]][0]):
        values = _members(value[1:-1], key)
        if not values:
            raise bad_request(f"the set of {key[:64]} in q is empty")
        return Term(key, _SETS[value[0]][1], values)
    if value[:1] in "[{(" or value[-1:] in "]})":
        raise bad_request(f"q has a malformed value for {key[:64]}: {value[:64]!r}")
    return Term(key, EXACT, (_unquote(value),))


def _raw(request: web.Request, name: str) -> str:
    raw = request.query.get(name, "")
    if len(raw) > MAX_QUERY:
        raise bad_request(f"{name} is longer than {MAX_QUERY} characters")
    return raw


def query_list(request: web.Request) -> tuple[Term, ...]:
    """``q`` as terms, in the order given; a key given twice is a 400."""
    terms = tuple(_term(part) for part in _split(_raw(request, "q")))
    keys = [t.key for t in terms]
    if len(set(keys)) != len(keys):
        raise bad_request("q names a key more than once")
    return terms


def sort_of(request: web.Request) -> tuple[Order, ...]:
    """``sort=name,-creation_time`` → ascending name, then newest first."""
    orders = []
    for part in (p.strip() for p in _raw(request, "sort").split(",")):
        key = part.removeprefix("-").strip()
        if not part:
            continue
        if not key or not all(c.isalnum() or c == "_" for c in key):
            raise bad_request(f"sort must be a comma list of field names, each with an optional -, not {part[:64]!r}")
        orders.append(Order(key, part.startswith("-")))
    return tuple(orders)


def listing_of(request: web.Request, page: Page) -> Listing:
    """``page`` with the request's ``q`` and ``sort``, for a store to answer in SQL."""
    return Listing(query_list(request), sort_of(request), page.offset, page.size)


def query_terms(request: web.Request) -> dict[str, str]:
    """``q=name=~ab,public=true`` → ``{"name": "~ab", "public": "true"}``, for the lists that take
    only the exact and fuzzy forms."""
    terms: dict[str, str] = {}
    for term in query_list(request):
        if term.kind not in (EXACT, FUZZY):
            raise bad_request(f"this list takes {term.key}=value or {term.key}=~value in q, not a range or a set")
        terms[term.key] = ("~" if term.kind == FUZZY else "") + term.values[0]
    return terms


def fuzzy(value: str) -> str:
    """The text of an exact (``v``) or fuzzy (``~v``) query value."""
    return value[1:] if value.startswith("~") else value


def matches(text: str, query: str) -> bool:
    """Whether ``text`` is what an exact (``v``) or fuzzy (``~v``) query value asks for; an empty one asks nothing."""
    if not query:
        return True
    return fuzzy(query) in text if query.startswith("~") else text == query
