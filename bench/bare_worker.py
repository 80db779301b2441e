"""`python -m bench.bare_worker`: a worker for the bare workflow, configured like `tendlc worker`
(the same environment names, connection, converter and concurrency settings), until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import timedelta

from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.bare_workflow import BARE_TASK_QUEUE, BareWorkflow, bare_step
from runtime.connection import connect
from runtime.settings import WorkerSettings
from worker.main import sandbox_restrictions
from workflows.claims import StockItemClaim

log = logging.getLogger("bench.bare_worker")


async def serve() -> None:
    settings = WorkerSettings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    client = await connect(settings)
    worker = Worker(
        client,
        task_queue=BARE_TASK_QUEUE,
        workflows=[BareWorkflow, StockItemClaim],  # the claims of the recording bare workflow
        activities=[bare_step],
        max_concurrent_activities=settings.tendlc_max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.tendlc_max_concurrent_workflow_tasks,
        # the rest as worker/main.py's build_worker sets them (its sandbox shares this module too)
        workflow_runner=SandboxedWorkflowRunner(restrictions=sandbox_restrictions().with_passthrough_modules("bench")),
        max_cached_workflows=settings.tendlc_max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=settings.tendlc_shutdown_grace_seconds),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.tendlc_sticky_schedule_to_start_seconds),
    )
    async with worker:
        log.info(
            "worker started: task_queue=%s max_activities=%d max_workflow_tasks=%d",
            BARE_TASK_QUEUE, settings.tendlc_max_concurrent_activities, settings.tendlc_max_concurrent_workflow_tasks,
        )  # fmt: skip
        await stop.wait()


if __name__ == "__main__":
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    asyncio.run(serve())
