"""The workflow with its real activities against the sandbox in-process, on the time-skipping
server: what Bird says, bills and refuses, and what the onboarding makes of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import RetryState

from activities import onboarding_activities
from activities.errors import BIRD_REJECTED
from sandbox.config import SandboxConfig
from sandbox.faults import Faults
from tests.workflows.helpers import make_input, onboarding_worker, readable_history, record_history, start, status
from tests.workflows.sandbox_world import ACCESS_KEY, sandbox_world
from workflows.contract import Step
from workflows.onboarding import OnboardingWorkflow

ONE_OF_EACH = {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
BILLABLE_CREATES = ("buy_numbers", "create_brand", "create_vetting", "create_campaign", "create_connector")


async def test_onboarding_on_events_alone_charges_once_each_and_keeps_the_key_out_of_history(ts_env):
    async with sandbox_world(webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            world.sink.handle = handle
            result = await handle.result()
            await record_history(handle, "sandbox-happy-path-events")
            final = await status(handle)
            history = await handle.fetch_history()
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert ledger == ONE_OF_EACH
    assert sorted(c.kind for c in final.charges) == sorted(ONE_OF_EACH)
    assert final.events_applied >= 4  # brand, vetting, campaign approvals and the channel
    assert final.objects.channel.id == result.channel_id is not None
    text = readable_history(history)
    assert "Acme Plumbing" in text  # payloads were decoded ...
    assert ACCESS_KEY not in text  # ... and the key is in none of them


async def test_onboarding_by_polling_alone(ts_env):
    async with sandbox_world(webhooks=False) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            result = await handle.result()
            final = await status(handle)
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert final.events_received == 0
    assert ledger == {"number": 1, "brand": 1, "campaign": 1, "connector": 1}


async def test_approval_held_for_weeks_then_given_by_an_operator_on_birds_side(ts_env):
    config = SandboxConfig.instant(scenario={"campaign": [{"outcome": "hold"}]})
    async with sandbox_world(config, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            world.sink.handle = handle
            await ts_env.sleep(timedelta(days=20))
            waiting = await status(handle)
            assert waiting.step == Step.AWAIT_CAMPAIGN and waiting.waiting is not None
            assert waiting.waiting.last_polled_status == "PENDING"
            await world.review("campaign", waiting.objects.campaign.id, "approve")
            result = await handle.result()
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert ledger == {"number": 1, "brand": 1, "campaign": 1, "connector": 1}


CASES = [
    ("brand", "reject", "REJECTED", Step.AWAIT_BRAND, "The EIN does not match the legal company name on record."),
    ("vetting", "expire", "EXPIRED", Step.VETTING, "The vetting result expired."),
    ("campaign", "decline", "DECLINED", Step.AWAIT_CAMPAIGN, "The sample messages do not match the campaign description."),
]  # fmt: skip


@pytest.mark.parametrize("webhooks", [True, False], ids=["by-event", "by-poll"])
@pytest.mark.parametrize(("kind", "outcome", "verdict", "step", "reason"), CASES, ids=[c[0] for c in CASES])
async def test_rejection_reads_birds_reason_and_stops_in_needs_action(ts_env, kind, outcome, verdict, step, reason, webhooks):
    config = SandboxConfig.instant(scenario={kind: [{"outcome": outcome}]})
    async with (
        sandbox_world(config, webhooks=webhooks) as world,
        onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue,
    ):
        handle = await start(ts_env.client, make_input(), queue)
        world.sink.handle = handle
        await ts_env.sleep(timedelta(days=2))
        blocked = await status(handle)
        await handle.terminate("test over")

    assert blocked.step == Step.NEEDS_ACTION
    assert blocked.blocked.step == step and blocked.blocked.status == verdict
    assert reason in blocked.blocked.reason
    assert reason in blocked.objects.get(blocked.blocked.kind).reason


async def test_a_422_from_bird_stops_the_step_at_once_with_birds_field_errors(ts_env):
    not_a_reseller = "0b0b0b0b-0000-4000-8000-000000000000"
    input = make_input("onboarding-no-vetting.json")
    input.campaign["resellerId"] = not_a_reseller
    async with sandbox_world() as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, input, queue)
            await ts_env.sleep(timedelta(days=1))
            blocked = await status(handle)
            history = await handle.fetch_history()
            await handle.terminate("test over")
        objects = await world.objects()
        ledger = await world.ledger_counts()

    assert blocked.step == Step.NEEDS_ACTION and blocked.blocked.step == Step.CREATE_CAMPAIGN
    error = blocked.last_error
    assert (error.operation, error.type, error.status) == ("create_campaign", BIRD_REJECTED, 422)
    assert "resellerId" in error.field_errors and not_a_reseller in error.field_errors["resellerId"][0]
    # one attempt: the activity was not retried
    scheduled = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    create = [e for e in scheduled if e.activity_task_scheduled_event_attributes.activity_type.name == "create_campaign"]
    assert len(create) == 1
    failed = [e for e in history.events if e.HasField("activity_task_failed_event_attributes")]
    assert [e.activity_task_failed_event_attributes.retry_state for e in failed] == [RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE]
    assert objects["campaigns"] == [] and "campaign" not in ledger
    assert ACCESS_KEY not in readable_history(history)


async def test_creates_that_commit_then_fail_are_found_not_repeated(ts_env):
    faults = Faults(
        routes={
            "buy_numbers": {"sequence": ["commit-then-500"]},
            "create_brand": {"sequence": ["commit-then-drop"]},
            "create_vetting": {"sequence": ["commit-then-502"]},
            "create_campaign": {"sequence": ["commit-then-503", "commit-then-drop"]},
            "create_connector": {"sequence": ["commit-then-drop"]},
        }
    )
    async with sandbox_world(SandboxConfig.instant(faults=faults), clock=ts_env.get_current_time) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            result = await handle.result()
            await record_history(handle, "sandbox-commit-then-fail")
            final = await status(handle)
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert ledger == ONE_OF_EACH
    # the onboarding knows these were found after a lost answer, not freshly created
    assert {c.kind for c in final.charges if c.matched_existing} == set(ONE_OF_EACH)


async def test_429_and_5xx_storms_delay_but_do_not_double_charge(ts_env):
    faults = {"seed": 7, "routes": {"*": {"rates": {"429": 0.3, "503": 0.2, "drop": 0.1}, "retryAfter": 2}}}
    async with sandbox_world(webhooks=True) as world:
        await world.put("faults", faults)
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            world.sink.handle = handle
            result = await handle.result()
            history = await handle.fetch_history()
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert ledger == ONE_OF_EACH
    started = [e.activity_task_started_event_attributes for e in history.events if e.HasField("activity_task_started_event_attributes")]
    assert max(a.attempt for a in started) > 1  # the storm was felt


async def test_status_query_answers_from_the_first_moment(ts_env):
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})
    async with (
        sandbox_world(config) as world,
        onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue,
    ):
        handle = await start(ts_env.client, make_input(), queue)
        first = await handle.query(OnboardingWorkflow.status)
        await ts_env.sleep(timedelta(hours=1))
        later = await status(handle)
        await handle.terminate("test over")

    assert first.onboarding_id == later.onboarding_id
    assert later.step == Step.AWAIT_BRAND
    assert later.objects.number.number_string.startswith("+1415")
    assert later.waiting.since <= later.updated_at
