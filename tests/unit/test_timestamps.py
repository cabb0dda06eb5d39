"""Harbor's timestamps as the API renders them: the cached-seconds form must say exactly
what a datetime would, at the edges of a second too."""
from datetime import datetime, timezone

import pytest

from registry.api.render import NEVER, when


def _datetime_form(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize("ts", [1.0, 1764877200.0, 1764877200.5, 1764877200.0005, 1764877200.9995,
                                1764877200.9999996, 1764877200.0000004, 951782400.123456, 4102444799.999])
def test_when_matches_datetime(ts: float):
    assert when(ts) == _datetime_form(ts)


def test_a_missing_time_is_go_zero_time():
    assert when(None) == when(0) == NEVER
    assert when(1764877200.25) == "2025-12-04T19:40:00.250Z"
