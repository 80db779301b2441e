"""Nothing from outside wedges an onboarding: each event that once did, replayed against the sandbox
in-process on the time-skipping server. The onboarding keeps answering its status query and goes
on to DONE once Bird really decides; Bird's GET, not an event, is the truth about the present."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from activities import onboarding_activities
from sandbox.config import SandboxConfig
from tests.workflows.helpers import event, make_input, onboarding_worker, record_history, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import Step
from workflows.inputs import MAX_DEADLINE_DAYS, DeadlineDays
from workflows.onboarding import OnboardingWorkflow

NO_VETTING = {"number": 1, "brand": 1, "campaign": 1, "connector": 1}
HELD_BRAND = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})


async def _awaiting_brand(ts_env, handle) -> str:
    """Let the onboarding reach AWAIT_BRAND (the brand held PENDING by the sandbox); its brand id."""
    for _ in range(20):
        await ts_env.sleep(timedelta(seconds=30))
        current = await status(handle)
        if current.step == Step.AWAIT_BRAND and current.objects.brand.id:
            return current.objects.brand.id
    raise AssertionError(f"never reached AWAIT_BRAND: {current.step}")


async def _signal(handle, kind: str, object_id: str, status_: str, **payload: Any) -> None:
    await handle.signal(OnboardingWorkflow.bird_event, event(kind, object_id, status_, **payload))


async def test_events_with_odd_fields_are_dropped_and_the_onboarding_goes_on(ts_env):
    async with sandbox_world(HELD_BRAND, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            world.sink.handle = handle
            brand_id = await _awaiting_brand(ts_env, handle)
            # validly signed, but fields the workflow reads have the wrong type: each of these once
            # failed every workflow task after it (AttributeError, TypeError, a 500 at the relay)
            await _signal(handle, "brand", brand_id, "APPROVED", updatedAt=1764000000)
            await _signal(handle, "brand", brand_id, "APPROVED", updatedAt=["2026-11-30T10:00:00Z"])
            await _signal(handle, "brand", brand_id, "APPROVED", updatedAt="2026-11-30T10:00:00")
            await _signal(handle, "channel", "ch-1", "active", connectorId=12345)
            await ts_env.sleep(timedelta(minutes=5))
            odd = await status(handle)  # the query answers: the workflow task did not fail
            await world.review("brand", brand_id, "approve")
            result = await handle.result()
            await record_history(handle, "bird-get-wins-odd-events")
            final = await status(handle)
        ledger = await world.ledger_counts()

    assert odd.step == Step.AWAIT_BRAND and odd.objects.brand.status == "PENDING"
    assert odd.events_dropped == 4
    assert odd.last_drop_reason == "payload.connectorId: expected a string, got int"
    assert result.step == Step.DONE and final.blocked is None
    assert final.events_dropped == 4
    assert ledger == NO_VETTING


async def test_a_pending_event_dated_in_the_future_does_not_hide_the_real_approval(ts_env):
    async with sandbox_world(HELD_BRAND, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            world.sink.handle = handle
            brand_id = await _awaiting_brand(ts_env, handle)
            # years ahead of the workflow's clock (which the time-skipping server has moved on)
            future = (await status(handle)).updated_at + timedelta(days=4 * 365)
            await _signal(handle, "brand", brand_id, "PENDING", updatedAt=future.isoformat())
            await ts_env.sleep(timedelta(minutes=1))
            pending = await status(handle)
            await world.review("brand", brand_id, "approve")  # the webhook and the polls say APPROVED
            result = await handle.result()
        ledger = await world.ledger_counts()

    # the future time counted as the moment it arrived
    brand = pending.objects.brand
    assert brand.status == "PENDING" and brand.status_at is not None and brand.status_at <= brand.seen_at < future
    assert result.step == Step.DONE
    assert ledger == NO_VETTING


async def test_a_premature_approval_event_buys_nothing_until_bird_confirms_it(ts_env):
    async with sandbox_world(HELD_BRAND, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            world.sink.handle = handle
            brand_id = await _awaiting_brand(ts_env, handle)
            # an APPROVED event while Bird's GET still says PENDING
            await _signal(handle, "brand", brand_id, "APPROVED", updatedAt="2026-11-30T10:00:00Z")
            await ts_env.sleep(timedelta(hours=1))
            held = await status(handle)
            early_ledger = await world.ledger_counts()
            await world.review("brand", brand_id, "approve")
            result = await handle.result()
            await record_history(handle, "bird-get-wins-premature-approval")
        ledger = await world.ledger_counts()

    assert held.step == Step.AWAIT_BRAND and held.objects.brand.status == "PENDING"
    assert held.events_applied >= 1  # the event was taken, then corrected by the confirming GET
    assert "campaign" not in early_ledger  # nothing billable followed the unconfirmed approval
    assert result.step == Step.DONE
    assert ledger == NO_VETTING


# Slow: a year-long deadline makes the time-skipping server race through a year of timers while
# the webhook arrives, which now and then outlasts the test timeout on a loaded 2-core machine. The
# clamping itself is checked in the default suite by
# tests/intake/test_request.py::test_the_workflow_input_clamps_what_an_older_start_let_through.
@pytest.mark.slow
async def test_deadlines_an_older_start_let_through_are_clamped_and_the_onboarding_finishes(ts_env):
    # Before intake bounded them, `Infinity` and 1e9 days reached the workflow input: the first
    # could not be a timer, the second overflowed one after buying the number and brand.
    async with sandbox_world(HELD_BRAND, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            input = make_input("onboarding-no-vetting.json")
            unbounded = DeadlineDays.model_construct(brand=float("inf"), vetting=1e9, campaign=1e9, readiness=1e9)
            handle = await start(ts_env.client, input.model_copy(update={"deadlines": unbounded}), queue)
            world.sink.handle = handle
            brand_id = await _awaiting_brand(ts_env, handle)
            waiting = (await status(handle)).waiting
            await world.review("brand", brand_id, "approve")
            result = await handle.result()
            final = await status(handle)
        ledger = await world.ledger_counts()

    assert waiting is not None and waiting.deadline_at - waiting.since == timedelta(days=MAX_DEADLINE_DAYS)
    assert result.step == Step.DONE and final.blocked is None
    assert ledger == NO_VETTING
