"""The onboarding workflow: its run and its eight steps, in order. How it waits, blocks, records and
serves a person's Updates lives in waits.py, blocking.py, recording.py and actions.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.base import ObjectRef, Ownership
    from activities.brands import BrandActivities, CreateBrandInput, CreateVettingInput
    from activities.campaigns import CampaignActivities, CreateCampaignInput
    from activities.connectors import ConnectorActivities, InstallConnectorInput
    from activities.errors import STOCK_ITEM_SOLD
    from activities.notify import CANCELLED, DONE
    from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities
    from workflows.actions import Actions, mark_cancelled, still_billed
    from workflows.blocking import NeedsAction
    from workflows.contract import BirdEvent, Step
    from workflows.inputs import OnboardingInput, OnboardingResult
    from workflows.kinds import Kind
    from workflows.memo import Recorded
    from workflows.messages import (
        ActionResult,
        CancelOnboarding,
        ExtendDeadline,
        ResubmitBrand,
        ResubmitCampaign,
        RetryStep,
    )
    from workflows.notify import OPERATOR_PATCH, Notifier
    from workflows.recording import Recorder
    from workflows.state import OnboardingState, OnboardingStatus
    from workflows.waits import GETS_WIN_PATCH, Verdicts, Waiter

# After this many polls a run continues as new even if the server has not suggested it yet: a
# 45-day campaign wait then spans a few runs of a few hundred events each.
MAX_POLLS_PER_RUN = 100
# Onboardings sharing a workspace: a create adopts only what it created itself (`Ownership`), a
# sold stock item is replaced by another, and what a run recorded is kept in its memo for a new run
# of the same id (workflows/memo.py).
FLEET_PATCH = "fleet-ownership"


@workflow.defn
class OnboardingWorkflow:
    """One customer's US 10DLC registration, over the weeks approvals take:

        BUY_NUMBER → REGISTER_BRAND → AWAIT_BRAND → VETTING (optional) → CREATE_CAMPAIGN
        → AWAIT_CAMPAIGN → INSTALL_CONNECTOR → AWAIT_READY → DONE

    Every step is written against the state, not the position in the code, so that a run continued
    as new walks the same steps and skips what is already done. When Bird refuses something the
    onboarding stops in NEEDS_ACTION with Bird's words in the status; `blocked` is the one thing a
    person's action clears.
    """

    @workflow.init
    def __init__(self, input: OnboardingInput) -> None:
        self._input = input
        self.state = input.state or OnboardingState(
            onboarding_id=input.onboarding_id,
            started_at=workflow.now(),
            updated_at=workflow.now(),
            warnings=list(input.warnings),
        )
        self._record = Recorder(self.state)
        self._notifier = Notifier(self.state)
        self._needs_action = NeedsAction(
            self.state, self._record, self._checkpoint_due, self._continue_as_new, self._notifier.send
        )
        self._waiter = Waiter(input.poll, self._checkpoint_due, self._continue_as_new, self._record.show)
        # Bird activities go to their own task queue when the input names one (workflows/options.py)
        self._needs_action.bird_task_queue = self._waiter.bird_task_queue = input.bird_task_queue
        self._verdicts = Verdicts(self.state, input, self._record, self._needs_action, self._waiter)
        self._actions = Actions(self.state, input, self._record, self._needs_action, self._notifier)
        self._fleet = False  # FLEET_PATCH, decided as the steps begin
        self._remembered: Recorded | None = None  # what the memo holds now

    @workflow.run
    async def run(self, input: OnboardingInput) -> OnboardingResult:
        # The steps run as a task of their own, so that a person's `cancel` can stop them wherever
        # they are waiting.
        self._actions.steps = asyncio.create_task(self._onboard())
        try:
            await self._actions.steps
        except asyncio.CancelledError:
            if self._actions.cancelling is None:
                # Temporal's own cancellation (the UI's button, `temporal workflow cancel`): ended
                # as a person's `cancel` ends it, so nothing billed goes unreported.
                if not workflow.patched(OPERATOR_PATCH):
                    raise
                await self._cancelled_by_temporal()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notifier.settle()
        result = OnboardingResult.from_state(self.state)
        if self.state.step == Step.CANCELLED:
            result.still_billed = still_billed(self.state.charges)
        return result

    async def _cancelled_by_temporal(self) -> None:
        reason = "cancelled in Temporal (workflow cancellation request)"
        self._actions.cancelling = reason
        self._needs_action.creates.closed = True
        mark_cancelled(self.state, reason, workflow.now())
        self._record.index()
        await self._notifier.send(CANCELLED)

    async def _onboard(self) -> None:
        self._gets_win()
        self._fleet = workflow.patched(FLEET_PATCH)
        if self._fleet:
            if self._input.state is not None:
                self._remembered = Recorded.of(self.state)  # carried across continue-as-new
            elif self._input.prior is not None:
                self._input.prior.adopt_into(self.state, workflow.now())
        self._record.index()
        self._remember()
        await self._buy_number()
        if self._input.campaign_id:
            self._use_existing_campaign(self._input.campaign_id)
        else:
            await self._register_brand()
            await self._verdicts.await_verdict(Kind.BRAND)
            if self._input.vetting is not None:
                await self._vet_brand()
                await self._verdicts.await_verdict(Kind.VETTING)
            else:
                self.state.skip(Step.VETTING, workflow.now(), "no vetting requested")
            await self._create_campaign()
            await self._verdicts.await_verdict(Kind.CAMPAIGN)
        await self._install_connector()
        await self._verdicts.await_verdict(Kind.CONNECTOR)  # carriers linked the number: ready
        self._record.ready()
        self._record.enter(Step.DONE)
        self._record.finish(Step.DONE)
        await self._notifier.send(DONE)

    # -- what the outside world sees ------------------------------------------------------------

    @workflow.signal
    def bird_event(self, event: BirdEvent) -> None:
        """A verified Bird event from the relay: recorded only; the waiting step wakes on it.

        Whatever an event holds, this handler does not raise: an exception here would fail this
        workflow task and every replay of it, wedging the onboarding. What it cannot use is dropped
        and counted in the status (`events_dropped`, `last_drop_reason`)."""
        self._gets_win()
        try:
            changed = self.state.record_event(event, workflow.now())
        except Exception as exc:  # noqa: BLE001 - see above; record_event reads only the event
            self.state.drop_event(f"{type(exc).__name__}: {exc}")
            return
        if changed:
            self._record.index()  # a channel event can teach us the channel id

    def _gets_win(self) -> None:
        """Whether this onboarding runs with `GETS_WIN_PATCH`: decided at its first workflow task
        (the signal handler may run first) and kept in the state across continue-as-new."""
        if not self.state.gets_win and workflow.patched(GETS_WIN_PATCH):
            self.state.gets_win = True

    @workflow.query
    def status(self) -> OnboardingStatus:
        return self.state.status(workflow.info().get_current_history_length())

    # -- a person's actions (Updates: their checks and bodies are in workflows/actions.py) ----------

    @workflow.update
    async def resubmit_campaign(self, req: ResubmitCampaign) -> ActionResult:
        """Correct the campaign Bird refused: a DECLINED one is resubmitted (PATCH); any other needs
        a new campaign, created only with `confirm_new_fee`; a create Bird refused is tried again."""
        result = await self._actions.resubmit_campaign(req)
        self._remember()  # a new campaign is a new id and charge
        return result

    @resubmit_campaign.validator
    def _resubmit_campaign_fits(self, req: ResubmitCampaign) -> None:
        self._actions.validate_resubmit_campaign(req)

    @workflow.update
    async def resubmit_brand(self, req: ResubmitBrand) -> ActionResult:
        """Correct a FAILED or REJECTED brand and send it to TCR again ("Update a brand"); a
        registration Bird refused is tried again with the corrected body."""
        return await self._actions.resubmit_brand(req)

    @resubmit_brand.validator
    def _resubmit_brand_fits(self, req: ResubmitBrand) -> None:
        self._actions.validate_resubmit_brand(req)

    @workflow.update
    async def cancel(self, req: CancelOnboarding) -> ActionResult:
        """Stop wherever the onboarding is (waiting, parked in NEEDS_ACTION, between steps) and end
        CANCELLED, listing what stays billed. A billable create in flight is let finish first, so
        that what it bought is known and listed; no new one starts."""
        return await self._actions.cancel(req)

    @cancel.validator
    def _cancel_fits(self, req: CancelOnboarding) -> None:
        self._actions.validate_cancel(req)

    @workflow.update
    async def extend_deadline(self, req: ExtendDeadline) -> ActionResult:
        """Wait longer for the decision whose wait ran out: the same wait resumes, polling from its
        shortest interval again, with a deadline `days` from now."""
        return await self._actions.extend_deadline(req)

    @extend_deadline.validator
    def _extend_deadline_fits(self, req: ExtendDeadline) -> None:
        self._actions.validate_extend_deadline(req)

    @workflow.update
    async def retry(self, req: RetryStep) -> ActionResult:
        """Try the step that stopped in NEEDS_ACTION again, with optional corrections: another
        number prefix, a new vetting (`confirm_new_fee`) or corrected fields, corrected connector
        fields; a create Bird refused is simply sent again."""
        return await self._actions.retry(req)

    @retry.validator
    def _retry_fits(self, req: RetryStep) -> None:
        self._actions.validate_retry(req)

    # -- the steps --------------------------------------------------------------------------------

    async def _buy_number(self) -> None:
        number, plan = self.state.objects.number, self._input.number
        if number.id is not None:
            return
        if plan.phone_number_id:
            number.id, number.status, number.seen_at = plan.phone_number_id, "owned", workflow.now()
            self.state.skip(Step.BUY_NUMBER, workflow.now(), "the workspace already owns the number")
            return
        self._record.enter(Step.BUY_NUMBER)
        while True:
            if number.stock_item_id is None:
                # Recorded before buying: a retried purchase then looks for this very number.
                choice = await self._needs_action.call(
                    Step.BUY_NUMBER,
                    NumberActivities.choose_number,
                    lambda: ChooseNumberInput(
                        organization_id=self._input.organization_id,
                        country_code=plan.country_code,
                        prefix=plan.prefix,
                        exclude=list(self.state.sold_stock_items),
                        spread_key=self._input.onboarding_id if self._fleet else None,
                    ),
                )
                number.stock_item_id, number.number_string = choice.stock_item_id, choice.number_string
                number.monthly_price, number.currency = choice.monthly_price, choice.currency
            try:
                bought = await self._needs_action.call(
                    Step.BUY_NUMBER,
                    NumberActivities.buy_number,
                    lambda: BuyNumberInput(
                        workspace_id=self._input.workspace_id,
                        stock_item_id=number.stock_item_id or "",
                        number_string=number.number_string or "",
                        ownership=self._ownership(Kind.NUMBER),
                    ),
                    billable=True,
                    passing=(STOCK_ITEM_SOLD,) if self._fleet else (),
                )
                break
            except ActivityError:
                # Sold to someone else in between: nothing was bought, so the next choice's
                # purchase is a first attempt again.
                self.state.sold_stock_items.append(number.stock_item_id or "")
                number.stock_item_id = number.number_string = None
                self.state.scheduled.pop(Kind.NUMBER.value, None)
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
        self._remember()
        self._record.finish(Step.BUY_NUMBER, f"number {bought.number_string}")

    async def _register_brand(self) -> None:
        brand = self.state.objects.brand
        if brand.id is not None:
            return
        if self._input.brand_id:
            brand.id = self._input.brand_id
            self.state.skip(Step.REGISTER_BRAND, workflow.now(), "an already registered brand")
            self._record.learned_ids()
            return
        ref = await self._create(
            Step.REGISTER_BRAND,
            Kind.BRAND,
            BrandActivities.create_brand,
            lambda: CreateBrandInput(
                workspace_id=self._input.workspace_id,
                body=self._input.brand or {},
                ownership=self._ownership(Kind.BRAND),
            ),
        )
        self._record.finish(Step.REGISTER_BRAND, f"brand {ref.id}")

    async def _vet_brand(self) -> None:
        if self.state.objects.vetting.id is not None:
            return
        await self._create(  # the step stays open: it awaits the vetting too
            Step.VETTING,
            Kind.VETTING,
            BrandActivities.create_vetting,
            lambda: CreateVettingInput(
                workspace_id=self._input.workspace_id,
                brand_id=self.state.objects.brand.id or "",
                body=self._input.vetting or {},
                ownership=self._ownership(Kind.VETTING),
            ),
        )

    async def _create_campaign(self) -> None:
        if self.state.objects.campaign.id is not None:
            return
        ref = await self._create(
            Step.CREATE_CAMPAIGN,
            Kind.CAMPAIGN,
            CampaignActivities.create_campaign,
            lambda: CreateCampaignInput(
                workspace_id=self._input.workspace_id,
                brand_id=self.state.objects.brand.id or "",
                body=self._input.campaign,
                ownership=self._ownership(Kind.CAMPAIGN),
            ),
        )
        self._record.finish(Step.CREATE_CAMPAIGN, f"campaign {ref.id}")

    async def _install_connector(self) -> None:
        connector = self.state.objects.connector
        if connector.id is not None:
            return
        self._record.enter(Step.INSTALL_CONNECTOR)
        ref = await self._needs_action.call(
            Step.INSTALL_CONNECTOR,
            ConnectorActivities.install_connector,
            lambda: InstallConnectorInput(
                workspace_id=self._input.workspace_id,
                name=self._input.connector.name,
                phone_number_id=self.state.objects.number.id or "",
                campaign_id=self.state.objects.campaign.id or "",
                channel_message_type=self._input.connector.channel_message_type,
                ownership=self._ownership(Kind.CONNECTOR),
            ),
            billable=True,
        )
        connector.id = ref.id
        self.state.charge(Kind.CONNECTOR, ref.id, workflow.now(), matched_existing=not ref.created)
        self._remember()
        self._record.record_connector(ref)  # also applies events that named the connector before we knew it
        self._record.finish(Step.INSTALL_CONNECTOR, f"connector {ref.id}")

    async def _create(
        self, step: Step, kind: Kind, activity: Callable[..., Awaitable[ObjectRef]], arg: Callable[[], Any]
    ) -> ObjectRef:
        """Enter `step` and create the registry object it is for: billed, recorded and indexed."""
        self._record.enter(step)
        ref = await self._needs_action.call(step, activity, arg, billable=True)
        self._record.record_created(kind, ref)
        self._remember()
        return ref

    def _use_existing_campaign(self, campaign_id: str) -> None:
        """An approved campaign (and its brand) named in the request: the number joins it; nothing
        is registered, created or awaited before the connector."""
        objects, now = self.state.objects, workflow.now()
        if objects.campaign.id is None:
            objects.brand.id = objects.brand.id or self._input.brand_id
            objects.campaign.id = campaign_id
            self._record.learned_ids()
        for step in (Step.REGISTER_BRAND, Step.AWAIT_BRAND, Step.VETTING, Step.CREATE_CAMPAIGN, Step.AWAIT_CAMPAIGN):
            self.state.skip(step, now, f"the number joins campaign {campaign_id}")

    # -- ownership and the memo -------------------------------------------------------------------

    def _ownership(self, kind: Kind) -> Ownership:
        """What the create of `kind` may adopt: built with each attempt's argument, so the first
        schedule's moment is recorded once and kept through NEEDS_ACTION and continue-as-new."""
        if not self._fleet:
            return Ownership()
        first = kind.value not in self.state.scheduled
        if first:
            self.state.scheduled[kind.value] = workflow.now()
            self._remember()  # a new run of this id then knows the create may have happened
        return Ownership(since=self.state.scheduled[kind.value], first=first)

    def _remember(self) -> None:
        """Keep the memo in step with what is recorded; only a change costs a command."""
        if not self._fleet:
            return
        recorded = Recorded.of(self.state)
        if recorded == self._remembered or (self._remembered is None and recorded.empty()):
            self._remembered = recorded
            return
        workflow.upsert_memo(recorded.memo())
        self._remembered = recorded

    # -- continue-as-new --------------------------------------------------------------------------

    def _checkpoint_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() or self._waiter.polls_this_run >= MAX_POLLS_PER_RUN

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notifier.settle()  # a notification in flight would be lost with this run
        self.state.run += 1
        memo = self._remembered.memo() if self._remembered is not None and not self._remembered.empty() else None
        workflow.continue_as_new(self._input.model_copy(update={"state": self.state}), memo=memo)
