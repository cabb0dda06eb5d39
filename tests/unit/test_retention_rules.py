"""Each retention template at its boundaries, counting per artifact, OR'd rules."""
from __future__ import annotations

from registry.core.artifacts import Artifact, TagInfo
from registry.core.retention import DAY, RetentionRule, decide
from registry.core.selectors import Selector

NOW = 1_000_000_000.0
ALL = [Selector("doublestar", "matches", "**")]


def _artifact(name: str, pushed_days_ago: float, pulled_days_ago: float | None = None,
              tags: tuple[str, ...] | None = None) -> Artifact:
    pulled = NOW - pulled_days_ago * DAY if pulled_days_ago is not None else None
    return Artifact(repository="p/r", digest=name, manifest_media_type="m", media_type="m", artifact_type=None,
                    type="IMAGE", size=1, push_time=NOW - pushed_days_ago * DAY, pull_time=pulled, pull_count=0,
                    tags=[TagInfo(t, 0.0, None) for t in (tags if tags is not None else (name,))])


def _rule(template: str, param: int = 0, pattern: str = "**", untagged: bool = False) -> RetentionRule:
    return RetentionRule(template, param, [Selector("doublestar", "matches", pattern)], untagged, ALL)


ARTIFACTS = [_artifact("a", 1, 10), _artifact("b", 2, None), _artifact("c", 3, 1), _artifact("d", 40, 2),
             _artifact("u", 0.5, None, tags=())]


def test_latest_pushed_counts_artifacts():
    assert decide([_rule("latestPushedK", 2)], ARTIFACTS, NOW) == {"a", "b"}
    assert decide([_rule("latestPushedK", 0)], ARTIFACTS, NOW) == set()
    assert decide([_rule("latestPushedK", 99)], ARTIFACTS, NOW) == {"a", "b", "c", "d"}


def test_untagged_artifacts_match_only_when_the_rule_says_so():
    assert decide([_rule("latestPushedK", 1, untagged=True)], ARTIFACTS, NOW) == {"u"}


def test_latest_pulled_ignores_never_pulled():
    assert decide([_rule("latestPulledN", 2)], ARTIFACTS, NOW) == {"c", "d"}


def test_days_since_push_and_pull_at_the_boundary():
    assert decide([_rule("nDaysSinceLastPush", 3)], ARTIFACTS, NOW) == {"a", "b", "c"}
    assert decide([_rule("nDaysSinceLastPull", 2)], ARTIFACTS, NOW) == {"c", "d"}
    assert decide([_rule("nDaysSinceLastPull", 0)], ARTIFACTS, NOW) == set()


def test_rules_or_and_tag_selectors():
    rules = [_rule("always", pattern="d"), _rule("latestPushedK", 1, pattern="[ab]")]
    assert decide(rules, ARTIFACTS, NOW) == {"a", "d"}


def test_one_matching_tag_keeps_the_artifact():
    both = _artifact("x", 5, tags=("dev", "v1"))
    assert decide([_rule("always", pattern="v*")], [both], NOW) == {"x"}


def test_disabled_rules_retain_nothing():
    rule = RetentionRule("always", 0, ALL, True, ALL, disabled=True)
    assert decide([rule], ARTIFACTS, NOW) == set()
