"""The onboarding workflow: one customer's US 10DLC registration, from buying a number to an SMS
channel carriers accept, over the weeks approvals take.

    BUY_NUMBER → REGISTER_BRAND → AWAIT_BRAND → VETTING (optional) → CREATE_CAMPAIGN
    → AWAIT_CAMPAIGN → INSTALL_CONNECTOR → AWAIT_READY → DONE

Deterministic orchestration only: Bird is called from activities, time comes from `workflow.now()`.
Every step is written against the state, not the position in the code, so that a run continued as
new walks the same steps and skips what is already done. When Bird refuses something (a rejection,
or a request it will not accept) the onboarding stops in NEEDS_ACTION with Bird's words in the
status, and waits for a person; `blocked` is the one thing a person's action has to clear.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.base import IN_PROGRESS, ObjectRef
    from activities.brands import (
        BrandActivities,
        BrandQuery,
        CreateBrandInput,
        CreateVettingInput,
        UpdateBrandInput,
        VettingQuery,
    )
    from activities.campaigns import CampaignActivities, CampaignQuery, CreateCampaignInput, PatchCampaignInput
    from activities.connectors import ConnectorActivities, ConnectorQuery, ConnectorRef, InstallConnectorInput
    from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities
    from workflows.contract import (
        BRAND_ID,
        CAMPAIGN_ID,
        CHANNEL_ID,
        CONNECTOR_ID,
        ONBOARDING_ID,
        STEP,
        VETTING_ID,
        BirdEvent,
        Step,
    )
    from workflows import metrics
    from workflows.deadlines import deadline_days, resumed_wait, until_settled_or_due, wait_ran_out
    from workflows.inputs import OnboardingInput, OnboardingResult
    from workflows.operator import (
        ActionResult,
        CancelOnboarding,
        CreateGate,
        ExtendDeadline,
        ResubmitBrand,
        ResubmitCampaign,
        action_failed,
        cancelled_call,
        check_cancel,
        check_extension,
        forget,
        mark_cancelled,
        plan_brand_resubmission,
        plan_campaign_resubmission,
        replaced_ids,
        still_billed,
    )
    from workflows.options import BIRD_CALL, BIRD_CREATE
    from workflows.state import (
        APPROVED,
        Blocker,
        ErrorInfo,
        Kind,
        OnboardingState,
        OnboardingStatus,
        OperatorAction,
        StepRecord,
        Waiting,
        parse_time,
    )
    from workflows.waits import Waiter, Watch

T = TypeVar("T")

# After this many polls a run continues as new even if the server has not suggested it yet: a
# 45-day campaign wait then spans a few runs of a few hundred events each.
MAX_POLLS_PER_RUN = 100

# The step that waits for each registry decision (the vetting is created and awaited in one step).
AWAIT_STEP = {Kind.BRAND: Step.AWAIT_BRAND, Kind.VETTING: Step.VETTING, Kind.CAMPAIGN: Step.AWAIT_CAMPAIGN}
GET = {
    Kind.BRAND: BrandActivities.get_brand,
    Kind.VETTING: BrandActivities.get_vetting,
    Kind.CAMPAIGN: CampaignActivities.get_campaign,
}
POLL = {
    Kind.BRAND: BrandActivities.poll_brand,
    Kind.VETTING: BrandActivities.poll_vetting,
    Kind.CAMPAIGN: CampaignActivities.poll_campaign,
}
READY_CHANNEL_STATUS = "active"  # channels/channel.updated
# How long a cancel lets a billable create in flight finish (one attempt may take five minutes).
CREATE_GRACE = timedelta(minutes=10)


@workflow.defn
class OnboardingWorkflow:
    @workflow.init
    def __init__(self, input: OnboardingInput) -> None:
        self._input = input
        self.state = input.state or OnboardingState(
            onboarding_id=input.onboarding_id,
            started_at=workflow.now(),
            updated_at=workflow.now(),
            warnings=list(input.warnings),
        )
        self._waiter = Waiter(input.poll, self._checkpoint_due, self._continue_as_new)
        self._indexed: dict[str, str] = {}
        self._lock = asyncio.Lock()  # one person's action at a time; each may await Bird
        self._creates = CreateGate()
        self._cancelling: str | None = None
        self._steps: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, input: OnboardingInput) -> OnboardingResult:
        # The steps run as a task of their own, so that a person's `cancel` can stop them wherever
        # they are waiting.
        self._steps = asyncio.create_task(self._onboard())
        try:
            await self._steps
        except asyncio.CancelledError:
            if self._cancelling is None:
                raise  # Temporal's own cancellation of the workflow, not a person's `cancel`
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OnboardingResult.from_state(self.state)

    async def _onboard(self) -> None:
        self._index()
        await self._buy_number()
        await self._register_brand()
        await self._await_approval(Kind.BRAND)
        if self._input.vetting is not None:
            await self._vet_brand()
            await self._await_approval(Kind.VETTING)
        else:
            self.state.skip(Step.VETTING, workflow.now(), "no vetting requested")
        await self._create_campaign()
        await self._await_approval(Kind.CAMPAIGN)
        await self._install_connector()
        await self._await_ready()
        self._enter(Step.DONE)
        self._finish(Step.DONE)

    # -- what the outside world sees ------------------------------------------------------------

    @workflow.signal
    def bird_event(self, event: BirdEvent) -> None:
        """A verified Bird event from the relay: recorded only; the waiting step wakes on it."""
        if self.state.record_event(event, workflow.now()):
            self._index()  # a channel event can teach us the channel id

    @workflow.query
    def status(self) -> OnboardingStatus:
        return self.state.status(workflow.info().get_current_history_length())

    # -- a person's actions (Updates; their checks and results: workflows/operator.py) --------------

    @workflow.update
    async def resubmit_campaign(self, req: ResubmitCampaign) -> ActionResult:
        """Correct the campaign Bird refused: a DECLINED one is resubmitted (PATCH); any other needs
        a new campaign, created only with `confirm_new_fee`; a create Bird refused is tried again."""
        async with self._lock:
            plan = plan_campaign_resubmission(self.state, self._input, req, cancelling=self._cancelling is not None)
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
                self._resubmitted(Kind.CAMPAIGN, ref)
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
            self._record_created(Kind.CAMPAIGN, ref)  # charged, and indexed under BirdCampaignId
            done = f"new campaign {ref.id} ({fields}) in place of {old_status} campaign {old_id}, which stays billed"
            now = workflow.now()
            self.state.steps.append(
                StepRecord(step=Step.CREATE_CAMPAIGN, started_at=now, ended_at=now, outcome="done", note=done)
            )
            return self._resume("resubmit_campaign", Step.AWAIT_CAMPAIGN, Kind.CAMPAIGN, ref.id, done, old_id)

    @resubmit_campaign.validator
    def _resubmit_campaign_fits(self, req: ResubmitCampaign) -> None:
        plan_campaign_resubmission(self.state, self._input, req, cancelling=self._cancelling is not None)

    @workflow.update
    async def resubmit_brand(self, req: ResubmitBrand) -> ActionResult:
        """Correct a FAILED or REJECTED brand and send it to TCR again ("Update a brand"); a
        registration Bird refused is tried again with the corrected body."""
        async with self._lock:
            plan = plan_brand_resubmission(self.state, self._input, req, cancelling=self._cancelling is not None)
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
            self._resubmitted(Kind.BRAND, ref)
            done = f"brand {ref.id} corrected ({fields}) and sent to TCR again"
            return self._resume("resubmit_brand", Step.AWAIT_BRAND, Kind.BRAND, ref.id, done)

    @resubmit_brand.validator
    def _resubmit_brand_fits(self, req: ResubmitBrand) -> None:
        plan_brand_resubmission(self.state, self._input, req, cancelling=self._cancelling is not None)

    @workflow.update
    async def cancel(self, req: CancelOnboarding) -> ActionResult:
        """Stop wherever the onboarding is (waiting, parked in NEEDS_ACTION, between steps) and end
        CANCELLED, listing what stays billed. A billable create in flight is let finish first, so
        that what it bought is known and listed; no new one starts."""
        async with self._lock:
            check_cancel(self.state, req, cancelling=self._cancelling is not None)
            reason = self._cancelling = req.reason.strip()
            self._creates.closed = True
            notes: list[str] = []
            try:
                await workflow.wait_condition(
                    lambda: not self._creates.in_flight, timeout=CREATE_GRACE, timeout_summary="cancel: a create finishing"
                )
            except asyncio.TimeoutError:
                notes.append(
                    f"{', '.join(self._creates.in_flight)} was still running: it may have created (and billed) an "
                    "object this onboarding never learned of; look for it in Bird"
                )
            await workflow.wait_condition(lambda: self._steps is not None)
            steps = self._steps
            assert steps is not None
            steps.cancel()
            await workflow.wait([steps])
            mark_cancelled(self.state, reason, workflow.now())
            self._index()
            return ActionResult(
                action="cancel",
                done=f"cancelled: {reason}",
                step=Step.CANCELLED,
                still_billed=still_billed(self.state.charges),
                notes=notes,
            )

    @cancel.validator
    def _cancel_fits(self, req: CancelOnboarding) -> None:
        check_cancel(self.state, req, cancelling=self._cancelling is not None)

    @workflow.update
    async def extend_deadline(self, req: ExtendDeadline) -> ActionResult:
        """Wait longer for the decision whose wait ran out: the same wait resumes, polling from its
        shortest interval again, with a deadline `days` from now."""
        async with self._lock:
            check_extension(self.state, req, cancelling=self._cancelling is not None)
            blocker = self.state.blocked
            assert blocker is not None and blocker.kind is not None
            self.state.waiting = waiting = resumed_wait(blocker, workflow.now(), req.days)
            done = f"waiting {req.days:g} more days for {waiting.what}, until {waiting.deadline_at:%Y-%m-%d %H:%M} UTC"
            result = self._resume("extend_deadline", blocker.step, blocker.kind, blocker.object_id, done)
            return result.model_copy(update={"deadline_at": waiting.deadline_at})

    @extend_deadline.validator
    def _extend_deadline_fits(self, req: ExtendDeadline) -> None:
        check_extension(self.state, req, cancelling=self._cancelling is not None)

    async def _act(self, what: str, activity: Callable[..., Awaitable[T]], arg: Any) -> T:
        """A Bird call for a person's action. Resubmissions and creates may be billed: BIRD_CREATE,
        and the activities look before they send. If Bird refuses, the Update fails with Bird's
        words and the onboarding stays where it was."""
        try:
            return await workflow.execute_activity_method(activity, arg, **BIRD_CREATE)
        except ActivityError as err:
            raise action_failed(f"Bird refused to {what}", err) from None

    def _resubmitted(self, kind: Kind, ref: ObjectRef) -> None:
        # Back under review: `observe` would take that for a stale report and keep the rejection.
        obj = self.state.objects.get(kind)
        obj.status, obj.status_at, obj.reason, obj.seen_at = ref.status, parse_time(ref.updated_at), None, workflow.now()

    def _resume(
        self, action: str, step: Step, kind: Kind, object_id: str | None, done: str, replaced_id: str | None = None
    ) -> ActionResult:
        """Record a person's action, clear the blocker and go on at `step` (the parked step wakes)."""
        now = workflow.now()
        self.state.actions.append(
            OperatorAction(
                action=action, at=now, step=step, kind=kind, object_id=object_id, replaced_id=replaced_id, note=done
            )
        )
        self.state.blocked = None
        self._enter(step)
        self.state.steps[-1].note = done  # the timeline says why the step runs again
        return ActionResult(action=action, done=done, step=step, object_id=object_id, replaced_id=replaced_id)

    # -- the steps --------------------------------------------------------------------------------

    async def _buy_number(self) -> None:
        number, plan = self.state.objects.number, self._input.number
        if number.id is not None:
            return
        if plan.phone_number_id:
            number.id, number.status, number.seen_at = plan.phone_number_id, "owned", workflow.now()
            self.state.skip(Step.BUY_NUMBER, workflow.now(), "the workspace already owns the number")
            return
        self._enter(Step.BUY_NUMBER)
        if number.stock_item_id is None:
            # Recorded before buying: a retried purchase then looks for this very number.
            choice = await self._call(
                Step.BUY_NUMBER,
                NumberActivities.choose_number,
                lambda: ChooseNumberInput(
                    organization_id=self._input.organization_id, country_code=plan.country_code, prefix=plan.prefix
                ),
            )
            number.stock_item_id, number.number_string = choice.stock_item_id, choice.number_string
            number.monthly_price, number.currency = choice.monthly_price, choice.currency
        bought = await self._call(
            Step.BUY_NUMBER,
            NumberActivities.buy_number,
            lambda: BuyNumberInput(
                workspace_id=self._input.workspace_id,
                stock_item_id=number.stock_item_id or "",
                number_string=number.number_string or "",
            ),
            BIRD_CREATE,
        )
        now = workflow.now()
        number.id, number.number_string, number.status, number.seen_at = bought.id, bought.number_string, "owned", now
        self.state.charge(
            Kind.NUMBER,
            bought.id,
            now,
            matched_existing=not bought.created,
            amount=number.monthly_price,
            currency=number.currency,
        )
        self._finish(Step.BUY_NUMBER, f"number {bought.number_string}")

    async def _register_brand(self) -> None:
        brand = self.state.objects.brand
        if brand.id is not None:
            return
        if self._input.brand_id:
            brand.id = self._input.brand_id
            self.state.skip(Step.REGISTER_BRAND, workflow.now(), "an already registered brand")
            self._learned_ids()
            return
        self._enter(Step.REGISTER_BRAND)
        ref = await self._call(
            Step.REGISTER_BRAND,
            BrandActivities.create_brand,
            lambda: CreateBrandInput(workspace_id=self._input.workspace_id, body=self._input.brand or {}),
            BIRD_CREATE,
        )
        self._record_created(Kind.BRAND, ref)
        self._finish(Step.REGISTER_BRAND, f"brand {ref.id}")

    async def _vet_brand(self) -> None:
        if self.state.objects.vetting.id is not None:
            return
        self._enter(Step.VETTING)
        ref = await self._call(
            Step.VETTING,
            BrandActivities.create_vetting,
            lambda: CreateVettingInput(
                workspace_id=self._input.workspace_id,
                brand_id=self.state.objects.brand.id or "",
                body=self._input.vetting or {},
            ),
            BIRD_CREATE,
        )
        self._record_created(Kind.VETTING, ref)

    async def _create_campaign(self) -> None:
        if self.state.objects.campaign.id is not None:
            return
        self._enter(Step.CREATE_CAMPAIGN)
        ref = await self._call(
            Step.CREATE_CAMPAIGN,
            CampaignActivities.create_campaign,
            lambda: CreateCampaignInput(
                workspace_id=self._input.workspace_id,
                brand_id=self.state.objects.brand.id or "",
                body=self._input.campaign,
            ),
            BIRD_CREATE,
        )
        self._record_created(Kind.CAMPAIGN, ref)
        self._finish(Step.CREATE_CAMPAIGN, f"campaign {ref.id}")

    async def _install_connector(self) -> None:
        connector = self.state.objects.connector
        if connector.id is not None:
            return
        self._enter(Step.INSTALL_CONNECTOR)
        ref = await self._call(
            Step.INSTALL_CONNECTOR,
            ConnectorActivities.install_connector,
            lambda: InstallConnectorInput(
                workspace_id=self._input.workspace_id,
                name=self._input.connector.name,
                phone_number_id=self.state.objects.number.id or "",
                campaign_id=self.state.objects.campaign.id or "",
                channel_message_type=self._input.connector.channel_message_type,
            ),
            BIRD_CREATE,
        )
        connector.id = ref.id
        self.state.charge(Kind.CONNECTOR, ref.id, workflow.now(), matched_existing=not ref.created)
        self._record_connector(ref)  # also applies events that named the connector before we knew it
        self._finish(Step.INSTALL_CONNECTOR, f"connector {ref.id}")

    # -- awaiting decisions -----------------------------------------------------------------------

    async def _await_approval(self, kind: Kind) -> None:
        """Wait until the registry approves the object; on a rejection, stop for a person."""
        step, obj = AWAIT_STEP[kind], self.state.objects.get(kind)
        while obj.status != APPROVED:
            await self._guarded(step, lambda: self._wait_for_decision(kind, step))
            if obj.status != APPROVED:
                if self.state.blocked is None:
                    await self._block_on_rejection(kind, step)
                await self._park()
        self._finish(step)

    async def _wait_for_decision(self, kind: Kind, step: Step) -> None:
        self._enter(step)
        obj = self.state.objects.get(kind)
        if obj.status is None:  # e.g. an existing brand: look before waiting
            self._observe(kind, await workflow.execute_activity_method(GET[kind], self._query(kind), **BIRD_CALL))
        if self._decided(kind):
            return
        watch = Watch(
            what=f"{kind} {obj.id} decision",
            settled=lambda: self._decided(kind),
            poll=POLL[kind],
            arg=self._query(kind),
            record=lambda ref: self._observe(kind, ref),
            record_last_seen=lambda seen: self._last_polled(ObjectRef.model_validate(seen).status),
        )
        waiting = self._waiting(step, kind, obj.id or "", watch.what)
        if not await until_settled_or_due(self._waiter, watch, waiting, deadline_days(self._input.deadlines, kind)):
            # One last look: the decision may have been made, and its event lost, since the last poll.
            self._observe(kind, await workflow.execute_activity_method(GET[kind], self._query(kind), **BIRD_CALL))
            self._stop_if_still_waiting(step, kind, self._decided(kind))
            return
        self.state.waiting = None

    async def _block_on_rejection(self, kind: Kind, step: Step) -> None:
        """Read why Bird said no (events never say), then stop in NEEDS_ACTION with that reason."""
        obj = self.state.objects.get(kind)
        try:
            self._observe(kind, await workflow.execute_activity_method(GET[kind], self._query(kind), **BIRD_CALL))
        except ActivityError as err:
            if cancelled_call(err):
                raise asyncio.CancelledError() from None
            # otherwise the status alone still says what happened; the reason stays unknown
        if not self._decided(kind) or obj.status == APPROVED:
            return  # it moved on while we looked
        reason = obj.reason or "Bird gave no reason"
        self.state.block(
            Blocker(
                step=step,
                kind=kind,
                object_id=obj.id,
                status=obj.status,
                reason=f"{kind} {obj.id} is {obj.status}: {reason}",
                since=workflow.now(),
            )
        )
        self._index()

    async def _await_ready(self) -> None:
        """Wait until carriers linked the number to the campaign: `useCaseStatus` ok, or the
        channel reported active."""
        while not self._ready():
            await self._guarded(Step.AWAIT_READY, self._wait_until_ready)
        self._finish(Step.AWAIT_READY)

    async def _wait_until_ready(self) -> None:
        self._enter(Step.AWAIT_READY)
        query = ConnectorQuery(workspace_id=self._input.workspace_id, connector_id=self.state.objects.connector.id or "")
        if self.state.objects.connector.status is None:
            self._record_connector(
                await workflow.execute_activity_method(ConnectorActivities.get_connector, query, **BIRD_CALL)
            )
        if self._ready():
            return
        watch = Watch(
            what=f"connector {query.connector_id} readiness",
            settled=self._ready,
            poll=ConnectorActivities.poll_connector,
            arg=query,
            record=self._record_connector,
            record_last_seen=lambda seen: self._record_connector(ConnectorRef.model_validate(seen)),
        )
        waiting = self._waiting(Step.AWAIT_READY, Kind.CONNECTOR, query.connector_id, watch.what)
        days = deadline_days(self._input.deadlines, Kind.CONNECTOR)
        if not await until_settled_or_due(self._waiter, watch, waiting, days):
            self._record_connector(
                await workflow.execute_activity_method(ConnectorActivities.get_connector, query, **BIRD_CALL)
            )
            self._stop_if_still_waiting(Step.AWAIT_READY, Kind.CONNECTOR, self._ready())
            return
        self.state.waiting = None

    def _stop_if_still_waiting(self, step: Step, kind: Kind, settled: bool) -> None:
        """After the last look at a wait that ran out (workflows/deadlines.py): go on if it is
        settled after all, else stop for a person, saying which wait ran out."""
        waiting, self.state.waiting = self.state.waiting, None
        if settled or waiting is None:
            return
        obj = self.state.objects.get(kind)
        self.state.block(wait_ran_out(step, kind, obj.id or "", obj.status, waiting, workflow.now()))
        self._index()

    def _decided(self, kind: Kind) -> bool:
        status = self.state.objects.get(kind).status
        return status is not None and status not in IN_PROGRESS

    def _ready(self) -> bool:
        o = self.state.objects
        return o.connector.status == "ok" or o.channel.status == READY_CHANNEL_STATUS

    def _waiting(self, step: Step, kind: Kind, object_id: str, what: str) -> Waiting:
        """The wait in progress for this object, kept across continue-as-new, or a new one."""
        current = self.state.waiting
        if current is None or current.kind != kind or current.object_id != object_id:
            current = Waiting(step=step, kind=kind, object_id=object_id, what=what, since=workflow.now())
            self.state.waiting = current
        return current

    def _last_polled(self, status: str | None) -> None:
        if self.state.waiting is not None:
            self.state.waiting.last_polled_status = status

    # -- stopping for a person --------------------------------------------------------------------

    async def _call(
        self, step: Step, activity: Callable[..., Awaitable[T]], arg: Callable[[], Any], options: Any = BIRD_CALL
    ) -> T:
        """One Bird call for `step`, its argument built afresh each time (a person may have changed
        what it is built from); if Bird refuses it, stop in NEEDS_ACTION and try again once unblocked."""

        def attempt() -> Awaitable[T]:
            return workflow.execute_activity_method(activity, arg(), **options)

        if options is BIRD_CREATE:  # billable: a cancel waits for it (operator.CreateGate)
            return await self._guarded(step, lambda: self._creates.run(activity.__name__, attempt))
        return await self._guarded(step, attempt)

    async def _guarded(self, step: Step, attempt: Callable[[], Awaitable[T]]) -> T:
        while True:
            if self.state.blocked is None:
                try:
                    return await attempt()
                except ActivityError as err:
                    if cancelled_call(err):
                        raise asyncio.CancelledError() from None
                    self._block_on_failure(step, err)
            await self._park()

    def _block_on_failure(self, step: Step, err: ActivityError) -> None:
        cause = err.cause
        details: dict[str, Any] = {}
        if isinstance(cause, ApplicationError):
            if cause.details and isinstance(cause.details[0], dict):
                details = cause.details[0]
            kind, message = cause.type or "ApplicationError", cause.message
        else:
            kind, message = type(cause or err).__name__, str(cause or err)
        now = workflow.now()
        error = ErrorInfo(
            step=step,
            operation=err.activity_type or "",
            type=kind,
            message=message,
            status=details.get("status"),
            code=details.get("code") or None,
            field_errors=details.get("field_errors") or {},
            at=now,
        )
        reason = message
        if error.field_errors:
            reason += " — " + "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in error.field_errors.items())
        self.state.block(Blocker(step=step, reason=reason, since=now), error)
        self._index()

    async def _park(self) -> None:
        """Wait in NEEDS_ACTION until a person's action clears `blocked` (operator Updates)."""
        while self.state.blocked is not None:
            await workflow.wait_condition(lambda: self.state.blocked is None or self._checkpoint_due())
            if self.state.blocked is not None:
                await self._continue_as_new()

    # -- continue-as-new --------------------------------------------------------------------------

    def _checkpoint_due(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested() or self._waiter.polls_this_run >= MAX_POLLS_PER_RUN
        )

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.state.run += 1
        workflow.continue_as_new(self._input.model_copy(update={"state": self.state}))

    # -- recording --------------------------------------------------------------------------------

    def _query(self, kind: Kind) -> Any:
        ws, o = self._input.workspace_id, self.state.objects
        if kind == Kind.BRAND:
            return BrandQuery(workspace_id=ws, brand_id=o.brand.id or "")
        if kind == Kind.VETTING:
            return VettingQuery(workspace_id=ws, brand_id=o.brand.id or "", vetting_id=o.vetting.id or "")
        return CampaignQuery(workspace_id=ws, brand_id=o.brand.id or "", campaign_id=o.campaign.id or "")

    def _observe(self, kind: Kind, ref: ObjectRef) -> None:
        obj = self.state.objects.get(kind)
        obj.id = obj.id or ref.id
        if obj.observe(ref.status, parse_time(ref.updated_at), workflow.now()) or ref.status == obj.status:
            obj.reason = ref.reason or obj.reason
        self._last_polled(ref.status)

    def _record_created(self, kind: Kind, ref: ObjectRef) -> None:
        """Record a billable object the moment its id is known, and index it for the relay."""
        self._observe(kind, ref)
        self.state.charge(kind, ref.id, workflow.now(), matched_existing=not ref.created)
        self._learned_ids()

    def _record_connector(self, ref: ConnectorRef) -> None:
        o, now = self.state.objects, workflow.now()
        o.connector.observe(ref.status or ("ok" if ref.ready else None), None, now)
        o.connector.reason = "; ".join(ref.problems) or None
        if ref.channel_id and o.channel.id is None:
            o.channel.id, o.channel.seen_at = ref.channel_id, now
        self._last_polled(ref.status)
        self._learned_ids()

    def _learned_ids(self) -> None:
        """After recording an id: apply events that arrived before it (Bird can announce an object
        before the call that created it returns), and index the id for the relay."""
        self.state.apply_early_events(workflow.now())
        self._index()

    def _enter(self, step: Step) -> None:
        self.state.enter(step, workflow.now())
        self._index()

    def _finish(self, step: Step, note: str = "") -> None:
        closed_before = {id(r) for r in self.state.steps if r.ended_at is not None}
        self.state.finish(step, workflow.now(), note=note)
        for record in self.state.steps:
            if record.step == step and record.ended_at is not None and id(record) not in closed_before:
                seconds = (record.ended_at - record.started_at).total_seconds()
                metrics.step_finished(step, record.outcome or "done", seconds)

    def _index(self) -> None:
        """Keep the search attributes current: the step, and every id the relay routes events by."""
        s, o = self.state, self.state.objects
        wanted = [
            (STEP, s.step.value),
            (ONBOARDING_ID, s.onboarding_id),
            (BRAND_ID, o.brand.id),
            (VETTING_ID, o.vetting.id),
            (CAMPAIGN_ID, o.campaign.id),
            (CONNECTOR_ID, o.connector.id),
            (CHANNEL_ID, o.channel.id),
        ]
        changed = [(key, value) for key, value in wanted if value and self._indexed.get(key.name) != value]
        if changed:
            workflow.upsert_search_attributes([key.value_set(value) for key, value in changed])
            self._indexed.update({key.name: value for key, value in changed})
