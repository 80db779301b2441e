"""The workflow's own logic on the time-skipping server, with Bird's activities replaced by name
(tests/workflows/fake_bird.py): step order, skips, waits, events, rejections, long waits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError

from activities.errors import BIRD_REJECTED, error_details
from tests.workflows.fake_bird import BRAND_ID, CAMPAIGN_ID, CHANNEL_ID, CONNECTOR_ID, NUMBER_ID, VETTING_ID, FakeBird
from tests.workflows.helpers import event, make_input, onboarding_worker, record_history, start, status
from workflows.contract import (
    BRAND_ID as BRAND_KEY,
    CAMPAIGN_ID as CAMPAIGN_KEY,
    CHANNEL_ID as CHANNEL_KEY,
    CONNECTOR_ID as CONNECTOR_KEY,
    ONBOARDING_ID as ONBOARDING_KEY,
    STEP as STEP_KEY,
    VETTING_ID as VETTING_KEY,
    Step,
)
from workflows.inputs import PollSettings
from workflows.onboarding import OnboardingWorkflow
from workflows.state import PreflightWarning

FULL_FLOW = [
    Step.BUY_NUMBER, Step.REGISTER_BRAND, Step.AWAIT_BRAND, Step.VETTING, Step.CREATE_CAMPAIGN,
    Step.AWAIT_CAMPAIGN, Step.INSTALL_CONNECTOR, Step.AWAIT_READY, Step.DONE,
]  # fmt: skip


def approving(**delays: timedelta) -> FakeBird:
    """Bird approves everything, each kind after its delay (default: an hour)."""
    bird = FakeBird()
    for kind, decision in (("brand", "APPROVED"), ("vetting", "APPROVED"), ("campaign", "APPROVED"), ("connector", "ok")):
        bird.decide(kind, decision, after=delays.get(kind, timedelta(hours=1)))
    return bird


async def test_happy_path_with_vetting_reaches_done_by_polling_alone(ts_env):
    bird = approving(brand=timedelta(days=2), campaign=timedelta(days=9))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        result = await handle.result()
        await record_history(handle, "happy-path-with-vetting")
        final = await status(handle)
        description = await handle.describe()

    assert result.step == Step.DONE
    assert (result.phone_number_id, result.brand_id, result.vetting_id) == (NUMBER_ID, BRAND_ID, VETTING_ID)
    assert (result.campaign_id, result.connector_id, result.channel_id) == (CAMPAIGN_ID, CONNECTOR_ID, CHANNEL_ID)
    assert [r.step for r in final.steps] == FULL_FLOW
    assert all(r.outcome == "done" for r in final.steps)
    # each billable create made once, and each charge recorded once
    for name in ("choose_number", "buy_number", "create_brand", "create_vetting", "create_campaign", "install_connector"):
        assert bird.calls[name] == 1, name
    assert sorted(c.kind for c in final.charges) == ["brand", "campaign", "connector", "number", "vetting"]
    number_charge = next(c for c in final.charges if c.kind == "number")
    assert (number_charge.amount, number_charge.currency, number_charge.recurring) == (1.15, "USD", True)
    # the backoff reaches six hours within a day: nine days take dozens of polls, not thousands
    assert 9 * 4 <= bird.calls["poll_campaign"] <= 10 + 9 * 4 + 2
    attributes = description.typed_search_attributes
    assert attributes.get(STEP_KEY) == "DONE"
    assert attributes.get(ONBOARDING_KEY) == final.onboarding_id
    assert attributes.get(BRAND_KEY) == BRAND_ID and attributes.get(VETTING_KEY) == VETTING_ID
    assert attributes.get(CAMPAIGN_KEY) == CAMPAIGN_ID and attributes.get(CONNECTOR_KEY) == CONNECTOR_ID
    assert attributes.get(CHANNEL_KEY) == CHANNEL_ID


async def test_without_vetting_the_step_is_skipped_and_nothing_is_vetted(ts_env):
    bird = approving()
    input = make_input("onboarding-no-vetting.json")
    input.warnings = [PreflightWarning(rule_id="BRAND_EMAIL_PUBLIC_DOMAIN", field="brand.email", message="public domain")]
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, input, queue)
        result = await handle.result()
        await record_history(handle, "happy-path-without-vetting")
        final = await status(handle)

    assert result.step == Step.DONE and result.vetting_id is None
    vetting = next(r for r in final.steps if r.step == Step.VETTING)
    assert vetting.outcome == "skipped"
    assert bird.calls["create_vetting"] == 0
    assert sorted(c.kind for c in final.charges) == ["brand", "campaign", "connector", "number"]
    assert [w.rule_id for w in final.warnings] == ["BRAND_EMAIL_PUBLIC_DOMAIN"]  # pre-flight warnings shown


async def test_existing_number_and_brand_are_used_not_bought(ts_env):
    bird = approving(brand=timedelta(0))
    existing = make_input(number={"phone_number_id": NUMBER_ID}, brand={"brand_id": BRAND_ID})
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, existing, queue)
        result = await handle.result()
        await record_history(handle, "existing-number-and-brand")
        final = await status(handle)

    assert result.step == Step.DONE
    assert (result.phone_number_id, result.brand_id) == (NUMBER_ID, BRAND_ID)
    outcomes = {r.step: r.outcome for r in final.steps}
    assert outcomes[Step.BUY_NUMBER] == "skipped" and outcomes[Step.REGISTER_BRAND] == "skipped"
    assert bird.calls["choose_number"] == bird.calls["buy_number"] == bird.calls["create_brand"] == 0
    assert bird.calls["get_brand"] == 1  # its status is read, not assumed
    assert sorted(c.kind for c in final.charges) == ["campaign", "connector", "vetting"]


async def test_approval_by_signal_needs_no_poll(ts_env):
    bird = approving()
    bird.status["brand"] = "PENDING"
    bird.decide("brand", "APPROVED", after=timedelta(days=365))  # polling would take a year
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(seconds=30))  # before the first poll (60 s)
        waiting = await status(handle)
        assert waiting.step == Step.AWAIT_BRAND
        assert waiting.waiting is not None and waiting.waiting.object_id == BRAND_ID
        bird.set_status("brand", "APPROVED")  # Bird approves, and says so by webhook
        await handle.signal(OnboardingWorkflow.bird_event, event("brand", BRAND_ID, "APPROVED"))
        result = await handle.result()
        await record_history(handle, "approval-by-signal")

    assert result.step == Step.DONE
    assert bird.calls["poll_brand"] == 0
    # the event's approval is confirmed by one GET before the campaign is bought
    assert bird.calls["get_brand"] == 1


async def test_events_duplicate_stale_or_for_others_change_nothing(ts_env):
    bird = approving(campaign=timedelta(days=400))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(days=1))
        assert (await status(handle)).step == Step.AWAIT_CAMPAIGN
        approved = event("campaign", CAMPAIGN_ID, "APPROVED", delivery_id="d-1", updatedAt="2025-03-28T10:00:00Z")
        stale = event("campaign", CAMPAIGN_ID, "PENDING", delivery_id="d-0", updatedAt="2025-03-27T09:01:30Z")
        stranger = event("campaign", "99999999-9999-4999-8999-999999999999", "REJECTED")
        bird.set_status("campaign", "APPROVED", updated_at="2025-03-28T10:00:00Z")  # what the event says
        # a stale PENDING, a repeated delivery and someone else's rejection arrive around the approval
        for e in (approved, approved, stale, stranger):
            await handle.signal(OnboardingWorkflow.bird_event, e)
        await ts_env.sleep(timedelta(hours=2))
        after = await status(handle)
        assert after.objects.campaign.status == "APPROVED"
        assert after.step in (Step.AWAIT_READY, Step.DONE)
        assert after.events_received == 4 and after.events_applied == 1
        # an older status without timestamps after a decided one is also ignored
        await handle.signal(OnboardingWorkflow.bird_event, event("campaign", CAMPAIGN_ID, "PENDING"))
        result = await handle.result()
        final = await status(handle)

    assert result.step == Step.DONE
    assert final.objects.campaign.status == "APPROVED"


async def test_channel_event_for_our_connector_makes_it_ready(ts_env):
    bird = approving(connector=timedelta(days=30))
    bird.channel_id = None  # Bird has not reported the channel on the connector yet
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(hours=6))
        assert (await status(handle)).step == Step.AWAIT_READY
        await handle.signal(
            OnboardingWorkflow.bird_event, event("channel", CHANNEL_ID, "active", connectorId=CONNECTOR_ID)
        )
        result = await handle.result()
        description = await handle.describe()

    assert result.step == Step.DONE and result.channel_id == CHANNEL_ID
    assert description.typed_search_attributes.get(CHANNEL_KEY) == CHANNEL_ID


REJECTIONS = [
    ("brand", "REJECTED", Step.AWAIT_BRAND),
    ("brand", "FAILED", Step.AWAIT_BRAND),
    ("vetting", "REJECTED", Step.VETTING),
    ("vetting", "EXPIRED", Step.VETTING),
    ("campaign", "DECLINED", Step.AWAIT_CAMPAIGN),
    ("campaign", "REJECTED", Step.AWAIT_CAMPAIGN),
    ("campaign", "FAILED", Step.AWAIT_CAMPAIGN),
]


@pytest.mark.parametrize("by_event", [False, True], ids=["by-poll", "by-event"])
@pytest.mark.parametrize(("kind", "verdict", "step"), REJECTIONS, ids=[f"{k}-{v}" for k, v, _ in REJECTIONS])
async def test_rejection_stops_in_needs_action_with_birds_reason(ts_env, kind, verdict, step, by_event):
    reason = f"TCR says no to this {kind} (code X-{verdict})"
    bird = approving()
    if by_event:
        bird.decide(kind, "PENDING", after=timedelta(days=365))  # polls keep seeing PENDING
    else:
        bird.decide(kind, verdict, after=timedelta(days=3), reason=reason)
    object_id = {"brand": BRAND_ID, "vetting": VETTING_ID, "campaign": CAMPAIGN_ID}[kind]
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(days=1))
        if by_event:
            assert (await status(handle)).step == step
            bird.set_status(kind, verdict, reason)  # what a GET now shows; the event carries no reason
            await handle.signal(OnboardingWorkflow.bird_event, event(kind, object_id, verdict))
        await ts_env.sleep(timedelta(days=5))
        blocked = await status(handle)
        if kind == "campaign" and verdict == "DECLINED" and not by_event:
            await record_history(handle, "campaign-declined")
        description = await handle.describe()
        await handle.terminate("test over")

    assert blocked.step == Step.NEEDS_ACTION
    assert blocked.blocked is not None
    assert blocked.blocked.step == step and blocked.blocked.kind == kind and blocked.blocked.status == verdict
    assert reason in blocked.blocked.reason
    assert blocked.objects.get(blocked.blocked.kind).reason == reason
    assert blocked.waiting is None
    assert blocked.steps[-1].step == step and blocked.steps[-1].outcome == "blocked"
    assert description.status == WorkflowExecutionStatus.RUNNING  # parked, not failed
    assert description.typed_search_attributes.get(STEP_KEY) == "NEEDS_ACTION"
    # nothing after the rejected step was attempted
    later = {"brand": "create_vetting", "vetting": "create_campaign", "campaign": "install_connector"}[kind]
    assert bird.calls[later] == 0


async def test_422_fails_the_step_at_once_with_the_field_errors(ts_env):
    bird = approving()
    field_errors = {"description": ["must describe the messages sent"], "samples": ["must mention the brand"]}
    bird.failures["create_campaign"] = ApplicationError(
        "create_campaign: HTTP 422 invalid_request: validation failed",
        error_details("create_campaign", status=422, code="invalid_request", field_errors=field_errors),
        type=BIRD_REJECTED,
        non_retryable=True,
    )
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(days=1))
        blocked = await status(handle)
        await record_history(handle, "campaign-refused-422")
        await handle.terminate("test over")

    assert bird.calls["create_campaign"] == 1  # no retry loop
    assert blocked.step == Step.NEEDS_ACTION
    error = blocked.last_error
    assert error is not None
    assert (error.step, error.operation, error.type, error.status) == (Step.CREATE_CAMPAIGN, "create_campaign", BIRD_REJECTED, 422)
    assert error.field_errors == field_errors
    assert "samples: must mention the brand" in blocked.blocked.reason
    assert {r.step: r.outcome for r in blocked.steps}[Step.CREATE_CAMPAIGN] == "blocked"


async def test_a_45_day_campaign_wait_stays_small_and_survives_continue_as_new(ts_env):
    bird = approving(campaign=timedelta(days=45))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(days=30))
        midway = await status(handle)
        result = await handle.result()
        final = await status(handle)
        first_run = ts_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
        await record_history(first_run, "campaign-45-days-first-run")
        await record_history(handle, "campaign-45-days-last-run")
        runs = await history_sizes(ts_env.client, handle.id, handle.first_execution_run_id)

    assert midway.step == Step.AWAIT_CAMPAIGN and midway.waiting is not None
    assert midway.run >= 2  # it continued as new, and the query still answers
    assert midway.objects.campaign.id == CAMPAIGN_ID and len(midway.charges) == 3
    assert result.step == Step.DONE
    assert final.run == len(runs) >= 2
    assert max(runs) < 1000, runs
    waited = next(r for r in final.steps if r.step == Step.AWAIT_CAMPAIGN)
    assert waited.ended_at - waited.started_at >= timedelta(days=45)
    # one record per step although the wait spanned several runs
    assert [r.step for r in final.steps].count(Step.AWAIT_CAMPAIGN) == 1


async def history_sizes(client, workflow_id: str, first_run_id: str | None) -> list[int]:
    """Events per run, following the chain of continue-as-new from the first run."""
    sizes, run_id = [], first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        sizes.append(len(history.events))
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return sizes


async def test_poll_settings_from_the_input_set_the_first_poll(ts_env):
    bird = approving(brand=timedelta(minutes=10))
    input = make_input("onboarding-no-vetting.json", poll=PollSettings(min_seconds=600, max_seconds=3600))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, input, queue)
        await ts_env.sleep(timedelta(minutes=5))
        assert bird.calls["poll_brand"] == 0
        result = await handle.result()
    assert result.step == Step.DONE
    assert bird.calls["poll_brand"] == 1
