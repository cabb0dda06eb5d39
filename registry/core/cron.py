"""Harbor's cron expressions: six fields, seconds first, read the same way for every job."""
from __future__ import annotations

import datetime

from croniter import croniter


def valid_cron(expression: str) -> bool:
    return len(expression.split()) == 6 and croniter.is_valid(expression, second_at_beginning=True)


def _at(when: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc)


def last_due(expression: str, now: float) -> float:
    """The latest time at or before ``now`` the expression names."""
    return croniter(expression, _at(now), second_at_beginning=True).get_prev(float)


def next_due(expression: str, now: float) -> float:
    return croniter(expression, _at(now), second_at_beginning=True).get_next(float)
