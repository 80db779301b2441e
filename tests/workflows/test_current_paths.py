"""An onboarding started by today's code takes every patched path at once. Its history is recorded
here (TENDLC_RECORD_HISTORIES=1) so that the replay test holds today's code to the combination
too, not only to each patch beside the code that came before it."""

from __future__ import annotations

import json

from activities import onboarding_activities
from tests.workflows.helpers import make_input, onboarding_worker, record_history, start
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import Step, bird_task_queue_for

# Every workflow.patched() name in workflows/, as an onboarding started now records them.
PATCHES = (
    "wait-deadlines",
    "bird-get-wins",
    "fleet-ownership",
    "fleet-bird-task-queue",
    "operator-visibility",
    "perf-fewer-commands",
)


async def test_an_onboarding_started_today_takes_every_patched_path(ts_env):
    async with sandbox_world(webhooks=True) as world, onboarding_worker(
        ts_env.client, onboarding_activities(world.bird)
    ) as queue:
        input = make_input()
        input.bird_task_queue = bird_task_queue_for(queue)  # as `tendlc start` sets it
        handle = await start(ts_env.client, input, queue)
        world.sink.handle = handle
        result = await handle.result()
        await record_history(handle, "current-happy-path-events")
    assert result.step == Step.DONE
    history = await handle.fetch_history()
    markers = {
        json.loads(payload.data)["id"]
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    }
    assert set(PATCHES) <= markers, markers
