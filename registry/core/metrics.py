"""Every Prometheus metric Berth records, and the words the rest of Berth records them with.

Core, auth and the HTTP layer call the small functions below (``token_issued``,
``gc_finished`` …) and never touch prometheus-client, so the names, labels and
buckets live in one place. The metric objects are built on first use, not at import:
prometheus-client picks its storage (memory, or files shared by forked workers) when
a metric is built, so ``berth serve`` calls :func:`share_between_processes` before
anything is recorded and before it forks. Figures that are cheaper to read than to
track (projects, repositories, open uploads) are not kept here but computed at scrape
time; :func:`registry_families` turns them into metric families.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import values
from prometheus_client.core import Counter, Gauge, GaugeMetricFamily, Histogram, Metric

# Request and storage latencies: a cached manifest answers in well under a millisecond,
# a large blob written to S3 can take minutes.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0, 300.0)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class ProjectFigures:
    """What Harbor's exporter reports about one project, read when scraped."""

    name: str
    public: bool
    repositories: int
    artifacts: int
    pulls: int
    quota_used: int
    quota_hard: int  # -1: unlimited


class _Metrics:
    def __init__(self) -> None:
        self.workers = Gauge(
            "berth_worker_start_time_seconds", "When each serving process started (one sample per live process)",
            multiprocess_mode="liveall")
        self.http_requests = Counter(
            "berth_http_requests", "HTTP requests answered, by route template, method and status code",
            ["route", "method", "code"])
        self.http_duration = Histogram(
            "berth_http_request_duration_seconds", "Time from the request's arrival to the last byte of the answer",
            ["route", "method"], buckets=_LATENCY_BUCKETS)
        self.http_in_flight = Gauge(
            "berth_http_requests_in_flight", "Requests whose handler is running", multiprocess_mode="livesum")
        self.http_received = Counter(
            "berth_http_request_bytes", "Request body bytes received", ["route", "method"])
        self.http_sent = Counter(
            "berth_http_response_bytes", "Response bytes sent", ["route", "method"])
        self.http_children: dict[tuple[str, str, int], tuple] = {}
        self.storage_duration = Histogram(
            "berth_storage_operation_duration_seconds", "Blob store operations, by driver and operation",
            ["driver", "operation"], buckets=_LATENCY_BUCKETS)
        self.storage_errors = Counter(
            "berth_storage_operation_errors", "Blob store operations that raised", ["driver", "operation"])
        self.tokens_issued = Counter(
            "berth_tokens_issued", "Registry tokens issued by the token service, by kind of principal", ["kind"])
        self.auth_failures = Counter(
            "berth_auth_failures", "Refused credentials: a wrong password or an invalid token", ["kind"])
        self.uploads_started = Counter("berth_upload_sessions_started", "Blob upload sessions opened")
        self.uploads_ended = Counter(
            "berth_upload_sessions_ended", "Blob upload sessions closed, by outcome", ["outcome"])
        self.flushes = Counter(
            "berth_batch_flushes", "Writes of batched counters (pulls, audit) to the database, by outcome",
            ["batch", "outcome"])
        self.flushed_events = Counter(
            "berth_batch_flushed_events", "Events written by batch flushes (pulls counted, audit entries)",
            ["batch"])
        self.gc_runs = Counter("berth_gc_runs", "Garbage collections run, by outcome", ["outcome"])
        self.gc_freed_bytes = Counter("berth_gc_freed_bytes", "Bytes of blobs deleted by garbage collection")
        self.gc_deleted_blobs = Counter("berth_gc_deleted_blobs", "Blobs deleted by garbage collection")
        self.gc_deleted_manifests = Counter(
            "berth_gc_deleted_manifests", "Untagged manifests deleted by garbage collection")
        self.webhook_deliveries = Counter(
            "berth_webhook_deliveries", "Webhook notifications, by outcome (delivered, failed, dropped)",
            ["outcome"])
        self.webhook_attempts_failed = Counter(
            "berth_webhook_failed_attempts", "Single webhook POSTs that failed (each may be retried)")


@functools.cache
def _metrics() -> _Metrics:
    return _Metrics()


def share_between_processes(directory: Path) -> None:
    """Keep every metric in files under ``directory``, so that forked workers add up.

    Must run before the first metric is recorded: prometheus-client reads
    ``PROMETHEUS_MULTIPROC_DIR`` when it is imported, which is earlier than a
    configuration can say where the files go.
    """
    if _metrics.cache_info().currsize:
        raise RuntimeError("metrics were recorded before they were made shareable")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.get_value_class()


def shared_directory() -> Path | None:
    """Where the processes' metric files are, when they are shared."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path and values.ValueClass is not values.MutexValue else None


def worker_started() -> None:
    _metrics().workers.set_to_current_time()


# --- HTTP ---------------------------------------------------------------------------
def request_started() -> None:
    _metrics().http_in_flight.inc()


def request_ended() -> None:
    _metrics().http_in_flight.dec()


def request_answered(route: str, method: str, code: int, seconds: float, received: int, sent: int) -> None:
    m = _metrics()
    if method not in _METHODS:  # clients choose the method: any other word would be a new series
        method = "other"
    key = (route, method, code)
    children = m.http_children.get(key)
    if children is None:  # a label lookup costs more than the update itself; routes × methods × codes is small
        children = m.http_children[key] = (
            m.http_requests.labels(route, method, str(code)), m.http_duration.labels(route, method),
            m.http_received.labels(route, method), m.http_sent.labels(route, method))
    requests, duration, received_bytes, sent_bytes = children
    requests.inc()
    duration.observe(seconds)
    if received:
        received_bytes.inc(received)
    if sent:
        sent_bytes.inc(sent)


# --- storage ------------------------------------------------------------------------
def storage_operation(driver: str, operation: str, seconds: float, failed: bool) -> None:
    m = _metrics()
    m.storage_duration.labels(driver, operation).observe(seconds)
    if failed:
        m.storage_errors.labels(driver, operation).inc()


# --- auth ---------------------------------------------------------------------------
def token_issued(kind: str) -> None:
    _metrics().tokens_issued.labels(kind or "anonymous").inc()


def auth_failed(kind: str) -> None:
    """``kind``: password (a Basic login or token request), token (a Bearer token refused) or oidc
    (a browser sign-in the callback refused)."""
    _metrics().auth_failures.labels(kind).inc()


# --- uploads, batches, GC, webhooks -------------------------------------------------
def upload_started() -> None:
    _metrics().uploads_started.inc()


def upload_ended(outcome: str) -> None:
    """``outcome``: committed, cancelled, invalid (digest or quota) or purged (stale)."""
    _metrics().uploads_ended.labels(outcome).inc()


def batch_flushed(batch: str, events: int, ok: bool) -> None:
    m = _metrics()
    m.flushes.labels(batch, "ok" if ok else "failed").inc()
    if events:
        m.flushed_events.labels(batch).inc(events)


def gc_finished(blobs: int, freed: int, manifests: int) -> None:
    m = _metrics()
    m.gc_runs.labels("ok").inc()
    m.gc_deleted_blobs.inc(blobs)
    m.gc_freed_bytes.inc(freed)
    m.gc_deleted_manifests.inc(manifests)


def gc_failed() -> None:
    _metrics().gc_runs.labels("failed").inc()


def webhook_outcome(outcome: str) -> None:
    """``outcome``: delivered, failed (every attempt) or dropped (queue full)."""
    _metrics().webhook_deliveries.labels(outcome).inc()


def webhook_attempt_failed() -> None:
    _metrics().webhook_attempts_failed.inc()


# --- read at scrape time ------------------------------------------------------------
def registry_families(projects: Iterable[ProjectFigures], open_uploads: int) -> list[Metric]:
    """Harbor's project gauges (the names its exporter uses) and Berth's open uploads."""
    total = GaugeMetricFamily("harbor_project_total", "Projects, by visibility", labels=["public"])
    repos = GaugeMetricFamily("harbor_project_repo_total", "Repositories per project",
                              labels=["project_name", "public"])
    artifacts = GaugeMetricFamily("harbor_project_artifact_total", "Artifacts per project",
                                  labels=["project_name", "public"])
    pulls = GaugeMetricFamily("harbor_artifact_pulled", "Pulls counted per project", labels=["project_name"])
    used = GaugeMetricFamily("harbor_project_quota_usage_byte", "Storage a project uses, in bytes",
                             labels=["project_name"])
    hard = GaugeMetricFamily("harbor_project_quota_byte", "A project's storage limit in bytes (-1: none)",
                             labels=["project_name"])
    counts = {"true": 0, "false": 0}
    for p in projects:
        public = "true" if p.public else "false"
        counts[public] += 1
        repos.add_metric([p.name, public], p.repositories)
        artifacts.add_metric([p.name, public], p.artifacts)
        pulls.add_metric([p.name], p.pulls)
        used.add_metric([p.name], p.quota_used)
        hard.add_metric([p.name], p.quota_hard)
    for public, count in counts.items():
        total.add_metric([public], count)
    uploads = GaugeMetricFamily("berth_upload_sessions_open", "Blob upload sessions open in the registry",
                                value=open_uploads)
    return [total, repos, artifacts, pulls, used, hard, uploads]
