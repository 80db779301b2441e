"""A person's actions on an onboarding (Updates), carried out: each checked again under the lock
(workflows/action_plans.py), the Bird calls made, the action recorded and the parked step woken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.brands import BrandActivities, CreateVettingInput, UpdateBrandInput
    from activities.campaigns import CampaignActivities, CreateCampaignInput, PatchCampaignInput
    from activities.notify import CANCELLED
    from activities.numbers import ChooseNumberInput, NumberActivities
    from workflows.action_plans import (
        BrandPlan,
        CampaignPlan,
        RetryPlan,
        check_cancel,
        check_extension,
        forget,
        mark_cancelled,
        plan_brand_resubmission,
        plan_campaign_resubmission,
        plan_retry,
        replaced_ids,
        still_billed,
    )
    from workflows.blocking import NeedsAction
    from workflows.contract import Step
    from workflows.failures import action_failed
    from workflows.inputs import OnboardingInput
    from workflows.kinds import Kind
    from workflows.messages import (
        ActionResult,
        CancelOnboarding,
        ExtendDeadline,
        ResubmitBrand,
        ResubmitCampaign,
        RetryStep,
    )
    from workflows.notify import Notifier
    from workflows.options import BIRD_CREATE, on_bird_queue
    from workflows.recording import Recorder
    from workflows.state import OnboardingState, OperatorAction, StepRecord
    from workflows.waits import resumed_wait

T = TypeVar("T")

# How long a cancel lets a billable create in flight finish (one attempt may take five minutes).
CREATE_GRACE = timedelta(minutes=10)


# -- carrying them out ---------------------------------------------------------------------------


class Actions:
    """The Updates' bodies: one person's action at a time (each may await Bird), checked again under
    the lock, carried out, and the parked step woken where the onboarding goes on."""

    def __init__(
        self,
        state: OnboardingState,
        input: OnboardingInput,
        recorder: Recorder,
        needs_action: NeedsAction,
        notifier: Notifier | None = None,
    ) -> None:
        self.state = state
        self._input = input
        self._recorder = recorder
        self._notifier = notifier
        self._creates = needs_action.creates
        self._lock = asyncio.Lock()
        self.cancelling: str | None = None  # the reason, once a cancel is accepted
        self.steps: asyncio.Task[None] | None = None  # the running steps, which a cancel stops

    def validate_resubmit_campaign(self, req: ResubmitCampaign) -> CampaignPlan:
        return plan_campaign_resubmission(self.state, self._input, req, cancelling=self.cancelling is not None)

    def validate_resubmit_brand(self, req: ResubmitBrand) -> BrandPlan:
        return plan_brand_resubmission(self.state, self._input, req, cancelling=self.cancelling is not None)

    def validate_cancel(self, req: CancelOnboarding) -> None:
        check_cancel(self.state, req, cancelling=self.cancelling is not None)

    def validate_extend_deadline(self, req: ExtendDeadline) -> None:
        check_extension(self.state, req, cancelling=self.cancelling is not None)

    def validate_retry(self, req: RetryStep) -> RetryPlan:
        return plan_retry(self.state, self._input, req, cancelling=self.cancelling is not None)

    async def retry(self, req: RetryStep) -> ActionResult:
        async with self._lock:
            plan = self.validate_retry(req)
            blocker = self.state.blocked
            assert blocker is not None
            o, ws = self.state.objects, self._input.workspace_id
            fixed = f" with corrected {', '.join(plan.changed)}" if plan.changed else ""
            if plan.prefix is not None:
                self._input.number.prefix = plan.prefix[0]  # in place: the parked step reads this plan
            if plan.how == "number":
                choose = ChooseNumberInput(
                    organization_id=self._input.organization_id,
                    country_code=self._input.number.country_code,
                    prefix=self._input.number.prefix,
                    # the owner, so the item is claimed for this onboarding (activities/claims.py);
                    # the activity's argument only, the same command as before
                    spread_key=self._input.onboarding_id,
                )
                choice = await self._act("offer a number", NumberActivities.choose_number, choose)
                refused_number = o.number.number_string
                n = o.number
                n.stock_item_id, n.number_string = choice.stock_item_id, choice.number_string
                n.monthly_price, n.currency = choice.monthly_price, choice.currency
                done = f"number {choice.number_string} chosen in place of {refused_number}; buying it"
                return self._resume("retry", Step.BUY_NUMBER, Kind.NUMBER, None, done)
            if plan.how == "vetting":
                old_id, old_status = o.vetting.id, o.vetting.status
                create = CreateVettingInput(
                    workspace_id=ws,
                    brand_id=o.brand.id or "",
                    body=plan.vetting or {},
                    exclude_ids=[*replaced_ids(self.state, Kind.VETTING), old_id or ""],
                )
                ref = await self._act("request a new vetting", BrandActivities.create_vetting, create)
                self._input.vetting = plan.vetting
                forget(o.vetting)
                self._recorder.record_created(Kind.VETTING, ref)  # charged, and indexed under BirdVettingId
                done = f"new vetting {ref.id}{fixed} in place of {old_status} vetting {old_id}, which stays billed"
                return self._resume("retry", Step.VETTING, Kind.VETTING, ref.id, done, old_id)
            if plan.vetting is not None:
                self._input.vetting = plan.vetting
            if plan.connector is not None:
                self._input.connector = plan.connector
            done = f"{plan.step.value} tried again{fixed}"
            return self._resume("retry", plan.step, blocker.kind, blocker.object_id, done)

    async def resubmit_campaign(self, req: ResubmitCampaign) -> ActionResult:
        async with self._lock:
            plan = self.validate_resubmit_campaign(req)
            o, ws = self.state.objects, self._input.workspace_id
            fields = ", ".join(plan.changes) or "no field changed"
            if plan.how == "retry":
                self._input.campaign = plan.body
                done = f"campaign corrected ({fields}); the create is tried again"
                return self._resume("resubmit_campaign", Step.CREATE_CAMPAIGN, Kind.CAMPAIGN, None, done)
            if plan.how == "patch":
                patch = PatchCampaignInput(
                    workspace_id=ws, brand_id=o.brand.id or "", campaign_id=plan.campaign_id or "", body=plan.changes
                )
                ref = await self._act("resubmit the campaign", CampaignActivities.patch_campaign, patch)
                self._input.campaign = plan.body
                self._recorder.resubmitted(Kind.CAMPAIGN, ref)
                done = f"campaign {ref.id} corrected ({fields}) and resubmitted"
                return self._resume("resubmit_campaign", Step.AWAIT_CAMPAIGN, Kind.CAMPAIGN, ref.id, done)
            old_id, old_status = o.campaign.id, o.campaign.status
            create = CreateCampaignInput(
                workspace_id=ws,
                brand_id=o.brand.id or "",
                body=plan.body,
                exclude_ids=[*replaced_ids(self.state, Kind.CAMPAIGN), old_id or ""],
            )
            ref = await self._act("create a new campaign", CampaignActivities.create_campaign, create)
            self._input.campaign = plan.body
            forget(o.campaign)
            self._recorder.record_created(Kind.CAMPAIGN, ref)  # charged, and indexed under BirdCampaignId
            done = f"new campaign {ref.id} ({fields}) in place of {old_status} campaign {old_id}, which stays billed"
            now = workflow.now()
            self.state.steps.append(
                StepRecord(step=Step.CREATE_CAMPAIGN, started_at=now, ended_at=now, outcome="done", note=done)
            )
            return self._resume("resubmit_campaign", Step.AWAIT_CAMPAIGN, Kind.CAMPAIGN, ref.id, done, old_id)

    async def resubmit_brand(self, req: ResubmitBrand) -> ActionResult:
        async with self._lock:
            plan = self.validate_resubmit_brand(req)
            fields = ", ".join(plan.changes) or "no field changed"
            if plan.how == "retry":
                self._input.brand = plan.body
                done = f"brand corrected ({fields}); the registration is tried again"
                return self._resume("resubmit_brand", Step.REGISTER_BRAND, Kind.BRAND, None, done)
            update = UpdateBrandInput(
                workspace_id=self._input.workspace_id, brand_id=plan.brand_id or "", body=plan.changes
            )
            ref = await self._act("resubmit the brand", BrandActivities.update_brand, update)
            if plan.body is not None:
                self._input.brand = plan.body
            self._recorder.resubmitted(Kind.BRAND, ref)
            done = f"brand {ref.id} corrected ({fields}) and sent to TCR again"
            return self._resume("resubmit_brand", Step.AWAIT_BRAND, Kind.BRAND, ref.id, done)

    async def cancel(self, req: CancelOnboarding) -> ActionResult:
        async with self._lock:
            self.validate_cancel(req)
            reason = self.cancelling = req.reason.strip()
            self._creates.closed = True
            notes: list[str] = []
            try:
                await workflow.wait_condition(
                    lambda: not self._creates.in_flight, timeout=CREATE_GRACE, timeout_summary="cancel: a create finishing"
                )
            except TimeoutError:
                notes.append(
                    f"{', '.join(self._creates.in_flight)} was still running: it may have created (and billed) an "
                    "object this onboarding never learned of; look for it in Bird"
                )
            await workflow.wait_condition(lambda: self.steps is not None)
            steps = self.steps
            assert steps is not None
            steps.cancel()
            await workflow.wait([steps])
            mark_cancelled(self.state, reason, workflow.now())
            self._recorder.index()
            if self._notifier is not None:
                await self._notifier.send_at_end(CANCELLED)
            return ActionResult(
                action="cancel",
                done=f"cancelled: {reason}",
                step=Step.CANCELLED,
                still_billed=still_billed(self.state.charges),
                notes=notes,
            )

    async def extend_deadline(self, req: ExtendDeadline) -> ActionResult:
        async with self._lock:
            self.validate_extend_deadline(req)
            blocker = self.state.blocked
            assert blocker is not None and blocker.kind is not None
            self.state.waiting = waiting = resumed_wait(blocker, workflow.now(), req.days)
            done = f"waiting {req.days:g} more days for {waiting.what}, until {waiting.deadline_at:%Y-%m-%d %H:%M} UTC"
            result = self._resume("extend_deadline", blocker.step, blocker.kind, blocker.object_id, done)
            return result.model_copy(update={"deadline_at": waiting.deadline_at})

    async def _act(self, what: str, activity: Callable[..., Awaitable[T]], arg: Any) -> T:
        """A Bird call for a person's action. Resubmissions and creates may be billed: BIRD_CREATE,
        and the activities look before they send. If Bird refuses, the Update fails with Bird's
        words and the onboarding stays where it was."""
        try:
            return await workflow.execute_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
                activity,
                arg,
                **on_bird_queue(BIRD_CREATE, self._input.bird_task_queue, self.state.generation),
                summary=f"a person's action: {what}",
            )
        except ActivityError as err:
            raise action_failed(f"Bird refused to {what}", err) from None

    def _resume(
        self,
        action: str,
        step: Step,
        kind: Kind | None,
        object_id: str | None,
        done: str,
        replaced_id: str | None = None,
    ) -> ActionResult:
        """Record a person's action, clear the blocker and go on at `step` (the parked step wakes)."""
        now = workflow.now()
        self.state.actions.append(
            OperatorAction(
                action=action, at=now, step=step, kind=kind, object_id=object_id, replaced_id=replaced_id, note=done
            )
        )
        self.state.blocked = None
        self._recorder.enter(step)
        self.state.steps[-1].note = done  # the timeline says why the step runs again
        return ActionResult(action=action, done=done, step=step, object_id=object_id, replaced_id=replaced_id)
