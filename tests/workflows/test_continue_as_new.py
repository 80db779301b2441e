"""Continue-as-new when the server suggests it: a dev server whose suggestion threshold is lowered
to a few dozen events, and a flood of events, while waiting and while parked in NEEDS_ACTION."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from starter.start import earlier_record, start_workflow
from tests.temporal_env import start_dev_server
from tests.workflows.fake_bird import BRAND_ID, CAMPAIGN_ID, FakeBird
from tests.workflows.helpers import event, make_input, onboarding_worker, record_history, start, status
from workflows.contract import Step
from workflows.inputs import PollSettings
from workflows.memo import MEMO_KEY
from workflows.onboarding import OnboardingWorkflow
from workflows.state import PreflightWarning

SUGGEST_AFTER = 60  # events
NO_POLLS = PollSettings(min_seconds=10**6, max_seconds=10**6)


@pytest.fixture(scope="module")
async def small_history_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}"
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def flood(handle, count: int) -> None:
    """Events that change nothing (someone else's brand) but each adds to the history."""
    for _ in range(count):
        await handle.signal(OnboardingWorkflow.bird_event, event("brand", str(uuid.uuid4()), "APPROVED"))


async def wait_for(handle, check, timeout: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status(handle)
        if check(current):
            return current
        assert asyncio.get_running_loop().time() < deadline, current
        await asyncio.sleep(0.1)


async def test_a_wait_continues_as_new_when_suggested_and_the_state_survives(small_history_env):
    env = small_history_env
    bird = FakeBird(brand="APPROVED", vetting="APPROVED", connector="ok")  # the campaign stays PENDING
    async with onboarding_worker(env.client, bird.activities()) as queue:
        handle = await start(env.client, make_input("onboarding-no-vetting.json", poll=NO_POLLS), queue)
        await wait_for(handle, lambda s: s.step == Step.AWAIT_CAMPAIGN)
        await flood(handle, SUGGEST_AFTER)
        moved = await wait_for(handle, lambda s: s.run >= 2)
        assert moved.step == Step.AWAIT_CAMPAIGN and moved.objects.campaign.id == CAMPAIGN_ID
        assert moved.waiting is not None and moved.waiting.object_id == CAMPAIGN_ID
        assert len(moved.charges) == 3 and moved.events_received >= SUGGEST_AFTER
        bird.set_status("campaign", "APPROVED")  # Bird approves, and says so by webhook
        await handle.signal(OnboardingWorkflow.bird_event, event("campaign", CAMPAIGN_ID, "APPROVED"))
        result = await handle.result()
    assert result.step == Step.DONE
    assert bird.calls["create_campaign"] == 1 and bird.calls["buy_number"] == 1


async def test_parked_in_needs_action_it_continues_as_new_and_stays_parked(small_history_env):
    env = small_history_env
    bird = FakeBird(vetting="APPROVED", campaign="APPROVED", connector="ok")
    bird.set_status("brand", "REJECTED", "EIN does not match")
    async with onboarding_worker(env.client, bird.activities()) as queue:
        handle = await start(env.client, make_input(poll=NO_POLLS), queue)
        blocked = await wait_for(handle, lambda s: s.step == Step.NEEDS_ACTION)
        await flood(handle, SUGGEST_AFTER)
        after = await wait_for(handle, lambda s: s.run >= 2)
        await handle.terminate("test over")
    assert blocked.blocked.reason == after.blocked.reason == f"brand {BRAND_ID} is REJECTED: EIN does not match"
    assert after.step == Step.NEEDS_ACTION
    assert bird.calls["get_brand"] == 1  # the reason was read once, not again by the new run


async def test_since_generation_4_the_latest_run_alone_answers_what_all_runs_recorded(small_history_env):
    # No memo is carried across continue-as-new any more: the state travels in the input, so the
    # `recorded` query of the latest run, terminated here, has what the first one bought.
    env = small_history_env
    bird = FakeBird(vetting="APPROVED", campaign="APPROVED", connector="ok")
    bird.set_status("brand", "REJECTED", "EIN does not match")
    async with onboarding_worker(env.client, bird.activities()) as queue:
        input = make_input(poll=NO_POLLS)
        input.warnings = [PreflightWarning(rule_id="BRAND_EMAIL_PUBLIC_DOMAIN", field="brand.email", message="m")]
        handle = await start_workflow(env.client, input, task_queue=queue)  # as `tendlc start`: generation 4
        await wait_for(handle, lambda s: s.step == Step.NEEDS_ACTION)
        await flood(handle, SUGGEST_AFTER)
        after = await wait_for(handle, lambda s: s.run >= 2)
        first_run = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        await record_history(first_run, "generation-4-continued-as-new")  # ends passing on no memo
        await handle.terminate("stopped by mistake")
        latest = await handle.describe()
        # as `tendlc start` reads it: the latest run's query, or, when the flood's last
        # continue-as-new made a run that was terminated before its first task, that run's input
        recorded = await earlier_record(env.client, handle.id)
    assert recorded is not None
    assert latest.run_id != handle.result_run_id and MEMO_KEY not in await latest.memo()
    # the start's memo (what `tendlc status` shows without a worker) comes along unchanged
    assert [w["rule_id"] for w in await latest.memo_value("warnings")] == ["BRAND_EMAIL_PUBLIC_DOMAIN"]
    assert recorded.ids == {"number": after.objects.number.id, "brand": BRAND_ID}
    assert set(recorded.scheduled) == {"number", "brand"}
    assert [c.kind for c in recorded.charges] == ["number", "brand"]
