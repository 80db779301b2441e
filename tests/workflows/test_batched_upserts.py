"""The `perf-batched-upserts` patch (workflows/recording.py): search attributes that change before
the workflow's next await go out in one upsert, and end where they did before the patch."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType

from activities import onboarding_activities
from tests.workflows.helpers import HISTORIES, make_input, onboarding_worker, record_history, start
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import BRAND_ID, CAMPAIGN_ID, CONNECTOR_ID, ONBOARDING_ID, STEP, VETTING_ID, Step
from workflows.recording import BATCHED_UPSERTS_PATCH

UPSERTED = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES


def _upserts(history_json: str) -> int:
    return sum(1 for e in json.loads(history_json)["events"] if e["eventType"] == "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES")


async def test_one_upsert_per_workflow_task_and_the_same_search_attributes_at_the_end(ts_env):
    async with sandbox_world(webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            world.sink.handle = handle
            result = await handle.result()
            await record_history(handle, "batched-upserts-happy-path")
            history = await handle.fetch_history()
            described = await handle.describe()

    assert result.step == Step.DONE
    events = list(history.events)
    patches = [
        json.loads(p.data)["id"]
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for p in e.marker_recorded_event_attributes.details["patch-data"].payloads
    ]
    assert BATCHED_UPSERTS_PATCH in patches  # this run took the patched path
    # Between two workflow-task completions (one task's commands) at most one upsert of ours (the
    # SDK adds one of TemporalChangeVersion beside each patch marker).
    per_task, in_task = [], 0
    for e in events:
        fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        if e.event_type == UPSERTED and "TemporalChangeVersion" not in fields:
            in_task += 1
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            per_task.append(in_task)
            in_task = 0
    per_task.append(in_task)
    assert max(per_task) <= 1
    upserts = sum(per_task)
    # The same onboarding before the patch upserted 13 times (tests/histories/sandbox-happy-path-events.json);
    # now 10 or 11, as the events fall into tasks.
    assert upserts < _upserts((HISTORIES / "sandbox-happy-path-events.json").read_text())
    attrs = described.typed_search_attributes
    assert attrs.get(STEP) == Step.DONE.value
    assert attrs.get(ONBOARDING_ID) == result.onboarding_id
    for key in (BRAND_ID, VETTING_ID, CAMPAIGN_ID, CONNECTOR_ID):
        assert attrs.get(key), key.name
