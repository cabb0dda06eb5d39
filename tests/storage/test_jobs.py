"""Leases and schedule firings, claimed by one of several stores on the same database — as
several Berth processes or machines would — on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import time


async def test_one_holder_at_a_time_until_the_lease_ends(meta_backend):
    first, second = await meta_backend(), await meta_backend()
    assert await first.jobs.take_lease("gc", "a", 30)
    assert not await second.jobs.take_lease("gc", "b", 30)
    assert await first.jobs.take_lease("gc", "a", 30)  # the holder renews
    await first.jobs.release_lease("gc", "b")  # only the holder can release
    assert not await second.jobs.take_lease("gc", "b", 30)
    await first.jobs.release_lease("gc", "a")
    assert await second.jobs.take_lease("gc", "b", 0.2)
    await asyncio.sleep(0.3)
    assert await first.jobs.take_lease("gc", "a", 30)  # an expired lease is taken over


async def test_concurrent_takers_get_one_lease(meta_backend):
    stores = [await meta_backend() for _ in range(4)]
    won = await asyncio.gather(*(s.jobs.take_lease("gc", f"h{i}", 30) for i, s in enumerate(stores)))
    assert sorted(won) == [False, False, False, True]


async def test_a_firing_is_claimed_once(meta_backend):
    first, second = await meta_backend(), await meta_backend()
    await first.jobs.set_schedule("gc", "Custom", "*/5 * * * * *", "{}")
    due = time.time() + 1
    claims = await asyncio.gather(first.jobs.claim_firing("gc", due), second.jobs.claim_firing("gc", due),
                                  first.jobs.claim_firing("gc", due))
    assert sorted(claims) == [False, False, True]
    assert not await second.jobs.claim_firing("gc", due - 5)  # an older due time has passed
    assert await second.jobs.claim_firing("gc", due + 5)


async def test_gc_runs_are_recorded(meta):
    run_id = await meta.jobs.start_gc("MANUAL", True, False)
    (running,), total = await meta.jobs.gc_runs(0, 10)
    assert total == 1 and running.id == run_id and running.status == "Running" and running.dry_run
    await meta.jobs.finish_gc(run_id, "Success", 2, 3, 4096, "deleted manifest x\n")
    done = await meta.jobs.gc_run(run_id)
    assert (done.status, done.manifests, done.blobs, done.freed, done.log) == ("Success", 2, 3, 4096,
                                                                                "deleted manifest x\n")
    assert await meta.jobs.gc_run(run_id + 1) is None


async def test_runs_left_running_by_a_dead_process_are_closed(meta):
    run_id = await meta.jobs.start_gc("MANUAL", False, False)
    assert await meta.jobs.abandon_running_gc("stopped\n") == 1
    assert (await meta.jobs.gc_run(run_id)).status == "Error"


async def test_retention_executions_whose_process_went_silent_are_closed(meta):
    policy_id = await meta.retention.create_policy(1, "{}")
    beating, silent, stopping, done = [await meta.retention.start_execution(policy_id, "MANUAL", False)
                                       for _ in range(4)]
    await meta.retention.finish_execution(done, "Succeed", 0)
    assert await meta.retention.request_stop(stopping)
    await asyncio.sleep(0.2)
    cutoff = time.time()
    assert await meta.retention.heartbeat(beating) == "Running"
    assert await meta.retention.abandon_silent(cutoff) == 2  # silent and stopping: their process died
    statuses = {e.id: e.status for e in (await meta.retention.executions(policy_id, 0, 10))[0]}
    assert statuses == {beating: "Running", silent: "Failed", stopping: "Failed", done: "Succeed"}
    assert await meta.retention.heartbeat(999999) is None
