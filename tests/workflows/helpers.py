"""Shared pieces of the workflow tests: inputs from the example requests, a worker per test."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.notify import NotifySettings, notify_activities
from intake.inputs import onboarding_input
from intake.request import parse_request
from workflows.claims import StockItemClaim
from workflows.contract import BirdEvent, bird_task_queue_for
from workflows.failures import REFUSED
from workflows.inputs import OnboardingInput, PollSettings
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HISTORIES = ROOT / "tests" / "histories"
WORKSPACE_ID = "5a4d0b1e-0000-4000-8000-000000000002"
ORGANIZATION_ID = "5a4d0b1e-0000-4000-8000-000000000001"


def request_data(example: str = "onboarding.json", **changes: Any) -> dict[str, Any]:
    data = json.loads((EXAMPLES / example).read_text())
    data["onboarding_id"] = f"{data['onboarding_id']}-{uuid.uuid4().hex[:8]}"
    data.update(changes)
    return data


def make_input(
    example: str = "onboarding.json",
    *,
    poll: PollSettings | None = None,
    workspace_id: str = WORKSPACE_ID,
    organization_id: str = ORGANIZATION_ID,
    **changes: Any,
) -> OnboardingInput:
    request = parse_request(request_data(example, **changes))
    return onboarding_input(
        request, workspace_id=workspace_id, organization_id=organization_id, poll=poll or PollSettings()
    )


def new_task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@asynccontextmanager
async def onboarding_worker(
    client: Client, activities: Sequence[Callable[..., Any]], task_queue: str | None = None
) -> AsyncIterator[str]:
    """A worker on a fresh task queue (`task_queue`, or a new name), serving the onboardings and
    their stock-item claims, and one on its Bird queue as `tendlc worker` runs (where `tendlc start`
    sends the Bird activities); yields the queue's name."""
    task_queue = task_queue or new_task_queue()
    registered = list(activities)
    if not any(getattr(a, "__name__", "") == "notify" for a in registered):
        registered += notify_activities(NotifySettings())  # notifications off
    async with (
        Worker(client, task_queue=task_queue, workflows=[OnboardingWorkflow, StockItemClaim], activities=registered),
        Worker(client, task_queue=bird_task_queue_for(task_queue), activities=list(activities)),
    ):
        yield task_queue


async def start(client: Client, input: OnboardingInput, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(
        OnboardingWorkflow.run, input, id=f"onboarding-{input.onboarding_id}", task_queue=task_queue
    )


async def status(handle: WorkflowHandle) -> OnboardingStatus:
    return await handle.query(OnboardingWorkflow.status)


async def refusal(handle: WorkflowHandle, update: Any, arg: Any, kind: str = REFUSED) -> ApplicationError:
    """The Update fails; with REFUSED it was refused by the validator (nothing reached history)."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    return cause


def event(kind: str, object_id: str, status: str, *, delivery_id: str | None = None, **payload: Any) -> BirdEvent:
    """A `bird_event` as the relay sends it, for the 10DLC and channel events we follow."""
    service, name = {
        "brand": ("numbers", "10dlc.brand"),
        "campaign": ("numbers", "10dlc.campaign"),
        "vetting": ("numbers", "10dlc.vetting"),
        "channel": ("channels", "channel.updated"),
    }[kind]
    body = {"ID": object_id, "Status": status} if kind == "vetting" else {"id": object_id, "status": status}
    return BirdEvent(
        service=service, event=name, payload={**body, **payload}, delivery_id=delivery_id or uuid.uuid4().hex
    )


def readable_history(history: WorkflowHistory) -> str:
    """The history as JSON plus every payload decoded: payload data is base64 in the JSON, so a
    secret searched for in the raw text alone could hide there."""
    raw = history.to_json()
    decoded: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    decoded.append(base64.b64decode(value).decode("utf-8", "replace"))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(raw))
    return raw + "\n" + "\n".join(decoded)


def properties_modified(history: WorkflowHistory) -> int:
    """The history's memo writes (`WorkflowPropertiesModified` events)."""
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED for e in history.events)


async def record_history(handle: WorkflowHandle, name: str) -> None:
    """With TENDLC_RECORD_HISTORIES=1, keep the handle's run (the latest, unless the handle names
    one) for the replay test: tests/histories/NAME.json."""
    if os.environ.get("TENDLC_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())
