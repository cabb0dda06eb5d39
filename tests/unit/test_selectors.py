"""Harbor's doublestar selectors, as immutability (and retention) read them."""
from __future__ import annotations

import pytest

from registry.core.errors import RegistryError
from registry.core.selectors import Selector, doublestar, parse_selectors


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("**", "anything/at/all", True),
    ("*", "nginx", True),
    ("*", "team/nginx", False),
    ("team/*", "team/nginx", True),
    ("rel-*", "rel-1.2", True),
    ("rel-*", "xrel-1", False),
    ("v?.0", "v1.0", True),
    ("v?.0", "v10.0", False),
    ("{dev,test}-*", "test-3", True),
    ("{dev,test}-*", "prod-3", False),
    ("v[0-9]", "v7", True),
    ("v[!0-9]", "v7", False),
    ("1.0+build", "1.0+build", True),
    ("a.b", "axb", False),
])
def test_doublestar(pattern, text, expected):
    assert doublestar(pattern, text) is expected


def test_excludes_invert():
    assert Selector("doublestar", "excludes", "dev-*").selects("v1")
    assert not Selector("doublestar", "repoExcludes", "**").selects("any")


@pytest.mark.parametrize("raw", [None, [], [{"pattern": "[x"}], [{"pattern": "{a"}], [{"pattern": 5}],
                                 [{"pattern": "*", "decoration": "repoMatches"}]])
def test_bad_selectors(raw):
    with pytest.raises(RegistryError):
        parse_selectors(raw, ("matches", "excludes"), "tag_selectors")
