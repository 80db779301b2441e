"""Bird activities on a task queue of their own (`OnboardingInput.bird_task_queue`), where the
worker's task-queue rate limit paces them; without it they stay on the workflow's queue."""

from __future__ import annotations

import uuid

from temporalio.worker import Worker

from activities.notify import NotifySettings, notify_activities
from tests.workflows.helpers import make_input, record_history, start
from tests.workflows.test_onboarding_flow import FULL_FLOW, approving
from workflows.contract import Step, bird_task_queue_for
from workflows.onboarding import OnboardingWorkflow


async def test_bird_activities_run_on_the_bird_queue_only(ts_env):
    bird = approving()
    task_queue = f"tq-{uuid.uuid4()}"
    input = make_input()
    input.bird_task_queue = bird_task_queue_for(task_queue)
    # The workflow's queue has no Bird activity at all (only notifications, which are not Bird
    # calls): the onboarding can only finish if every Bird call went to the Bird queue, whose worker
    # is rate limited as `tendlc worker` runs it.
    workflows = Worker(
        ts_env.client,
        task_queue=task_queue,
        workflows=[OnboardingWorkflow],
        activities=notify_activities(NotifySettings()),  # notifications off
    )
    activities = Worker(
        ts_env.client,
        task_queue=input.bird_task_queue,
        activities=bird.activities(),
        max_task_queue_activities_per_second=50,
    )
    async with workflows, activities:
        handle = await start(ts_env.client, input, task_queue)
        result = await handle.result()
        await record_history(handle, "fleet-bird-task-queue")
        final = await handle.query(OnboardingWorkflow.status)
    assert result.step == Step.DONE
    history = await handle.fetch_history()
    queues = {
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name != "notify"
    }
    assert queues == {input.bird_task_queue}
    assert [r.step for r in final.steps] == FULL_FLOW
    # Choosing a stock item starts new work: it waits behind every call of onboardings under way
    # (priority 5); every other Bird call keeps Temporal's default (0 on the wire: inherited, 3).
    priorities = {
        a.activity_type.name: a.priority.priority_key
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        for a in [e.activity_task_scheduled_event_attributes]
        if a.activity_type.name != "notify"
    }
    assert priorities.pop("choose_number") == 5
    assert set(priorities.values()) == {0}, priorities
