"""A person's actions on an onboarding (Updates): the checks that refuse what does not fit its state,
and what each does once accepted. Plain functions of state and input, so validator and handler share them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from activities.brands import BrandActivities, CreateVettingInput, UpdateBrandInput
    from activities.campaigns import CampaignActivities, CreateCampaignInput, PatchCampaignInput
    from activities.notify import CANCELLED
    from activities.numbers import ChooseNumberInput, NumberActivities
    from bird.errors import field_errors_of
    from bird.models import BrandCreate, BrandPatch, CampaignCreate, CampaignPatch, VettingCreate
    from bird.statuses import APPROVED, BRAND_RESUBMITTABLE, DECLINED, IN_PROGRESS
    from workflows.blocking import NeedsAction
    from workflows.contract import TERMINAL_STEPS, Step
    from workflows.failures import action_failed, refused
    from workflows.inputs import ConnectorPlan, OnboardingInput
    from workflows.kinds import Kind, fee_of
    from workflows.messages import (
        ActionResult,
        CancelOnboarding,
        ExtendDeadline,
        ResubmitBrand,
        ResubmitCampaign,
        RetryStep,
        StillBilled,
    )
    from workflows.notify import Notifier
    from workflows.options import BIRD_CREATE, on_bird_queue
    from workflows.recording import Recorder
    from workflows.state import BilledItem, Charge, OnboardingState, OperatorAction, StepRecord, Tracked
    from workflows.waits import resumed_wait

# The checks serve the validator (which refuses before anything reaches history) and the handler,
# which runs them again under the lock: an Update accepted a moment earlier may have changed the
# state since. Changes are checked with the same models as a new request (`CampaignCreate`,
# `BrandCreate`) applied to the body the onboarding was started with, so a correction can never
# produce a body a request could not have had.
#
# Bird's rules behind them (Bird's 10DLC events reference and installation guide): only a
# DECLINED campaign can be resubmitted (PATCH); every other campaign rejection needs a new campaign,
# billed again (registration fee and a three-month minimum commitment); a brand is corrected with
# "Update a brand", and resubmitting it "may" cost more.

T = TypeVar("T")

MAX_EXTENSION_DAYS = 365.0
# How long a cancel lets a billable create in flight finish (one attempt may take five minutes).
CREATE_GRACE = timedelta(minutes=10)


# -- what every action checks ---------------------------------------------------------------------------------


def _check_open(state: OnboardingState, cancelling: bool) -> None:
    if state.step in TERMINAL_STEPS:
        raise refused(f"the onboarding has ended ({state.step.value})")
    if cancelling:
        raise refused("the onboarding is being cancelled")


def _describe_block(state: OnboardingState) -> str:
    blocker = state.blocked
    if blocker is None:
        return f"the onboarding is at {state.step.value} and waits for no one"
    return f"the onboarding waits on {blocker.step.value}: {blocker.reason}"


# -- campaign ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignPlan:
    """How a campaign correction is carried out.

    `patch`: resubmit the DECLINED campaign; `new`: create a new campaign in place of one Bird will
    not take back; `retry`: Bird refused the create itself, so nothing was billed and the step
    tries again with the corrected body.
    """

    how: Literal["patch", "new", "retry"]
    changes: dict[str, Any]  # the changed fields, as Bird's camelCase (what a PATCH sends)
    body: dict[str, Any]  # the whole corrected create body
    campaign_id: str | None = None


def corrected_body(
    original: dict[str, Any], changes: dict[str, Any], patch: type[BaseModel], create: type[BaseModel], what: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the changes in Bird's camelCase, the original body with them applied), each checked with
    the request models; `null` in the changes removes an optional field. Refuses, naming every
    field, what a new request could not contain."""
    try:
        checked = patch.model_validate(changes)
    except ValidationError as exc:
        errors = field_errors_of(exc, "(changes)")
        raise refused(f"the changes are not valid {what} fields", errors) from None
    wire: dict[str, Any] = checked.to_wire()  # type: ignore[attr-defined]
    removed = {k for k, v in checked.model_dump(by_alias=True, exclude_unset=True).items() if v is None}
    body = {k: v for k, v in {**original, **wire}.items() if k not in removed}
    try:
        create.model_validate(body)
    except ValidationError as exc:
        errors = field_errors_of(exc, "(changes)")
        raise refused(f"with these changes the {what} would be invalid", errors) from None
    return wire, body


def plan_campaign_resubmission(
    state: OnboardingState, input: OnboardingInput, req: ResubmitCampaign, *, cancelling: bool = False
) -> CampaignPlan:
    """What `resubmit_campaign` will do, or `refused(...)` saying why it cannot."""
    _check_open(state, cancelling)
    blocker, campaign = state.blocked, state.objects.campaign
    if blocker is not None and blocker.step == Step.CREATE_CAMPAIGN and campaign.id is None:
        wire, body = corrected_body(input.campaign, req.changes, CampaignPatch, CampaignCreate, "campaign")
        return CampaignPlan("retry", wire, body)
    if blocker is None or blocker.kind != Kind.CAMPAIGN:
        raise refused(f"no campaign to resubmit: {_describe_block(state)}")
    status = campaign.status
    if status is None or status in IN_PROGRESS or status == APPROVED:
        raise refused(
            f"campaign {campaign.id} is {status}: the registry has not refused it, so there is nothing to "
            "resubmit; extend the wait (extend_deadline) or cancel"
        )
    if status != DECLINED and not req.confirm_new_fee:
        raise refused(
            f"campaign {campaign.id} is {status}: Bird resubmits only DECLINED campaigns, so a correction means "
            "a new campaign, billed again (registration fee and a three-month minimum commitment); "
            "send confirm_new_fee to create it"
        )
    wire, body = corrected_body(input.campaign, req.changes, CampaignPatch, CampaignCreate, "campaign")
    return CampaignPlan("patch" if status == DECLINED else "new", wire, body, campaign.id)


def replaced_ids(state: OnboardingState, kind: Kind) -> list[str]:
    """Objects of `kind` this onboarding gave up for new ones (still billed, never to be matched)."""
    return [a.replaced_id for a in state.actions if a.kind == kind and a.replaced_id]


# -- brand ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandPlan:
    """`update`: correct the REJECTED or FAILED brand and send it again; `retry`: Bird refused the
    create itself, so the step tries again with the corrected body."""

    how: Literal["update", "retry"]
    changes: dict[str, Any]
    body: dict[str, Any] | None  # None: a brand registered before this onboarding (no body to correct)
    brand_id: str | None = None


def plan_brand_resubmission(
    state: OnboardingState, input: OnboardingInput, req: ResubmitBrand, *, cancelling: bool = False
) -> BrandPlan:
    """What `resubmit_brand` will do, or `refused(...)` saying why it cannot."""
    _check_open(state, cancelling)
    blocker, brand = state.blocked, state.objects.brand
    if blocker is not None and blocker.step == Step.REGISTER_BRAND and brand.id is None and input.brand is not None:
        wire, body = corrected_body(input.brand, req.changes, BrandPatch, BrandCreate, "brand")
        return BrandPlan("retry", wire, body)
    if blocker is None or blocker.kind != Kind.BRAND:
        raise refused(f"no brand to resubmit: {_describe_block(state)}")
    if brand.status not in BRAND_RESUBMITTABLE:
        raise refused(
            f"brand {brand.id} is {brand.status}: only a REJECTED or FAILED brand can be corrected and sent again"
            + ("; extend the wait (extend_deadline) or cancel" if brand.status in IN_PROGRESS else "")
        )
    if input.brand is None:
        # A brand registered before this onboarding: there is no create body to apply the changes
        # to, so they are checked on their own.
        try:
            wire = BrandPatch.model_validate(req.changes).to_wire()
        except ValidationError as exc:
            errors = field_errors_of(exc, "(changes)")
            raise refused("the changes are not valid brand fields", errors) from None
        return BrandPlan("update", wire, None, brand.id)
    wire, body = corrected_body(input.brand, req.changes, BrandPatch, BrandCreate, "brand")
    return BrandPlan("update", wire, body, brand.id)


# -- deadlines -----------------------------------------------------------------------------------


def check_extension(state: OnboardingState, req: ExtendDeadline, *, cancelling: bool = False) -> None:
    """`extend_deadline` fits only an onboarding stopped because a wait ran out."""
    _check_open(state, cancelling)
    blocker = state.blocked
    if blocker is None or blocker.deadline_at is None:
        raise refused(f"no wait ran out: {_describe_block(state)}")
    if not 0 < req.days <= MAX_EXTENSION_DAYS:
        raise refused(f"days must be more than 0 and at most {MAX_EXTENSION_DAYS:g} (got {req.days:g})")


# -- retrying a stopped step -----------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPlan:
    """How `retry` moves a stopped onboarding forward.

    `again`: the refused call is sent again (with the corrected prefix, vetting or connector fields
    it is built from); `number`: the number Bird refused to sell is given up for one chosen afresh
    (with the new prefix) before buying again; `vetting`: a new vetting, billed again, in place of
    a rejected or expired one.
    """

    how: Literal["again", "number", "vetting"]
    step: Step
    changed: list[str]
    prefix: tuple[str | None] | None = None  # set: the number plan's new prefix (None: any prefix)
    vetting: dict[str, Any] | None = None  # the whole corrected vetting body
    connector: ConnectorPlan | None = None


# Which correction fits the step an onboarding stopped at.
_CORRECTS = {"number": Step.BUY_NUMBER, "vetting": Step.VETTING, "connector": Step.INSTALL_CONNECTOR}


def plan_retry(state: OnboardingState, input: OnboardingInput, req: RetryStep, *, cancelling: bool = False) -> RetryPlan:
    """What `retry` will do, or `refused(...)` saying why it cannot."""
    _check_open(state, cancelling)
    blocker, c = state.blocked, req.corrections
    if blocker is None:
        raise refused(f"nothing to retry: {_describe_block(state)}")
    if blocker.deadline_at is not None:
        raise refused(f"nothing failed, a wait ran out ({blocker.reason}); extend the wait (extend_deadline) or cancel")
    if blocker.kind == Kind.CAMPAIGN:
        raise refused(f"the campaign was refused by the registry: correct it with resubmit_campaign ({blocker.reason})")
    if blocker.kind == Kind.BRAND:
        raise refused(f"the brand was refused by the registry: correct it with resubmit_brand ({blocker.reason})")
    errors = {
        f"corrections.{name}": [f"corrects {step.value}, but the onboarding stopped at {blocker.step.value}"]
        for name, step in _CORRECTS.items()
        if getattr(c, name) is not None and step != blocker.step
    }
    if errors:
        raise refused("these corrections do not fit the stopped step", errors)
    changed = [name for name in _CORRECTS if getattr(c, name) is not None]
    prefix = (c.number.prefix,) if c.number is not None else None
    vetting = _corrected_vetting(input.vetting or {}, c.vetting) if c.vetting is not None else None
    if blocker.kind == Kind.VETTING:
        vetting_now = state.objects.vetting
        if not req.confirm_new_fee:
            raise refused(
                f"vetting {vetting_now.id} is {vetting_now.status}: a new vetting is billed again (brand vetting "
                "fee); send confirm_new_fee to request it"
            )
        return RetryPlan("vetting", Step.VETTING, changed, vetting=vetting or dict(input.vetting or {}))
    connector = None
    if c.connector is not None:
        connector = input.connector.model_copy(update=c.connector.model_dump(exclude_none=True))
    number = state.objects.number
    if blocker.step == Step.BUY_NUMBER and number.stock_item_id is not None and prefix is not None:
        return RetryPlan("number", blocker.step, changed, prefix=prefix)
    return RetryPlan("again", blocker.step, changed, prefix=prefix, vetting=vetting, connector=connector)


def _corrected_vetting(original: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in {**original, **changes}.items() if v is not None}
    try:
        VettingCreate.model_validate(body)
    except ValidationError as exc:
        raise refused("with these corrections the vetting would be invalid", field_errors_of(exc, "corrections.vetting")) from None
    return body


# -- cancelling ----------------------------------------------------------------------------------


def check_cancel(state: OnboardingState, req: CancelOnboarding, *, cancelling: bool = False) -> None:
    if cancelling:
        raise refused("the onboarding is already being cancelled")
    _check_open(state, False)
    if not req.reason.strip():
        raise refused("a reason is required: it stays in the onboarding's history")


def still_billed(charges: list[Charge]) -> list[StillBilled]:
    """Every billed object, recurring ones first: what a person may want to release."""
    ordered = sorted(charges, key=lambda c: not c.recurring)
    return [
        StillBilled(**c.model_dump(include=set(BilledItem.model_fields)), release=fee_of(c.kind).release)
        for c in ordered
    ]


def mark_cancelled(state: OnboardingState, reason: str, now: datetime) -> None:
    """End the onboarding CANCELLED: the open step (if any) closes as cancelled, nothing is awaited."""
    for record in reversed(state.steps):
        if record.ended_at is None:
            record.ended_at, record.outcome, record.note = now, "cancelled", reason
            break
    state.blocked = None
    state.waiting = None
    state.actions.append(OperatorAction(action="cancel", at=now, step=Step.CANCELLED, note=reason))
    state.finish(Step.CANCELLED, now, outcome="cancelled", note=reason)
    state.step = Step.CANCELLED


def forget(obj: Tracked) -> None:
    """Clear what is known about an object in place (the running step holds a reference to it)."""
    for name in type(obj).model_fields:
        setattr(obj, name, None)


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
                await self._notifier.send(CANCELLED)
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
                **on_bird_queue(BIRD_CREATE, self._input.bird_task_queue),
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
