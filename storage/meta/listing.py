"""Filters and orderings of list queries, turned into SQL from a table's column map.

A list request arrives as terms (``key`` matched exactly, fuzzily, within a range, or
against a set of values) and orderings; each store says which keys it offers and the
SQL expression behind each, so that filtering, ordering and paging all happen in the
database and no list is read whole to be cut in Python. A key a store does not offer,
or a value its column cannot hold, is a ``QueryError``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

EXACT, FUZZY, RANGE, ANY, ALL = "exact", "fuzzy", "range", "any", "all"
_INT = re.compile(r"-?[0-9]{1,18}")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
MAX_VALUES = 100  # values in one set term: enough for any filter a person writes


class QueryError(ValueError):
    """A filter or ordering the store cannot answer: unknown key, or a value of the wrong kind."""


@dataclass(frozen=True, slots=True)
class Term:
    """``key`` against ``values``: one for exact and fuzzy, (min, max) for a range ("" is open),
    any number for ``any`` (union) and ``all`` (intersection)."""

    key: str
    kind: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Order:
    key: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a list: which rows, in which order."""

    terms: tuple[Term, ...] = ()
    orders: tuple[Order, ...] = ()
    offset: int = 0
    limit: int = 100

    def term(self, key: str) -> Term | None:
        return next((t for t in self.terms if t.key == key), None)

    def adding(self, *terms: Term) -> "Listing":
        """The same listing with ``terms`` too (an endpoint's own filter parameters)."""
        return Listing((*self.terms, *terms), self.orders, self.offset, self.limit)

    def without(self, key: str) -> "Listing":
        """The same listing without the terms on ``key`` (those a store answers itself)."""
        return Listing(tuple(t for t in self.terms if t.key != key), self.orders, self.offset, self.limit)


@dataclass(frozen=True, slots=True)
class Column:
    """What a key stands for: an SQL expression of kind text, int, time (epoch seconds) or bool.

    ``member`` instead names a set-valued key (an artifact's labels): SQL true when the
    row holds the one value bound to its ``?``; such a key filters but does not sort.
    """

    sql: str = ""
    kind: str = "text"
    member: str = ""


@dataclass(frozen=True, slots=True)
class Compiled:
    where: str
    args: list[Any] = field(default_factory=list)
    order: str = ""


def _value(key: str, column: Column, raw: str) -> Any:
    raw = raw.strip()
    if column.kind == "text":
        return raw
    if column.kind == "int" and _INT.fullmatch(raw):
        return int(raw)
    if column.kind == "bool" and raw in ("true", "false"):
        return int(raw == "true")
    if column.kind == "time":
        if _INT.fullmatch(raw):
            return float(raw)
        for form in _TIME_FORMATS:
            try:
                return datetime.strptime(raw, form).replace(tzinfo=timezone.utc).timestamp()
            except ValueError:
                continue
    raise QueryError(f"{key} cannot be {raw[:64]!r}: it takes {'a time' if column.kind == 'time' else 'an integer' if column.kind == 'int' else 'true or false'}")


def like_pattern(text: str) -> str:
    """``LIKE ? ESCAPE '!'`` pattern for text containing ``text``, wildcards taken literally."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _condition(term: Term, column: Column) -> tuple[str, list[Any]]:
    if column.member:
        if term.kind not in (EXACT, ANY, ALL):
            raise QueryError(f"{term.key} takes a value, {{a b}} or (a b)")
        values = [_value(term.key, Column(kind="int"), v) for v in term.values]
        joined = (" OR " if term.kind == ANY else " AND ").join([column.member] * len(values))
        return f"({joined})", values
    if term.kind == FUZZY:
        if column.kind != "text":
            raise QueryError(f"{term.key} cannot be matched fuzzily")
        return f"{column.sql} LIKE ? ESCAPE '!'", [like_pattern(term.values[0])]
    if term.kind == RANGE:
        low, high = term.values
        parts, args = [], []
        for bound, op in ((low, ">="), (high, "<=")):
            if bound.strip():
                parts.append(f"{column.sql} {op} ?")
                args.append(_value(term.key, column, bound))
        if not parts:
            raise QueryError(f"the range of {term.key} needs a lower or an upper bound")
        return " AND ".join(parts), args
    values = [_value(term.key, column, v) for v in term.values]
    if term.kind == EXACT:
        return f"{column.sql} = ?", values
    joined = (" OR " if term.kind == ANY else " AND ").join([f"{column.sql} = ?"] * len(values))
    return f"({joined})", values


def _column(columns: dict[str, Column], key: str, what: str) -> Column:
    column = columns.get(key)
    if column is None:
        raise QueryError(f"cannot {what} by {key[:64]!r}; this list offers {', '.join(sorted(columns))}")
    return column


def compile_listing(listing: Listing, columns: dict[str, Column], default_order: str,
                    where: tuple[str, ...] = (), args: tuple[Any, ...] = ()) -> Compiled:
    """``WHERE`` (with the store's own conditions ``where``/``args`` first) and ``ORDER BY``
    for ``listing``; ``default_order`` ends every ordering, so pages never overlap."""
    clauses, values = list(where), list(args)
    for term in listing.terms:
        if not term.values or len(term.values) > MAX_VALUES:
            raise QueryError(f"{term.key} takes from 1 to {MAX_VALUES} values")
        sql, bound = _condition(term, _column(columns, term.key, "filter"))
        clauses.append(sql)
        values.extend(bound)
    orders = []
    for order in listing.orders:
        column = _column(columns, order.key, "sort")
        if column.member:
            raise QueryError(f"cannot sort by {order.key}")
        orders.append(f"{column.sql} {'DESC' if order.descending else 'ASC'}")
    orders.append(default_order)
    return Compiled(" AND ".join(clauses) or "1 = 1", values, ", ".join(orders))
