"""An onboarding started by today's starter takes every patched path at once, from its generation
and without a patch marker; one started by older code (no generation in its input) still takes them
through `workflow.patched`, marker by marker. Both histories are recorded here
(TENDLC_RECORD_HISTORIES=1) so that the replay test holds today's code to the combination too, not
only to each patch beside the code that came before it. Against the happy path generation 3
recorded (tests/histories/generation-3-happy-path-events.json), today's closes in the workflow task
that reached DONE (workflows/notify.py)."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from activities import onboarding_activities
from tests.workflows.helpers import HISTORIES, make_input, onboarding_worker, properties_modified, record_history, start
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import STEP, Step, bird_task_queue_for
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
    "notify-local-at-end",
)


def patch_markers(history: WorkflowHistory) -> set[str]:
    return {
        json.loads(payload.data)["id"]
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    }


def closing(history: WorkflowHistory) -> list:
    """The events after the workflow task that reached DONE (the task whose commands upsert the DONE
    step) up to the close. Whatever came before depends on how the sandbox's webhooks and the
    workflow's timers fell together in that run; this part does not."""
    events = list(history.events)
    done = max(i for i, e in enumerate(events) if upserted_step(e) == Step.DONE.value)
    done_task = max(
        e.event_id for e in events[:done] if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    return [e for e in history.events if e.event_id > done_task]


def upserted_step(event) -> str | None:
    if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return None
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    return json.loads(fields[STEP.name].data) if STEP.name in fields else None


def count(events: list, event_type: EventType.ValueType) -> int:
    return sum(1 for e in events if e.event_type == event_type)


def notify_activities_scheduled(events: list) -> int:
    return sum(
        1
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "notify"
    )


def started_with(history: WorkflowHistory) -> OnboardingInput:
    attributes = history.events[0].workflow_execution_started_event_attributes
    return OnboardingInput.model_validate_json(attributes.input.payloads[0].data)


async def happy_path(ts_env, generation: int | None, name: str | None = None) -> WorkflowHistory:
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
        if name is not None:
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
    # (not recorded: generation-3-happy-path-events is the run generation 3's code made, and
    # current-happy-path-events is recorded by the test above)
    older = await happy_path(ts_env, 3)
    today = await happy_path(ts_env, GENERATION)
    for generation, history in ((3, older), (GENERATION, today)):  # shown with pytest -s
        print(f"happy path, generation {generation}: {len(history.events)} events, "
              f"{properties_modified(history)} memo writes (WorkflowPropertiesModified)")  # fmt: skip
    assert properties_modified(today) == 0
    assert properties_modified(older) > 0
    # decided by its generation, not by a marker; generation 4's other change asks its marker
    assert patch_markers(older) == {p for p, g in SINCE.items() if g > 3 and p not in GENERATION_ONLY}


async def test_an_onboarding_started_by_older_code_takes_every_patched_path_by_its_markers(ts_env):
    history = await happy_path(ts_env, None, "generation-0-happy-path-events")
    assert started_with(history).generation == 0
    assert set(PATCHES) <= patch_markers(history), patch_markers(history)


async def test_with_no_receiver_the_run_closes_in_the_task_that_reached_done(ts_env):
    # TENDLC_NOTIFY_URL unset (the helpers' worker): the DONE notification's local attempt answers
    # "off", and nothing is scheduled after it.
    history = await happy_path(ts_env, GENERATION)
    before = WorkflowHistory.from_json("generation-3", (HISTORIES / "generation-3-happy-path-events.json").read_text())
    assert started_with(before).generation == 3
    now, then = closing(history), closing(before)
    TASKS, MARKER = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_MARKER_RECORDED

    assert notify_activities_scheduled(list(history.events)) == 0
    assert count(list(history.events), MARKER) == 1
    assert [e.event_type for e in now] == [
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        MARKER,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]
    assert now[1].marker_recorded_event_attributes.marker_name == "core_local_activity"
    # Generation 3 closed with the notify activity (scheduled, started, completed) and the workflow
    # task its completion woke (scheduled, started, completed); generation 4 with one marker.
    assert notify_activities_scheduled(then) == 1
    activity_events = sum(count(then, t) for t in (
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    ))  # fmt: skip
    task_events = sum(count(then, t) for t in (
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, TASKS,
    ))  # fmt: skip
    saved = activity_events + task_events - count(now, MARKER)
    assert (activity_events, task_events, saved) == (3, 3, 5)
    assert len(then) - len(now) == saved
    assert count(then, TASKS) - count(now, TASKS) == 1
