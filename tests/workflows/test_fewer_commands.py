"""The `perf-fewer-commands` patch (workflows/recording.py): search attributes that change before
the workflow's next await go out in one upsert, and end where they did before the patch."""

from __future__ import annotations

import json
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from activities import onboarding_activities
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import HISTORIES, make_input, onboarding_worker, record_history, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import BRAND_ID, CAMPAIGN_ID, CONNECTOR_ID, ONBOARDING_ID, STEP, VETTING_ID, Step
from workflows.features import FEWER_COMMANDS_PATCH
from workflows.inputs import PollSettings

UPSERTED = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES


def _upserts(history_json: str) -> int:
    return sum(1 for e in json.loads(history_json)["events"] if e["eventType"] == "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES")


async def test_one_upsert_per_workflow_task_and_the_same_search_attributes_at_the_end(ts_env):
    async with sandbox_world(webhooks=True) as world, onboarding_worker(
        ts_env.client, onboarding_activities(world.bird)
    ) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        world.sink.handle = handle
        result = await handle.result()
        await record_history(handle, "fewer-commands-happy-path")
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
    assert FEWER_COMMANDS_PATCH in patches  # this run took the patched path
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


def _most_timers_at_once(events) -> int:
    open_timers, most = set(), 0
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            open_timers.add(e.timer_started_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            open_timers.discard(e.timer_fired_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            open_timers.discard(e.timer_canceled_event_attributes.timer_id)
        most = max(most, len(open_timers))
    return most


async def test_a_wait_runs_one_timer_at_a_time_and_its_deadline_ends_a_poll_round(ts_env):
    # Polls hourly at first, then ever rarer: the round that starts after the first hour would run
    # its retries for days, and the 2-day deadline ends it.
    bird = FakeBird()
    bird.decide("brand", "APPROVED", after=timedelta(days=400))
    poll = PollSettings(min_seconds=3600, max_seconds=4 * 86400)
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(poll=poll, deadlines={"brand_days": 2}), queue)
        await ts_env.sleep(timedelta(days=3))
        blocked = await status(handle)
        await handle.terminate("test over")
        await record_history(handle, "fewer-commands-brand-deadline")
        history = await handle.fetch_history()

    assert blocked.step == Step.NEEDS_ACTION and blocked.blocked is not None
    assert "the brand approval wait ran out" in blocked.blocked.reason
    assert _most_timers_at_once(history.events) == 1
    polls = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
             and e.activity_task_scheduled_event_attributes.activity_type.name == "poll_brand"]  # fmt: skip
    assert polls and polls[-1].activity_task_scheduled_event_attributes.schedule_to_close_timeout.ToTimedelta() < timedelta(days=2)
