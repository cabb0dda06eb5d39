"""The kubelet's pull settings through the agent: serialized pulls by default, a cap on
parallel pulls, and the registryPullQPS/registryBurst token bucket in front of PullImage.

The runtime is the real OCI-layout back end pulling from a real Distribution; it only
also counts how many pulls are in flight, and holds each a moment so overlaps show.
"""
from __future__ import annotations

import asyncio

import pytest

from registry.agent import LayoutRuntime, NodeAgent
from registry.agent.puller import Puller
from registry.agent.store import ContentStore
from registry.agent.throttle import TokenBucket
from tests.agent.images import Pusher, make_image
from tests.agent.test_pull import pod_yaml, pods_of


class CountingRuntime(LayoutRuntime):
    def __init__(self, state):
        store = ContentStore(state)
        super().__init__(store, Puller(store))
        self.in_flight = self.peak = self.calls = 0

    async def pull(self, ref, credential=None, pod=None):
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.2)
            return await super().pull(ref, credential, pod)
        finally:
            self.in_flight -= 1


async def _pods(registry, repo, tmp_path, count: int) -> list:
    pods = []
    for index in range(count):
        await Pusher(registry.url).push(f"{repo}-{index}", "v1", make_image(layers=1))
        pods += pods_of(pod_yaml(f"{registry.host}/{repo}-{index}:v1"), tmp_path)
    return pods


@pytest.mark.parametrize("limit, peak", [(1, 1), (2, 2), (None, 4)])
async def test_parallel_pulls_respect_the_limit(plain_registry, repo, tmp_path, limit, peak):
    pods = await _pods(plain_registry, repo, tmp_path, 4)
    runtime = CountingRuntime(tmp_path / "state")
    async with NodeAgent(tmp_path / "state", runtime=runtime, max_parallel_image_pulls=limit) as agent:
        results = await agent.run(pods)
    assert all(result.ready for result in results)
    assert (runtime.calls, runtime.peak) == (4, peak)
    pulled = [e.message for result in results for e in result.events.events if e.message.startswith("Successfully")]
    assert len(pulled) == 4 and all("including waiting). Image size: " in m for m in pulled)


async def test_qps_exceeded_is_an_image_pull_error(plain_registry, repo, tmp_path):
    pods = await _pods(plain_registry, repo, tmp_path, 3)
    runtime = CountingRuntime(tmp_path / "state")
    async with NodeAgent(tmp_path / "state", runtime=runtime, registry_pull_qps=0.001, registry_burst=2,
                         attempts=1) as agent:
        results = await agent.run(pods)
    assert [result.status for result in results] == ["ImagesReady", "ImagesReady", "ImagePullBackOff"]
    assert runtime.calls == 2  # the refused pull never reached the runtime
    image = pods[2].containers[0].image
    assert ("Failed", f'Failed to pull image "{image}": pull QPS exceeded') in [
        (e.reason, e.message) for e in results[2].events.events]


def test_token_bucket_starts_full_and_refills():
    now = [0.0]
    bucket = TokenBucket(qps=2, burst=3, clock=lambda: now[0])
    assert [bucket.try_accept() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5
    assert [bucket.try_accept() for _ in range(2)] == [True, False]
    now[0] = 100.0
    assert sum(bucket.try_accept() for _ in range(10)) == 3
