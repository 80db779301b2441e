"""The steps that create what Bird bills for (number, brand, vetting, campaign, connector), and what
an onboarding sharing its workspace keeps of them: the moment each create was first scheduled
(`Ownership`) and the memo a new run of the same id starts from (workflows/memo.py)."""

from __future__ import annotations

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
    from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities
    from workflows.blocking import NeedsAction
    from workflows.contract import Step
    from workflows.features import (
        CONNECTOR_LISTED_PATCH,
        FLEET_PATCH,
        MEMO_PER_TASK_PATCH,
        RECORD_BY_QUERY_PATCH,
        since,
        uses,
    )
    from workflows.inputs import OnboardingInput
    from workflows.kinds import Kind
    from workflows.memo import Recorded
    from workflows.recording import OncePerTask, Recorder
    from workflows.state import OnboardingState

# Onboardings sharing a workspace (FLEET_PATCH): a create adopts only what it created itself
# (`Ownership`), a sold stock item is replaced by another, and what a run recorded is there for a new
# run of the same id (workflows/memo.py): in its memo before generation 4 (RECORD_BY_QUERY_PATCH),
# by the `recorded` query since.


class Steps:
    """The billable steps of one onboarding, each written against the state: a step whose object
    is already recorded (an earlier run, continue-as-new) returns at once."""

    def __init__(self, state: OnboardingState, input: OnboardingInput, record: Recorder, needs_action: NeedsAction):
        self.state = state
        self._input = input
        self._record = record
        self._needs_action = needs_action
        self.fleet = False  # FLEET_PATCH, decided as the steps begin (`begin`)
        # Before generation 4 what a run recorded is also written to its memo (workflows/memo.py).
        self.memo_kept = not since(state.generation, RECORD_BY_QUERY_PATCH)
        self.remembered: Recorded | None = None  # what the memo holds now
        self._memo = OncePerTask(self._write)

    def begin(self) -> None:
        """Decide FLEET_PATCH for this run and take over what an earlier run recorded."""
        self.fleet = uses(self.state.generation, FLEET_PATCH)
        if self.fleet:
            if self._input.state is not None:
                # continue-as-new: the state travels in the input (and the memo kept before generation 4 with it)
                self.remembered = Recorded.of(self.state)  # carried across continue-as-new
            elif self._input.prior is not None:
                self._input.prior.adopt_into(self.state, workflow.now())

    async def buy_number(self) -> None:
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
                        spread_key=self._input.onboarding_id if self.fleet else None,
                    ),
                    starting=True,
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
                    passing=(STOCK_ITEM_SOLD,) if self.fleet else (),
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
        self.remember()
        self._record.finish(Step.BUY_NUMBER, f"number {bought.number_string}")

    async def register_brand(self) -> None:
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

    async def vet_brand(self) -> None:
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

    async def create_campaign(self) -> None:
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

    async def install_connector(self) -> None:
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
        if not uses(self.state.generation, CONNECTOR_LISTED_PATCH):
            self.remember()  # since the patch a new run finds the connector by listing (workflows/memo.py)
        self._record.record_connector(ref)  # also applies events that named the connector before we knew it
        self._record.finish(Step.INSTALL_CONNECTOR, f"connector {ref.id}")

    async def _create(
        self, step: Step, kind: Kind, activity: Callable[..., Awaitable[ObjectRef]], arg: Callable[[], Any]
    ) -> ObjectRef:
        """Enter `step` and create the registry object it is for: billed, recorded and indexed."""
        self._record.enter(step)
        ref = await self._needs_action.call(step, activity, arg, billable=True)
        self._record.record_created(kind, ref)
        self.remember()
        return ref

    def use_existing_campaign(self, campaign_id: str) -> None:
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
        if not self.fleet:
            return Ownership()
        first = kind.value not in self.state.scheduled
        if first:
            self.state.scheduled[kind.value] = workflow.now()
            self.remember()  # a new run of this id then knows the create may have happened
        return Ownership(since=self.state.scheduled[kind.value], first=first)

    def remember(self) -> None:
        """Keep the memo in step with what is recorded; only a change costs a command. Since
        generation 4 there is no memo to keep: the `recorded` query answers from the state.

        Since MEMO_PER_TASK_PATCH the write is deferred until the code running now reaches its next
        await, as search attributes are (workflows/recording.py): everything recorded in one
        workflow task goes out in one write. That is soon enough: the task's commands are committed
        together, so a create scheduled in the same task never runs before the memo that announces
        it is written."""
        if not (self.fleet and self.memo_kept):
            return
        if not uses(self.state.generation, MEMO_PER_TASK_PATCH):
            self._write()
        else:
            self._memo.schedule()

    def settle(self) -> None:
        """Write now what a deferred write would (before the run ends or continues as new)."""
        self._memo.settle()

    def carried_memo(self) -> dict[str, Any] | None:
        """The memo the next run starts with on continue-as-new: the one kept (before generation 4),
        so that a starter reading the latest run's memo finds everything; None since."""
        if not self.memo_kept or self.remembered is None or self.remembered.empty():
            return None
        return self.remembered.memo()

    def _write(self) -> None:
        recorded = Recorded.of(self.state)
        if recorded == self.remembered or (self.remembered is None and recorded.empty()):
            self.remembered = recorded
            return
        workflow.upsert_memo(recorded.memo())
        self.remembered = recorded
