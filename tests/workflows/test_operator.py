"""A person's actions on the time-skipping server: `resubmit_campaign`, `resubmit_brand` and
`cancel` (workflows/actions.py), with the real activities against the sandbox in-process where
what Bird bills matters, and the in-memory fake where only the workflow's own logic does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from activities import onboarding_activities
from sandbox.config import SandboxConfig
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import make_input, onboarding_worker, record_history, refusal, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.action_plans import (
    check_cancel,
    check_extension,
    mark_cancelled,
    plan_brand_resubmission,
    plan_campaign_resubmission,
    still_billed,
)
from workflows.contract import CAMPAIGN_ID as CAMPAIGN_KEY, STEP as STEP_KEY, Step
from workflows.failures import ACTION_FAILED, REFUSED
from workflows.kinds import Kind
from workflows.messages import CancelOnboarding, ExtendDeadline, ResubmitBrand, ResubmitCampaign
from workflows.onboarding import OnboardingWorkflow
from workflows.state import Blocker, OnboardingState

DECLINE_REASON = {"description": "The samples do not show the opt-out wording", "code": "CMP-77"}
FIXED_DESCRIPTION = (
    "Acme Plumbing texts appointment confirmations, technician arrival windows and job completion "
    "notices to customers who booked a visit and agreed to receive them."
)
NOT_A_RESELLER = "0b0b0b0b-0000-4000-8000-000000000000"


async def accepted_updates(handle: WorkflowHandle) -> list[str]:
    """The names of the Updates the workflow accepted, from its history."""
    history = await handle.fetch_history()
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


async def until(handle: WorkflowHandle, check, timeout: float = 10.0):
    """Query until `check(status)` holds (real seconds: for activities the test holds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status(handle)
        if check(current):
            return current
        assert asyncio.get_running_loop().time() < deadline, current
        await asyncio.sleep(0.05)


# -- resubmitting a campaign ----------------------------------------------------------------------


async def test_a_declined_campaign_is_corrected_resubmitted_and_approved(ts_env):
    config = SandboxConfig.instant(scenario={"campaign": [{"outcome": "decline", "reason": DECLINE_REASON}, {"outcome": "approve"}]})
    async with sandbox_world(config) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            await ts_env.sleep(timedelta(days=2))
            blocked = await status(handle)
            assert blocked.step == Step.NEEDS_ACTION and blocked.blocked.status == "DECLINED"
            assert DECLINE_REASON["description"] in blocked.blocked.reason
            campaign_id = blocked.objects.campaign.id

            done = await handle.execute_update(
                OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(changes={"description": FIXED_DESCRIPTION})
            )
            after = await status(handle)
            result = await handle.result()
            await record_history(handle, "campaign-declined-resubmitted")
            final = await status(handle)
        stored = next(c for c in (await world.objects())["campaigns"] if c["id"] == campaign_id)
        ledger = await world.ledger_counts()

    assert (done.action, done.step, done.object_id, done.replaced_id) == ("resubmit_campaign", Step.AWAIT_CAMPAIGN, campaign_id, None)
    assert "description" in done.done
    assert after.step == Step.AWAIT_CAMPAIGN and after.blocked is None
    assert after.objects.campaign.status == "PENDING" and after.objects.campaign.reason is None
    assert result.step == Step.DONE and result.campaign_id == campaign_id
    assert stored["description"] == FIXED_DESCRIPTION and stored["status"] == "APPROVED"
    assert ledger["campaign"] == 1  # a resubmission is not a new registration
    awaits = [r for r in final.steps if r.step == Step.AWAIT_CAMPAIGN]
    assert [r.outcome for r in awaits] == ["blocked", "done"]
    assert "resubmitted" in awaits[1].note
    assert [(a.action, a.object_id) for a in final.actions] == [("resubmit_campaign", campaign_id)]


async def test_a_rejected_campaign_is_replaced_only_with_the_new_fee_confirmed(ts_env):
    config = SandboxConfig.instant(
        scenario={"overrides": [{"kind": "campaign", "count": 1, "reviews": {"outcome": "reject"}}]}
    )
    async with sandbox_world(config) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
            await ts_env.sleep(timedelta(days=2))
            blocked = await status(handle)
            assert blocked.blocked.status == "REJECTED"
            old_id = blocked.objects.campaign.id
            before = await world.ledger_counts()

            refused = await refusal(handle, OnboardingWorkflow.resubmit_campaign, ResubmitCampaign())
            assert "REJECTED" in refused.message and "confirm_new_fee" in refused.message
            assert await world.ledger_counts() == before  # nothing was created or billed

            # the same name: the new campaign must not be "found" as the rejected one
            done = await handle.execute_update(
                OnboardingWorkflow.resubmit_campaign,
                ResubmitCampaign(changes={"description": FIXED_DESCRIPTION}, confirm_new_fee=True),
            )
            result = await handle.result()
            final = await status(handle)
            description = await handle.describe()
            accepted = await accepted_updates(handle)
        ledger = await world.ledger_counts()
        objects = await world.objects()

    new_id = done.object_id
    assert new_id and new_id != old_id and done.replaced_id == old_id and done.step == Step.AWAIT_CAMPAIGN
    assert ledger["campaign"] == before["campaign"] + 1 == 2  # exactly one extra charge
    assert result.step == Step.DONE and result.campaign_id == new_id
    assert description.typed_search_attributes.get(CAMPAIGN_KEY) == new_id
    connector = objects["connectors"][0]
    assert connector["arguments"]["useCaseId"] == new_id
    # the old id stays in the status history, and both campaigns are listed as billed
    assert [(a.object_id, a.replaced_id) for a in final.actions] == [(new_id, old_id)]
    assert any(r.step == Step.CREATE_CAMPAIGN and old_id in r.note and new_id in r.note for r in final.steps)
    assert {c.object_id for c in final.charges if c.kind == "campaign"} == {old_id, new_id}
    assert accepted == ["resubmit_campaign"]  # the refused one left no trace


async def test_a_create_bird_refused_is_corrected_and_tried_again(ts_env):
    input = make_input("onboarding-no-vetting.json")
    input.campaign["resellerId"] = NOT_A_RESELLER
    async with sandbox_world() as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, input, queue)
            await ts_env.sleep(timedelta(days=1))
            blocked = await status(handle)
            assert blocked.blocked.step == Step.CREATE_CAMPAIGN and blocked.objects.campaign.id is None
            # `null` removes the optional field
            done = await handle.execute_update(OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(changes={"resellerId": None}))
            result = await handle.result()
        ledger = await world.ledger_counts()

    assert done.step == Step.CREATE_CAMPAIGN and done.object_id is None
    assert result.step == Step.DONE
    assert ledger == {"number": 1, "brand": 1, "campaign": 1, "connector": 1}


async def test_campaign_changes_that_do_not_fit_are_refused_naming_each_field(ts_env):
    config = SandboxConfig.instant(scenario={"campaign": [{"outcome": "decline"}, {"outcome": "approve"}]})
    async with (
        sandbox_world(config) as world,
        onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue,
    ):
        handle = await start(ts_env.client, make_input("onboarding-no-vetting.json"), queue)
        await ts_env.sleep(timedelta(days=2))
        assert (await status(handle)).blocked.status == "DECLINED"

        bad = ResubmitCampaign(changes={"description": "too short", "notAField": True, "samples": []})
        cause = await refusal(handle, OnboardingWorkflow.resubmit_campaign, bad)
        assert set(cause.details[0]["field_errors"]) == {"description", "notAField", "samples"}
        for name in ("description", "notAField", "samples"):
            assert name in cause.message
        # each change is valid, but the campaign without its samples would not be
        cause = await refusal(handle, OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(changes={"samples": None}))
        assert "would be invalid" in cause.message and "samples" in cause.details[0]["field_errors"]
        cause = await refusal(handle, OnboardingWorkflow.resubmit_brand, ResubmitBrand(changes={"ein": "987654321"}))
        assert "no brand to resubmit" in cause.message and "DECLINED" in cause.message

        # accepted, but Bird refuses the PATCH (an inactive reseller): the Update fails with
        # Bird's words and the onboarding stays where it was
        cause = await refusal(
            handle,
            OnboardingWorkflow.resubmit_campaign,
            ResubmitCampaign(changes={"resellerId": NOT_A_RESELLER}),
            kind=ACTION_FAILED,
        )
        assert "resellerId" in cause.message and NOT_A_RESELLER in cause.message
        still = await status(handle)
        assert still.step == Step.NEEDS_ACTION and still.blocked.status == "DECLINED" and still.actions == []
        accepted = await accepted_updates(handle)
        await handle.terminate("test over")

    assert accepted == ["resubmit_campaign"]  # only the one Bird refused got past its validator


async def test_nothing_to_resubmit_while_the_registry_is_still_deciding(ts_env):
    bird = FakeBird()
    bird.decide("brand", "APPROVED", after=timedelta(days=365))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(days=1))
        assert (await status(handle)).step == Step.AWAIT_BRAND
        campaign = await refusal(handle, OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(confirm_new_fee=True))
        brand = await refusal(handle, OnboardingWorkflow.resubmit_brand, ResubmitBrand())
        blank = await refusal(handle, OnboardingWorkflow.cancel, CancelOnboarding(reason="  "))
        accepted = await accepted_updates(handle)
        after = await status(handle)
        await handle.terminate("test over")

    assert "no campaign to resubmit" in campaign.message and "AWAIT_BRAND" in campaign.message
    assert "no brand to resubmit" in brand.message
    assert "reason is required" in blank.message
    assert accepted == [] and after.step == Step.AWAIT_BRAND and after.actions == []


# -- resubmitting a brand -------------------------------------------------------------------------


async def test_a_rejected_brand_is_corrected_sent_again_and_the_onboarding_reaches_done(ts_env):
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "reject"}, {"outcome": "approve"}]})
    async with sandbox_world(config, webhooks=True) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            world.sink.handle = handle
            await ts_env.sleep(timedelta(days=2))
            blocked = await status(handle)
            assert blocked.blocked.step == Step.AWAIT_BRAND and blocked.blocked.status == "REJECTED"
            brand_id = blocked.objects.brand.id

            cause = await refusal(handle, OnboardingWorkflow.resubmit_brand, ResubmitBrand(changes={"ein": "", "website": 7}))
            assert set(cause.details[0]["field_errors"]) == {"ein", "website"}
            cause = await refusal(handle, OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(confirm_new_fee=True))
            assert "no campaign to resubmit" in cause.message and "REJECTED" in cause.message

            done = await handle.execute_update(
                OnboardingWorkflow.resubmit_brand, ResubmitBrand(changes={"companyName": "Acme Plumbing Incorporated"})
            )
            result = await handle.result()
            await record_history(handle, "brand-rejected-resubmitted")
            final = await status(handle)
        stored = next(b for b in (await world.objects())["brands"] if b["id"] == brand_id)
        ledger = await world.ledger_counts()

    assert (done.step, done.object_id) == (Step.AWAIT_BRAND, brand_id)
    assert result.step == Step.DONE and result.brand_id == brand_id
    assert stored["companyName"] == "Acme Plumbing Incorporated" and stored["status"] == "APPROVED"
    assert ledger == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert [r.outcome for r in final.steps if r.step == Step.AWAIT_BRAND] == ["blocked", "done"]


# -- cancelling -----------------------------------------------------------------------------------

# step -> (what the fake Bird does: a create held in flight, or a decision that takes a year),
# the billed objects the cancel reports, and a call that must never happen after it
CANCEL_AT = {
    Step.BUY_NUMBER: ("hold:buy_number", ["number"], "create_brand"),
    Step.REGISTER_BRAND: ("hold:create_brand", ["number", "brand"], "create_vetting"),
    Step.AWAIT_BRAND: ("slow:brand", ["number", "brand"], "create_vetting"),
    Step.VETTING: ("slow:vetting", ["number", "brand", "vetting"], "create_campaign"),
    Step.CREATE_CAMPAIGN: ("hold:create_campaign", ["number", "campaign", "brand", "vetting"], "install_connector"),
    Step.AWAIT_CAMPAIGN: ("slow:campaign", ["number", "campaign", "brand", "vetting"], "install_connector"),
    Step.INSTALL_CONNECTOR: ("hold:install_connector", ["number", "campaign", "brand", "vetting", "connector"], "poll_connector"),
    Step.AWAIT_READY: ("slow:connector", ["number", "campaign", "brand", "vetting", "connector"], None),
    Step.NEEDS_ACTION: ("reject:campaign", ["number", "campaign", "brand", "vetting"], "install_connector"),
}


@pytest.mark.parametrize("step", list(CANCEL_AT), ids=[s.value for s in CANCEL_AT])
async def test_cancel_at_every_step_stops_every_wait_and_lists_what_stays_billed(ts_env, step):
    how, billed, never = CANCEL_AT[step]
    action, _, target = how.partition(":")
    bird = FakeBird()
    # with a create held, everything else is decided at once: the test's clock does not move then
    delay = timedelta(0) if action == "hold" else timedelta(hours=1)
    for kind, verdict in (("brand", "APPROVED"), ("vetting", "APPROVED"), ("campaign", "APPROVED"), ("connector", "ok")):
        bird.decide(kind, verdict, after=delay)
    release = bird.hold(target) if action == "hold" else None
    if action == "slow":
        bird.decide(target, "APPROVED" if target != "connector" else "ok", after=timedelta(days=365))
    elif action == "reject":
        bird.decide(target, "REJECTED", after=timedelta(hours=1), reason="not permitted")
    reason = f"customer withdrew at {step.value}"
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        if release is not None:
            # a billable create in flight: the cancel lets it finish and reports what it bought
            await until(handle, lambda s: bird.calls[target] == 1)
            assert (await status(handle)).step == step
            update = await handle.start_update(
                OnboardingWorkflow.cancel, CancelOnboarding(reason=reason), wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
            release.set()
            done = await update.result()
        else:
            await ts_env.sleep(timedelta(days=1))
            assert (await status(handle)).step == step
            done = await handle.execute_update(OnboardingWorkflow.cancel, CancelOnboarding(reason=reason))
        result = await handle.result()
        calls = dict(bird.calls)
        await ts_env.sleep(timedelta(days=30))  # nothing waits any more: no poll, no timer
        final = await status(handle)
        description = await handle.describe()
        if step == Step.AWAIT_CAMPAIGN:
            await record_history(handle, "cancel-while-awaiting-campaign")
        if step == Step.NEEDS_ACTION:
            await record_history(handle, "cancel-in-needs-action")

    assert done.step == Step.CANCELLED and done.action == "cancel" and reason in done.done
    assert [b.kind for b in done.still_billed] == billed  # recurring ones (number, campaign) first
    assert all(b.release for b in done.still_billed) and done.notes == []
    assert result.step == Step.CANCELLED
    assert description.status == WorkflowExecutionStatus.COMPLETED  # ended on purpose, not failed
    assert description.typed_search_attributes.get(STEP_KEY) == "CANCELLED"
    polls = {name: count for name, count in calls.items() if name.startswith("poll_")}
    assert {name: bird.calls[name] for name in polls} == polls
    if never:
        assert bird.calls[never] == 0
    assert final.step == Step.CANCELLED and final.waiting is None and final.blocked is None
    assert (final.steps[-1].step, final.steps[-1].outcome, final.steps[-1].note) == (Step.CANCELLED, "cancelled", reason)
    interrupted = final.steps[-2]
    if action == "hold":
        # the create finished and its step closed; the onboarding stopped at the next one
        assert [r.outcome for r in final.steps if r.step == step] == ["done"]
        assert interrupted.step != step and interrupted.outcome == "cancelled"
    elif step == Step.NEEDS_ACTION:
        assert (interrupted.step, interrupted.outcome) == (Step.AWAIT_CAMPAIGN, "blocked")
    else:
        assert (interrupted.step, interrupted.outcome) == (step, "cancelled")
    assert [a.action for a in final.actions] == ["cancel"]


async def test_a_create_that_outlasts_the_grace_is_reported_as_possibly_billed(ts_env):
    bird = FakeBird()
    # Bird answers 503 to every purchase: the create is retried for as long as the outage lasts
    bird.failures["buy_number"] = ApplicationError("buy_numbers: HTTP 503", type="BirdServerError")
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await until(handle, lambda s: bird.calls["buy_number"] >= 1)
        update = await handle.start_update(
            OnboardingWorkflow.cancel, CancelOnboarding(reason="stop"), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        await ts_env.sleep(timedelta(minutes=11))
        done = await update.result()
        result = await handle.result()

    assert result.step == Step.CANCELLED and done.still_billed == []
    assert len(done.notes) == 1 and "buy_number was still running" in done.notes[0]
    assert bird.calls["create_brand"] == 0


# -- the checks on their own (what no timing of a test can reach reliably) ----------------------


def parked_on_declined_campaign() -> tuple[OnboardingState, Any]:
    input = make_input("onboarding-no-vetting.json")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    state = OnboardingState(onboarding_id=input.onboarding_id, started_at=now)
    state.objects.campaign.id, state.objects.campaign.status = "c-1", "DECLINED"
    state.enter(Step.AWAIT_CAMPAIGN, now)
    state.block(Blocker(step=Step.AWAIT_CAMPAIGN, kind=Kind.CAMPAIGN, object_id="c-1", status="DECLINED", reason="no", since=now))
    return state, input


CHECKS = {
    "resubmit_campaign": lambda state, input, cancelling: plan_campaign_resubmission(state, input, ResubmitCampaign(), cancelling=cancelling),
    "resubmit_brand": lambda state, input, cancelling: plan_brand_resubmission(state, input, ResubmitBrand(), cancelling=cancelling),
    "cancel": lambda state, input, cancelling: check_cancel(state, CancelOnboarding(reason="x"), cancelling=cancelling),
    "extend_deadline": lambda state, input, cancelling: check_extension(state, ExtendDeadline(days=1), cancelling=cancelling),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_action_is_refused_while_a_cancel_runs_or_once_the_onboarding_ended(name):
    state, input = parked_on_declined_campaign()
    with pytest.raises(ApplicationError, match="being cancelled") as info:
        CHECKS[name](state, input, True)
    assert info.value.type == REFUSED
    for ended in (Step.DONE, Step.CANCELLED, Step.FAILED):
        state.step = ended
        with pytest.raises(ApplicationError, match=f"has ended \\({ended.value}\\)"):
            CHECKS[name](state, input, False)


def test_a_declined_campaign_plans_a_patch_of_the_changes_on_the_original_body():
    state, input = parked_on_declined_campaign()
    plan = plan_campaign_resubmission(state, input, ResubmitCampaign(changes={"description": FIXED_DESCRIPTION}))
    assert (plan.how, plan.campaign_id, plan.changes) == ("patch", "c-1", {"description": FIXED_DESCRIPTION})
    assert plan.body == {**input.campaign, "description": FIXED_DESCRIPTION}


def test_cancelling_closes_the_open_step_and_lists_recurring_charges_first():
    now = datetime(2026, 1, 2, tzinfo=UTC)
    state = OnboardingState(onboarding_id="o", started_at=now)
    for kind, object_id in ((Kind.NUMBER, "n"), (Kind.BRAND, "b"), (Kind.CAMPAIGN, "c")):
        state.charge(kind, object_id, now)
    state.enter(Step.AWAIT_CAMPAIGN, now)
    mark_cancelled(state, "withdrawn", now)
    assert [(r.step, r.outcome, r.note) for r in state.steps] == [
        (Step.AWAIT_CAMPAIGN, "cancelled", "withdrawn"),
        (Step.CANCELLED, "cancelled", "withdrawn"),
    ]
    assert state.step == Step.CANCELLED and state.waiting is None and state.blocked is None
    assert [(b.kind, b.recurring) for b in still_billed(state.charges)] == [
        (Kind.NUMBER, True), (Kind.CAMPAIGN, True), (Kind.BRAND, False),
    ]  # fmt: skip
