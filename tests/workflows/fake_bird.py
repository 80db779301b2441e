"""An in-memory stand-in for the Bird activities, registered under the real activity names.

For tests about the workflow's own logic (timing, ordering, continue-as-new, failures at a chosen
call) where the sandbox's HTTP round trips add nothing. The test sets what Bird "says" with
`set_status`, or `decide(kind, status, after=...)` to have it decided that long (in Temporal's,
possibly skipped, time) after the object was created, and reads what was called in `calls`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import ObjectRef
from activities.brands import BrandQuery, CreateBrandInput, CreateVettingInput, VettingQuery
from activities.campaigns import CampaignQuery, CreateCampaignInput
from activities.connectors import ConnectorQuery, ConnectorRef, InstallConnectorInput
from activities.errors import not_yet
from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberChoice, NumberRef
from bird.statuses import IN_PROGRESS

BRAND_ID = "11111111-1111-4111-8111-111111111111"
VETTING_ID = "22222222-2222-4222-8222-222222222222"
CAMPAIGN_ID = "33333333-3333-4333-8333-333333333333"
CONNECTOR_ID = "44444444-4444-4444-8444-444444444444"
CHANNEL_ID = "55555555-5555-4555-8555-555555555555"
NUMBER_ID = "66666666-6666-4666-8666-666666666666"


class FakeBird:
    def __init__(self, **statuses: str) -> None:
        # What a GET answers now, per object kind; the connector's is its useCaseStatus.
        self.status: dict[str, str] = {"brand": "PENDING", "vetting": "PENDING", "campaign": "PENDING", "connector": "warning"}
        self.status.update(statuses)
        self.reasons: dict[str, str] = {}
        self.updated_at: dict[str, str] = {}
        self.channel_id: str | None = CHANNEL_ID
        self.calls: Counter[str] = Counter()
        self.owners: list[str | None] = []  # each choose_number's owner key (its `spread_key`)
        # activity name -> error to raise instead of answering
        self.failures: dict[str, ApplicationError] = {}
        self._decisions: dict[str, tuple[str, timedelta, str | None]] = {}
        self._created_at: dict[str, datetime] = {}
        # activity name -> an event the activity waits for before answering (see `hold`)
        self._held: dict[str, asyncio.Event] = {}

    def hold(self, name: str) -> asyncio.Event:
        """Make the activity `name` wait, once entered, until the returned event is set: a call
        in flight for as long as the test wants."""
        self._held[name] = asyncio.Event()
        return self._held[name]

    def decide(self, kind: str, status: str, *, after: timedelta, reason: str | None = None) -> None:
        """Bird decides `status` for `kind` once `after` has passed since the object was created."""
        self._decisions[kind] = (status, after, reason)

    def set_status(self, kind: str, status: str, reason: str | None = None, updated_at: str | None = None) -> None:
        self.status[kind] = status
        if reason is not None:
            self.reasons[kind] = reason
        if updated_at is not None:
            self.updated_at[kind] = updated_at

    def _now(self, kind: str) -> None:
        # The activity's scheduled time is Temporal's clock, which the time-skipping server moves.
        now = activity.info().current_attempt_scheduled_time
        created = self._created_at.setdefault(kind, now)
        if kind in self._decisions:
            status, after, reason = self._decisions[kind]
            if now >= created + after:
                del self._decisions[kind]
                self.set_status(kind, status, reason)

    def _ref(self, kind: str, object_id: str, created: bool = True) -> ObjectRef:
        self._now(kind)
        return ObjectRef(
            id=object_id,
            status=self.status[kind],
            updated_at=self.updated_at.get(kind),
            reason=self.reasons.get(kind),
            created=created,
        )

    async def _enter(self, name: str) -> None:
        self.calls[name] += 1
        if name in self._held:
            await self._held[name].wait()
        if name in self.failures:
            raise self.failures[name]

    def _poll(self, kind: str, object_id: str) -> ObjectRef:
        ref = self._ref(kind, object_id)
        if ref.status in IN_PROGRESS:
            raise not_yet(f"{kind} is {ref.status}", ref.model_dump())
        return ref

    def _connector(self) -> ConnectorRef:
        self._now("connector")
        status = self.status["connector"]
        return ConnectorRef(
            id=CONNECTOR_ID,
            channel_id=self.channel_id,
            status=status,
            ready=status == "ok",
            problems=[] if status == "ok" else ["checks whether number is linked to campaign: Number status is INACTIVE"],
        )

    def activities(self) -> list[Callable[..., Any]]:
        bird = self

        @activity.defn(name="choose_number")
        async def choose_number(req: ChooseNumberInput) -> NumberChoice:
            await bird._enter("choose_number")
            bird.owners.append(req.spread_key)
            return NumberChoice(stock_item_id="77777777-7777-4777-8777-777777777777", number_string="+14155550123", monthly_price=1.15, currency="USD")

        @activity.defn(name="buy_number")
        async def buy_number(req: BuyNumberInput) -> NumberRef:
            await bird._enter("buy_number")
            return NumberRef(id=NUMBER_ID, number_string=req.number_string)

        @activity.defn(name="create_brand")
        async def create_brand(req: CreateBrandInput) -> ObjectRef:
            await bird._enter("create_brand")
            return bird._ref("brand", BRAND_ID)

        @activity.defn(name="get_brand")
        async def get_brand(req: BrandQuery) -> ObjectRef:
            await bird._enter("get_brand")
            return bird._ref("brand", req.brand_id)

        @activity.defn(name="poll_brand")
        async def poll_brand(req: BrandQuery) -> ObjectRef:
            await bird._enter("poll_brand")
            return bird._poll("brand", req.brand_id)

        @activity.defn(name="create_vetting")
        async def create_vetting(req: CreateVettingInput) -> ObjectRef:
            await bird._enter("create_vetting")
            return bird._ref("vetting", VETTING_ID)

        @activity.defn(name="get_vetting")
        async def get_vetting(req: VettingQuery) -> ObjectRef:
            await bird._enter("get_vetting")
            return bird._ref("vetting", req.vetting_id)

        @activity.defn(name="poll_vetting")
        async def poll_vetting(req: VettingQuery) -> ObjectRef:
            await bird._enter("poll_vetting")
            return bird._poll("vetting", req.vetting_id)

        @activity.defn(name="create_campaign")
        async def create_campaign(req: CreateCampaignInput) -> ObjectRef:
            await bird._enter("create_campaign")
            return bird._ref("campaign", CAMPAIGN_ID)

        @activity.defn(name="get_campaign")
        async def get_campaign(req: CampaignQuery) -> ObjectRef:
            await bird._enter("get_campaign")
            return bird._ref("campaign", req.campaign_id)

        @activity.defn(name="poll_campaign")
        async def poll_campaign(req: CampaignQuery) -> ObjectRef:
            await bird._enter("poll_campaign")
            return bird._poll("campaign", req.campaign_id)

        @activity.defn(name="install_connector")
        async def install_connector(req: InstallConnectorInput) -> ConnectorRef:
            await bird._enter("install_connector")
            return ConnectorRef(id=CONNECTOR_ID)

        @activity.defn(name="get_connector")
        async def get_connector(req: ConnectorQuery) -> ConnectorRef:
            await bird._enter("get_connector")
            return bird._connector()

        @activity.defn(name="poll_connector")
        async def poll_connector(req: ConnectorQuery) -> ConnectorRef:
            await bird._enter("poll_connector")
            ref = bird._connector()
            if not ref.ready:
                raise not_yet("connector not ready", ref.model_dump())
            return ref

        return [
            choose_number, buy_number, create_brand, get_brand, poll_brand, create_vetting, get_vetting,
            poll_vetting, create_campaign, get_campaign, poll_campaign, install_connector, get_connector,
            poll_connector,
        ]  # fmt: skip
