"""Garbage collection as jobs: one at a time across every process, with a history.

``berth gc``, the API's "run now" and the schedules all start a run here, so they share
one history and one lease: a run holds the ``gc`` lease in the shared database (renewed
while it works), and a second start anywhere is refused until it ends. Schedules — the
API's cron schedule (Harbor's six fields, seconds first) and the ``gc.interval`` setting —
fire once per due time across all workers, however many are looking.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from dataclasses import dataclass

from registry.core.cron import last_due, valid_cron
from registry.core.errors import RegistryError, bad_request
from registry.core.gc import GarbageCollector, GcReport
from storage.meta.jobs import GcRunRecord, ScheduleRecord
from storage.meta.store import MetaStore

log = logging.getLogger("berth.gc")
LEASE = "gc"
LEASE_SECONDS = 60.0
SCHEDULE = "gc"
INTERVAL_LEASE = "gc-interval"
PRESETS = {"Hourly": "0 0 * * * *", "Daily": "0 0 0 * * *", "Weekly": "0 0 0 * * 0"}
SCHEDULE_TYPES = ("None", "Hourly", "Daily", "Weekly", "Custom")


@dataclass(frozen=True, slots=True)
class GcParameters:
    delete_untagged: bool = False
    dry_run: bool = False

    def as_json(self) -> dict:
        return {"delete_untagged": self.delete_untagged, "dry_run": self.dry_run}


@dataclass(frozen=True, slots=True)
class Schedule:
    type: str
    cron: str
    parameters: GcParameters



def parse_parameters(raw: object) -> GcParameters:
    if raw is None:
        return GcParameters()
    if not isinstance(raw, dict):
        raise bad_request("parameters must be an object")
    values = {}
    for name in ("delete_untagged", "dry_run"):
        value = raw.get(name, False)
        if not isinstance(value, bool):
            raise bad_request(f"parameters.{name} must be true or false")
        values[name] = value
    return GcParameters(**values)


def parse_schedule(raw: object, parameters: object) -> Schedule:
    """Harbor's ``{type, cron}``; a Custom cron has six fields, seconds first."""
    if not isinstance(raw, dict):
        raise bad_request("schedule must be an object with a type")
    kind = raw.get("type")
    if kind not in SCHEDULE_TYPES + ("Manual",):
        raise bad_request(f"schedule.type must be one of {', '.join(SCHEDULE_TYPES + ('Manual',))}")
    cron = raw.get("cron") or ""
    if kind == "Custom":
        if not isinstance(cron, str) or not valid_cron(cron):
            raise bad_request("schedule.cron must be a cron expression of six fields, seconds first")
    else:
        cron = PRESETS.get(kind, "")
    return Schedule(kind, cron, parse_parameters(parameters))


def _log_text(report: GcReport) -> str:
    lines = [f"{'would delete' if report.dry_run else 'deleted'} manifest {m}" for m in report.manifests]
    return "\n".join([*lines, report.summary()]) + "\n"


class GcJobs:
    def __init__(self, meta: MetaStore, collector: GarbageCollector, grace: float, interval: float = 0.0,
                 interval_untagged: bool = False) -> None:
        self.meta = meta
        self.collector = collector
        self.grace = grace
        self.interval = interval  # the ``gc.interval`` setting; 0 is off
        self.interval_untagged = interval_untagged
        self.holder = uuid.uuid4().hex  # this process, as the leases name it
        self._running: set[asyncio.Task] = set()
        self._interval_slot: float | None = None

    # --- runs ------------------------------------------------------------------------
    async def _begin(self, kind: str, parameters: GcParameters, wait: float = 0.0) -> int:
        deadline = time.monotonic() + wait
        while not await self.meta.jobs.take_lease(LEASE, self.holder, LEASE_SECONDS):
            if time.monotonic() >= deadline:
                raise RegistryError("CONFLICT", "a garbage collection is running; try again when it has finished",
                                    status=409)
            await asyncio.sleep(1.0)
        # Holding the lease, no other run can be going: one still "Running" lost its process.
        await self.meta.jobs.abandon_running_gc("stopped: the process running it ended before it finished\n")
        return await self.meta.jobs.start_gc(kind, parameters.dry_run, parameters.delete_untagged)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            await self.meta.jobs.take_lease(LEASE, self.holder, LEASE_SECONDS)

    async def _execute(self, run_id: int, parameters: GcParameters,
                       grace: float | None = None) -> tuple[GcRunRecord, GcReport]:
        renewing = asyncio.create_task(self._renew())
        status, report, text = "Error", GcReport(parameters.dry_run), ""
        try:
            report = await self.collector.run(self.grace if grace is None else grace, untagged=parameters.delete_untagged,
                                              dry_run=parameters.dry_run)
            status, text = "Success", _log_text(report)
        except asyncio.CancelledError:
            status, text = "Stopped", "stopped: the server shut down during the run\n"
            raise
        except Exception as exc:
            log.exception("garbage collection %d failed", run_id)
            text = f"failed: {type(exc).__name__}: {exc}\n"
        finally:
            renewing.cancel()
            # Recorded even when cancelled, so the history never shows a run "Running" forever.
            await asyncio.shield(self._finish(run_id, status, report, text))
        return await self.get(run_id), report

    async def _finish(self, run_id: int, status: str, report: GcReport, text: str) -> None:
        try:
            await self.meta.jobs.finish_gc(run_id, status, len(report.manifests), report.blobs, report.bytes, text)
        finally:
            await self.meta.jobs.release_lease(LEASE, self.holder)

    async def run(self, kind: str, parameters: GcParameters, grace: float | None = None,
                  wait: float = 0.0) -> tuple[GcRunRecord, GcReport]:
        """Run now and wait for the result (``berth gc``, which may shorten the grace period).

        With ``wait``, a run going elsewhere — or the lease of one whose process died —
        is waited for that many seconds before this one is refused.
        """
        return await self._execute(await self._begin(kind, parameters, wait), parameters, grace)

    async def launch(self, kind: str, parameters: GcParameters) -> int:
        """Start a run in the background; its id, to follow in the history."""
        run_id = await self._begin(kind, parameters)
        task = asyncio.create_task(self._execute(run_id, parameters), name=f"gc-{run_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return run_id

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- history ---------------------------------------------------------------------------
    async def history(self, offset: int, limit: int) -> tuple[list[GcRunRecord], int]:
        return await self.meta.jobs.gc_runs(offset, limit)

    async def get(self, run_id: int) -> GcRunRecord:
        found = await self.meta.jobs.gc_run(run_id)
        if found is None:
            raise RegistryError("NOT_FOUND", f"garbage collection {run_id} not found", status=404)
        return found

    # --- schedules ---------------------------------------------------------------------------
    async def schedule(self) -> Schedule:
        record: ScheduleRecord | None = await self.meta.jobs.schedule(SCHEDULE)
        if record is None:
            return Schedule("None", "", GcParameters())
        return Schedule(record.kind, record.cron, parse_parameters(json.loads(record.parameters)))

    async def set_schedule(self, schedule: Schedule) -> None:
        await self.meta.jobs.set_schedule(SCHEDULE, schedule.type, schedule.cron,
                                          json.dumps(schedule.parameters.as_json()))

    async def tick(self, now: float | None = None) -> None:
        """Start whatever schedule is due; called every few seconds by every process."""
        now = time.time() if now is None else now
        schedule = await self.schedule()
        if schedule.type in PRESETS or schedule.type == "Custom":
            due = last_due(schedule.cron, now)
            if await self.meta.jobs.claim_firing(SCHEDULE, due):
                await self._start_quietly("SCHEDULE", schedule.parameters)
        if self.interval > 0:
            slot = math.floor(now / self.interval) * self.interval
            # The lease lasts to the end of the slot, so one process per slot takes it.
            if slot != self._interval_slot and await self.meta.jobs.take_lease(
                    INTERVAL_LEASE, f"{self.holder}:{slot}", slot + self.interval - now):
                self._interval_slot = slot
                await self._start_quietly("SCHEDULE", GcParameters(delete_untagged=self.interval_untagged))

    async def _start_quietly(self, kind: str, parameters: GcParameters) -> None:
        try:
            await self.launch(kind, parameters)
        except RegistryError as error:  # a run is already going: this firing is covered by it
            log.info("scheduled garbage collection skipped: %s", error.message)
