import uuid

from temporalio import workflow
from temporalio.worker import Worker

from workflows.contract import STEP


@workflow.defn
class _Probe:
    @workflow.run
    async def run(self) -> str:
        workflow.upsert_search_attributes([STEP.value_set("BUY_NUMBER")])
        return "ok"


async def test_time_skipping_server_runs_a_workflow_with_our_search_attributes(ts_env):
    q = f"tq-{uuid.uuid4()}"
    async with Worker(ts_env.client, task_queue=q, workflows=[_Probe]):
        assert await ts_env.client.execute_workflow(_Probe.run, id=f"wf-{uuid.uuid4()}", task_queue=q) == "ok"


async def test_dev_server_runs_a_workflow_with_our_search_attributes(dev_env):
    q = f"tq-{uuid.uuid4()}"
    async with Worker(dev_env.client, task_queue=q, workflows=[_Probe]):
        assert await dev_env.client.execute_workflow(_Probe.run, id=f"wf-{uuid.uuid4()}", task_queue=q) == "ok"
