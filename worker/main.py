"""Running the worker: settings → Temporal client and one BirdClient → two Workers, until SIGTERM/SIGINT.

The workflows run on `TENDLC_TASK_QUEUE`; their Bird activities on a queue of their own,
`<TENDLC_TASK_QUEUE>-bird`, whose task-queue rate limit Temporal's matching service enforces for
every worker together: the pattern Temporal documents for a downstream quota. Bird's quota is per
organization, so a second worker shares the rate rather than doubling it. A 429 is still honoured
(activities/errors.py waits Retry-After).

One BirdClient (one connection pool, one access key) per process, shared by every activity. The key
lives only in that client's headers: activities receive ids and bodies, never credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import onboarding_activities
from activities.claims import TemporalStockClaims
from activities.notify import NotifySettings, notify_activities
from bird.client import BirdClient
from runtime.connection import connect
from runtime.settings import TemporalSettings, WorkerSettings
from worker.metrics import bird_call_counter, export_step_counts, prometheus_runtime
from workflows.claims import StockItemClaim
from workflows.onboarding import OnboardingWorkflow

log = logging.getLogger("worker")


class WorkerConfigError(ValueError):
    """The worker cannot start as configured; the message names the setting to fix."""


# Modules the sandbox shares between workflow runs instead of importing afresh for each: our own
# deterministic code with no module state that a run could change (the workflow package, the
# Bird models and event parsing, the activities' argument and result models). Everything else
# imported by a workflow stays inside the sandbox's restrictions.
SHARED_MODULES = ("workflows", "bird", "activities")


def sandbox_restrictions() -> SandboxRestrictions:
    """The SDK's default restrictions, our shared modules passed through. The tests' workers keep the
    full sandbox, so a non-deterministic call in workflow code still fails there."""
    return SandboxRestrictions.default.with_passthrough_modules(*SHARED_MODULES)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=sandbox_restrictions())


def build_worker(client: Client, bird: BirdClient, *, task_queue: str, settings: WorkerSettings) -> Worker:
    """The onboarding workflows and the stock-item claims their `choose_number` starts (both on
    `task_queue`), and the activities of onboardings started before the Bird queue existed."""
    activities = onboarding_activities(bird, TemporalStockClaims(client, task_queue))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[OnboardingWorkflow, StockItemClaim],
        activities=[*activities, *notify_activities(notify_settings(settings))],
        workflow_runner=workflow_runner(),
        max_cached_workflows=settings.tendlc_max_cached_workflows,
        max_concurrent_activities=settings.tendlc_max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.tendlc_max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=settings.tendlc_shutdown_grace_seconds),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.tendlc_sticky_schedule_to_start_seconds),
    )


# The share of TENDLC_BIRD_RATE_LIMIT the Bird queue admits, in activities per second. Every Bird
# activity makes one request when nothing goes wrong (a GET, a first-attempt create, one page of
# stock, a connector's readiness; each poll of a round is an attempt of its own, dispatched through
# the same limit), so activities per second are requests per second. The tenth left over absorbs
# requests that reach Bird together although Temporal dispatched them apart, and the rare activity
# that makes two (a retried create's list page and POST, a connector linked before its channel's
# event). What still meets Bird's limit is answered 429 and sent again after Retry-After, without
# listing first (activities/base.py): one request more.
BIRD_RATE_SHARE = 0.9


def bird_activities_per_second(settings: WorkerSettings) -> float:
    return settings.tendlc_bird_rate_limit * BIRD_RATE_SHARE


def build_bird_worker(client: Client, bird: BirdClient, *, settings: WorkerSettings) -> Worker:
    """The Bird activities on their own queue, paced for all workers together. (The workflow queue's
    worker keeps them too, for onboardings started before this queue existed.)"""
    return Worker(
        client,
        task_queue=settings.bird_task_queue,
        # claims run as workflows on the workflow queue, where build_worker's worker serves them
        activities=onboarding_activities(bird, TemporalStockClaims(client, settings.tendlc_task_queue)),
        max_concurrent_activities=settings.tendlc_max_concurrent_activities,
        max_task_queue_activities_per_second=bird_activities_per_second(settings),
        graceful_shutdown_timeout=timedelta(seconds=settings.tendlc_shutdown_grace_seconds),
    )


def notify_settings(settings: WorkerSettings) -> NotifySettings:
    """What the notify activity needs of the worker's settings (the secret stays in this process)."""
    secret = settings.tendlc_notify_secret
    return NotifySettings(
        url=settings.tendlc_notify_url,
        secret=secret.get_secret_value() if secret is not None else None,
        ui_url=settings.temporal_ui_url,
        namespace=settings.temporal_namespace,
        timeout_seconds=settings.tendlc_notify_timeout_seconds,
    )


async def connect_until(temporal: TemporalSettings, stop: asyncio.Event, runtime: Runtime | None = None) -> Client | None:
    """Connect, retrying while Temporal is not up yet (a compose stack starts in any order)."""
    delay = 1.0
    while not stop.is_set():
        try:
            return await connect(temporal, runtime=runtime)
        except Exception as exc:  # noqa: BLE001 - any connection failure means "try again"
            log.warning("Temporal at %s not reachable (%s); retrying in %.0fs", temporal.temporal_address, type(exc).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 15.0)
    return None


@contextlib.asynccontextmanager
async def _exporting(
    client: Client, runtime: Runtime | None, settings: WorkerSettings, stop: asyncio.Event
) -> AsyncIterator[None]:
    """While the worker runs, keep the per-step gauge current (only when metrics are on)."""
    if runtime is None:
        yield
        return
    task = asyncio.create_task(export_step_counts(client, runtime, interval=settings.tendlc_metrics_interval_seconds, stop=stop))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def serve(settings: WorkerSettings, *, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set, by default on SIGTERM or SIGINT; in-flight activities get a grace period."""
    if settings.bird_access_key is None or not settings.bird_access_key.get_secret_value():
        raise WorkerConfigError("BIRD_ACCESS_KEY is not set: the worker cannot call Bird")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        runtime, observer = None, None
        if settings.tendlc_metrics_port:
            runtime = prometheus_runtime(settings.tendlc_metrics_port, settings.tendlc_metrics_host)
            observer = bird_call_counter(runtime)
            log.info("metrics on http://%s:%d/metrics", settings.tendlc_metrics_host, settings.tendlc_metrics_port)
        client = await connect_until(settings, stop, runtime)
        if client is None:
            return
        async with settings.bird_client(observer=observer) as bird:
            worker = build_worker(client, bird, task_queue=settings.tendlc_task_queue, settings=settings)
            bird_worker = build_bird_worker(client, bird, settings=settings)
            async with worker, bird_worker, _exporting(client, runtime, settings, stop):
                log.info(
                    "worker started: task_queue=%s bird_task_queue=%s bird_rate_limit=%g/s namespace=%s temporal=%s bird=%s max_activities=%d max_workflow_tasks=%d",
                    settings.tendlc_task_queue, settings.bird_task_queue, settings.tendlc_bird_rate_limit,
                    settings.temporal_namespace, settings.temporal_address,
                    settings.bird_api_base_url, settings.tendlc_max_concurrent_activities,
                    settings.tendlc_max_concurrent_workflow_tasks,
                )  # fmt: skip
                await stop.wait()
                log.info("stopping: activities in flight get %.0fs to finish", settings.tendlc_shutdown_grace_seconds)
        log.info("worker stopped")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
