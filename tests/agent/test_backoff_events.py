"""The kubelet's back-off sequence, event folding and kubectl's formatting."""
from __future__ import annotations

import pytest

from registry.agent.backoff import Backoff
from registry.agent.events import EventLog, go_duration, human_duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_from_10s_to_300s_and_expires():
    clock = Clock()
    backoff = Backoff(clock=clock)
    assert [backoff.next("pod_img") for _ in range(8)] == [10, 20, 40, 80, 160, 300, 300, 300]
    assert backoff.remaining("pod_img") == 300
    clock.now += 299
    assert backoff.remaining("pod_img") == pytest.approx(1)
    clock.now += 601  # untouched for more than 2 × max: starts over
    assert backoff.remaining("pod_img") == 0 and backoff.next("pod_img") == 10
    assert backoff.remaining("other") == 0


def test_backoff_scale_and_gc():
    clock = Clock()
    backoff = Backoff(scale=100, clock=clock)
    assert [backoff.next("k") for _ in range(3)] == [0.1, 0.2, 0.4]
    clock.now += 7
    backoff.gc()
    assert backoff.next("k") == 0.1
    with pytest.raises(ValueError):
        Backoff(scale=0)


def test_events_fold_repeats_and_render_like_kubectl_describe():
    clock = Clock()
    log = EventLog(clock=clock)
    log.record("Normal", "Pulling", 'Pulling image "nginx"')
    clock.now += 2
    log.record("Warning", "Failed", 'Failed to pull image "nginx": unauthorized')
    clock.now += 100
    log.record("Normal", "Pulling", 'Pulling image "nginx"')
    clock.now += 30
    assert log.describe().splitlines() == [
        "Events:",
        "  Type     Reason   Age                  From     Message",
        "  ----     ------   ----                 ----     -------",
        '  Normal   Pulling  30s (x2 over 2m12s)  kubelet  Pulling image "nginx"',
        '  Warning  Failed   2m10s                kubelet  Failed to pull image "nginx": unauthorized',
    ]
    assert log.to_json()[0]["count"] == 2 and log.to_json()[0]["firstTimestamp"].endswith("Z")
    assert EventLog().describe() == "Events:  <none>\n"


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (119, "119s"), (130, "2m10s"), (180, "3m"),
                                           (900, "15m"), (3 * 3600 + 1200, "3h20m"), (30 * 3600, "30h"),
                                           (52 * 3600, "2d4h"), (-5, "<invalid>")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


@pytest.mark.parametrize("seconds, text", [(0.0004, "0s"), (0.0745, "74ms"), (1.2, "1.2s"), (1.2345, "1.234s"),
                                           (62.5, "1m2.5s"), (3600, "1h0m0s")])
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text
