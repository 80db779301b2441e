"""An onboarding started by today's starter takes every patched path at once, from its generation
and without a patch marker; one started by older code (no generation in its input) still takes them
through `workflow.patched`, marker by marker. Both histories are recorded here
(TENDLC_RECORD_HISTORIES=1) so that the replay test holds today's code to the combination too, not
only to each patch beside the code that came before it."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from activities import onboarding_activities
from tests.workflows.helpers import make_input, onboarding_worker, properties_modified, record_history, start
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import Step, bird_task_queue_for
from workflows.features import GENERATION, GENERATION_ONLY, RECORD_BY_QUERY_PATCH, SINCE
from workflows.inputs import OnboardingInput

# Every workflow.patched() name in workflows/, as an onboarding started by older code records them.
PATCHES = (
    "wait-deadlines",
    "bird-get-wins",
    "fleet-ownership",
    "fleet-bird-task-queue",
    "operator-visibility",
    "perf-fewer-commands",
    "memo-once-per-task",
    "memo-connector-listed",
)


def patch_markers(history: WorkflowHistory) -> set[str]:
    return {
        json.loads(payload.data)["id"]
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    }


def started_with(history: WorkflowHistory) -> OnboardingInput:
    attributes = history.events[0].workflow_execution_started_event_attributes
    return OnboardingInput.model_validate_json(attributes.input.payloads[0].data)


async def happy_path(ts_env, generation: int | None, name: str) -> WorkflowHistory:
    async with sandbox_world(webhooks=True) as world, onboarding_worker(
        ts_env.client, onboarding_activities(world.bird)
    ) as queue:
        input = make_input()
        input.bird_task_queue = bird_task_queue_for(queue)  # as `tendlc start` sets it
        if generation is not None:
            input.generation = generation
        handle = await start(ts_env.client, input, queue)
        world.sink.handle = handle
        result = await handle.result()
        await record_history(handle, name)
    assert result.step == Step.DONE
    return await handle.fetch_history()


def test_every_patch_has_a_generation():
    # the changes decided by the generation alone are never asked of `workflow.patched`
    assert set(SINCE) == set(PATCHES) | GENERATION_ONLY and not GENERATION_ONLY & set(PATCHES)
    assert max(SINCE.values()) == GENERATION


async def test_an_onboarding_started_today_takes_every_patched_path_without_a_marker(ts_env):
    history = await happy_path(ts_env, GENERATION, "current-happy-path-events")
    assert started_with(history).generation == GENERATION
    assert patch_markers(history) == set()
    upserted = [
        key
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        for key in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert "TemporalChangeVersion" not in upserted, upserted


async def test_since_generation_4_an_onboarding_writes_no_memo_and_older_ones_still_do(ts_env):
    # What a new run after terminate needs is read by the `recorded` query (workflows/memo.py);
    # a run started with generation 3 keeps writing its memo, once per workflow task that changed it.
    assert SINCE[RECORD_BY_QUERY_PATCH] == 4
    older = await happy_path(ts_env, 3, "generation-3-happy-path-events")
    today = await happy_path(ts_env, GENERATION, "current-happy-path-events")
    for generation, history in ((3, older), (GENERATION, today)):  # shown with pytest -s
        print(f"happy path, generation {generation}: {len(history.events)} events, "
              f"{properties_modified(history)} memo writes (WorkflowPropertiesModified)")  # fmt: skip
    assert properties_modified(today) == 0
    assert properties_modified(older) > 0
    assert patch_markers(older) == set()  # decided by its generation, not by a marker


async def test_an_onboarding_started_by_older_code_takes_every_patched_path_by_its_markers(ts_env):
    history = await happy_path(ts_env, None, "generation-0-happy-path-events")
    assert started_with(history).generation == 0
    assert set(PATCHES) <= patch_markers(history), patch_markers(history)
