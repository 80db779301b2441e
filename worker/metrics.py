"""The worker's Prometheus endpoint: the Temporal SDK's own metrics (task latencies, slots,
activity outcomes, ...) plus ours — Bird API calls by operation and outcome — on one port.

`tendlc_onboardings{step}` counts open onboardings at each step from Temporal's visibility.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError

from workflows.contract import STEP, TERMINAL_STEPS, Step

log = logging.getLogger("worker")

BIRD_CALLS = "tendlc_bird_api_calls"


def prometheus_runtime(port: int, host: str = "0.0.0.0") -> Runtime:
    """A Temporal runtime that serves every metric at http://HOST:PORT/metrics."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))


def bird_call_counter(runtime: Runtime) -> Callable[[str, str], None]:
    """A `BirdClient` observer counting calls as `tendlc_bird_api_calls{operation, outcome}`."""
    counter = runtime.metric_meter.create_counter(BIRD_CALLS, "Bird API calls by operation and outcome (HTTP status)")

    def observe(operation: str, outcome: str) -> None:
        counter.add(1, {"operation": operation, "outcome": outcome})

    return observe


ONBOARDINGS = "tendlc_onboardings"


async def export_step_counts(client: Client, runtime: Runtime, *, interval: float, stop: asyncio.Event) -> None:
    """Every `interval` seconds, set `tendlc_onboardings{step}` to how many open onboardings are at
    each step, counted by Temporal's visibility (the OnboardingStep search attribute). A gauge from
    the source of truth survives worker restarts, unlike counters kept in one process."""
    gauge = runtime.metric_meter.create_gauge(ONBOARDINGS, "Open onboardings at each step (from visibility)")
    while not stop.is_set():
        try:
            for step in Step:
                if step in TERMINAL_STEPS:
                    continue
                query = f"{STEP.name} = '{step.value}' AND ExecutionStatus = 'Running'"
                gauge.set((await client.count_workflows(query)).count, {"step": step.value})
        except RPCError as exc:
            log.warning("could not count onboardings by step: %s", exc.message)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
