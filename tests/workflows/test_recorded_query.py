"""The `recorded` query (workflows/memo.py) answers on a closed run: Temporal replays the run's
history on a worker, so a terminated onboarding still says what it had bought."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowExecutionStatus

from activities import onboarding_activities
from sandbox.config import SandboxConfig
from tests.workflows.helpers import make_input, onboarding_worker, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import Step, bird_task_queue_for
from workflows.features import GENERATION
from workflows.inputs import PollSettings
from workflows.memo import Recorded
from workflows.onboarding import OnboardingWorkflow


async def test_a_terminated_onboarding_answers_the_recorded_query_with_its_state(dev_env):
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})
    async with sandbox_world(config) as world, onboarding_worker(dev_env.client, onboarding_activities(world.bird)) as queue:
        input = make_input(poll=PollSettings(min_seconds=60, max_seconds=600))
        input.bird_task_queue, input.generation = bird_task_queue_for(queue), GENERATION
        handle = await start(dev_env.client, input, queue)
        while (await status(handle)).step != Step.AWAIT_BRAND:
            await asyncio.sleep(0.05)
        before = await status(handle)
        await handle.terminate(reason="stopped by mistake")
        assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
        recorded = await handle.query(OnboardingWorkflow.recorded)

    assert isinstance(recorded, Recorded)
    assert recorded.ids == {"number": before.objects.number.id, "brand": before.objects.brand.id}
    assert set(recorded.scheduled) == {"number", "brand"}
    assert [c.kind for c in recorded.charges] == ["number", "brand"]
