"""The bare workflow of the throughput figure, alone and doing what an onboarding does for others
to see (a stock-item claim, the step upserted before each activity), on the dev server."""

import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.worker import Worker

from activities.claims import claim_id_for
from bench.bare_workflow import SHAPE, BareInput, BareWorkflow, bare_step
from workflows.claims import StockItemClaim


def counted(history, kind: int) -> int:
    return sum(1 for e in history.events if e.event_type == kind)


async def run_bare(client, **recording: bool):
    queue = f"bench-bare-test-{uuid.uuid4().hex[:8]}"
    name = f"bare-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[BareWorkflow, StockItemClaim], activities=[bare_step]):
        handle = await client.start_workflow(
            BareWorkflow.run, BareInput(name=name, wait_seconds=30, **recording), id=name, task_queue=queue
        )
        assert await handle.result() == sum(events for _, events in SHAPE)
        return handle, await handle.fetch_history()


async def test_the_bare_workflow_runs_the_onboardings_activities_and_records_nothing(dev_env):
    _, history = await run_bare(dev_env.client)
    assert counted(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == len(SHAPE)
    assert counted(history, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) == 0


async def test_claiming_and_upserting_it_adds_one_claim_and_one_upsert_per_step(dev_env):
    handle, history = await run_bare(dev_env.client, claim=True, upserts=True)
    assert counted(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == len(SHAPE)
    assert counted(history, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) == len(SHAPE)
    claim = await dev_env.client.get_workflow_handle(claim_id_for(f"bare-{handle.id}")).describe()
    assert claim.workflow_type == "StockItemClaim"
    assert (await claim.memo())["owner"] == handle.id
