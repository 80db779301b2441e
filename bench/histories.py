"""Figures read from workflow histories: events per run, the shape (activities, timers, signals),
and how long a decision took to turn into the next activity."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

# An approval, from a signal's decoded argument: the registry's decision that lets the flow go on.
IsDecision = Callable[[Any], bool]


@dataclass
class Shape:
    """One history, counted."""

    events: int = 0
    activities: int = 0
    timers: int = 0
    signals: int = 0
    upserts: int = 0
    memo_writes: int = 0  # WorkflowPropertiesModified: none since generation 4 (workflows/memo.py)
    # seconds from each decision's WorkflowExecutionSignaled to the ActivityTaskStarted of the first
    # activity scheduled after it
    decision_to_activity: list[float] = field(default_factory=list)


def _seconds(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


def _signal_argument(event: HistoryEvent) -> Any:
    payloads = event.workflow_execution_signaled_event_attributes.input.payloads
    try:
        return json.loads(payloads[0].data) if payloads else None
    except ValueError:
        return None


def shape_of(events: Iterable[HistoryEvent], is_decision: IsDecision) -> Shape:
    shape = Shape()
    started_at: dict[int, float] = {}  # scheduled event id -> when its activity started
    scheduled: list[tuple[int, int]] = []  # (event id, scheduled event id) in order
    decisions: list[tuple[int, float]] = []
    for event in events:
        shape.events += 1
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            shape.activities += 1
            scheduled.append((event.event_id, event.event_id))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            # Written when the attempt ends, but stamped with the time it started.
            started_at[event.activity_task_started_event_attributes.scheduled_event_id] = _seconds(event)
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            shape.timers += 1
        elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            shape.upserts += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
            shape.memo_writes += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            shape.signals += 1
            if is_decision(_signal_argument(event)):
                decisions.append((event.event_id, _seconds(event)))
    for signal_id, signalled_at in decisions:
        following = next((sched for event_id, sched in scheduled if event_id > signal_id), None)
        if following is not None and following in started_at:
            shape.decision_to_activity.append(started_at[following] - signalled_at)
    return shape


async def shapes(client: Client, workflow_ids: list[str], is_decision: IsDecision, parallel: int = 20) -> list[Shape]:
    """The shape of each workflow's latest run, fetched `parallel` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(workflow_id: str) -> Shape:
        async with gate:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            return shape_of(history.events, is_decision)

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def summary(found: list[Shape]) -> dict[str, Any]:
    """Means per workflow, the largest history, and the decision latencies over all of them."""
    n = max(len(found), 1)
    latencies = [x for s in found for x in s.decision_to_activity]
    return {
        "workflows": len(found),
        "events_mean": round(sum(s.events for s in found) / n, 1),
        "events_max": max((s.events for s in found), default=0),
        "activities_mean": round(sum(s.activities for s in found) / n, 2),
        "timers_mean": round(sum(s.timers for s in found) / n, 2),
        "signals_mean": round(sum(s.signals for s in found) / n, 2),
        "upserts_mean": round(sum(s.upserts for s in found) / n, 2),
        "memo_writes_mean": round(sum(s.memo_writes for s in found) / n, 2),
        "decision_samples": len(latencies),
        "decision_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "decision_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "decision_max_ms": round(max(latencies, default=0.0) * 1000, 1),
    }
