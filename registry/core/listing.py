"""List queries as core takes them from the API: a ``Listing`` (filters, orderings, page),
answered by the stores in SQL. A key or value a store cannot answer is the caller's
mistake, a 400 in the caller's words."""
from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from registry.core.errors import bad_request
from storage.meta.listing import ALL, ANY, EXACT, FUZZY, RANGE, Listing, Order, QueryError, Term

T = TypeVar("T")

__all__ = ["ALL", "ANY", "EXACT", "FUZZY", "RANGE", "Listing", "Order", "Term", "listed"]


async def listed(query: Awaitable[T]) -> T:
    """The answer of a store's list query, its ``QueryError`` turned into a 400."""
    try:
        return await query
    except QueryError as error:
        raise bad_request(str(error)) from None
