"""One row per kind of Bird object: its fee, what stays billed, its routing search attribute, and the
wait for its verdict (step, activities, deadline). A new kind of object is one row here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.base import ObjectRef
    from activities.brands import BrandActivities, BrandQuery, VettingQuery
    from activities.campaigns import CampaignActivities, CampaignQuery
    from activities.connectors import ConnectorActivities, ConnectorQuery, ConnectorRef
    from bird.events import ObjectKind
    from bird.statuses import APPROVED, CHANNEL_ACTIVE, CHECK_OK, IN_PROGRESS
    from workflows.contract import BRAND_ID, CAMPAIGN_ID, CHANNEL_ID, CONNECTOR_ID, VETTING_ID, Step

if TYPE_CHECKING:
    from workflows.state import Objects


class Kind(StrEnum):
    """The objects an onboarding creates or follows (a superset of the routable `ObjectKind`)."""

    NUMBER = "number"
    BRAND = "brand"
    VETTING = "vetting"
    CAMPAIGN = "campaign"
    CONNECTOR = "connector"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Fee:
    """What Bird bills for creating the object (Bird's 10DLC installation guide), and
    what stays billed once the onboarding stops (what a person may want to release)."""

    name: str
    recurring: bool
    release: str


@dataclass(frozen=True)
class Wait:
    """A step that waits for Bird's (or the carriers') verdict on the object."""

    step: Step
    name: str  # in "the brand approval wait ran out"
    awaits: str  # in "brand 123 decision"
    deadline_field: str  # its field of `DeadlineDays` (the request's `deadlines`)
    deadline_days: float  # the default
    get: Callable[..., Any]  # the activity that looks once
    poll: Callable[..., Any]  # the activity that polls a round, raising NotYet until settled
    query: Callable[[str, Objects], BaseModel]  # (workspace_id, objects) -> the activities' argument
    ref: type[BaseModel]  # what `get` and `poll` return (also what a NotYet carries)
    settled: Callable[[Objects], bool]  # decided, one way or the other: the wait is over
    accepted: Callable[[Objects], bool]  # decided the way the onboarding needs: the step is done
    # A billable step follows the verdict: one only an event announced is confirmed with `get` first.
    confirm: bool = True


@dataclass(frozen=True)
class KindInfo:
    kind: Kind
    fee: Fee | None = None
    routing_key: SearchAttributeKey[str] | None = None  # finds the onboarding holding an object's id
    wait: Wait | None = None


def _decided(kind: Kind) -> Callable[[Objects], bool]:
    def decided(objects: Objects) -> bool:
        status = objects.get(kind).status
        return status is not None and status not in IN_PROGRESS

    return decided


def _approved(kind: Kind) -> Callable[[Objects], bool]:
    return lambda objects: objects.get(kind).status == APPROVED


def _ready(objects: Objects) -> bool:
    """Carriers linked the number to the campaign: `useCaseStatus` ok, or the channel reported active."""
    return objects.connector.status == CHECK_OK or objects.channel.status == CHANNEL_ACTIVE


KINDS: dict[Kind, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo(
            Kind.NUMBER,
            fee=Fee("number subscription", True, "monthly subscription: billed until the number is released in Bird"),
        ),
        KindInfo(
            Kind.BRAND,
            fee=Fee(
                "brand registration fee",
                False,
                "one-off fee, already paid; the brand stays registered and can be reused (brand_id)",
            ),
            routing_key=BRAND_ID,
            wait=Wait(
                step=Step.AWAIT_BRAND,
                name="brand approval",
                awaits="decision",
                deadline_field="brand",
                deadline_days=30,
                get=BrandActivities.get_brand,
                poll=BrandActivities.poll_brand,
                query=lambda ws, o: BrandQuery(workspace_id=ws, brand_id=o.brand.id or ""),
                ref=ObjectRef,
                settled=_decided(Kind.BRAND),
                accepted=_approved(Kind.BRAND),
            ),
        ),
        KindInfo(
            Kind.VETTING,
            fee=Fee("brand vetting fee", False, "one-off fee, already paid; the vetting stays with the brand"),
            routing_key=VETTING_ID,
            wait=Wait(
                step=Step.VETTING,  # created and awaited in one step
                name="vetting",
                awaits="decision",
                deadline_field="vetting",
                deadline_days=30,
                get=BrandActivities.get_vetting,
                poll=BrandActivities.poll_vetting,
                query=lambda ws, o: VettingQuery(
                    workspace_id=ws, brand_id=o.brand.id or "", vetting_id=o.vetting.id or ""
                ),
                ref=ObjectRef,
                settled=_decided(Kind.VETTING),
                accepted=_approved(Kind.VETTING),
            ),
        ),
        KindInfo(
            Kind.CAMPAIGN,
            fee=Fee(
                "campaign registration fee and three-month minimum commitment",
                True,
                "the three-month minimum commitment is owed; monthly fees continue until the campaign "
                "is deleted in Bird",
            ),
            routing_key=CAMPAIGN_ID,
            wait=Wait(
                step=Step.AWAIT_CAMPAIGN,
                name="campaign approval",
                awaits="decision",
                deadline_field="campaign",
                deadline_days=45,
                get=CampaignActivities.get_campaign,
                poll=CampaignActivities.poll_campaign,
                query=lambda ws, o: CampaignQuery(
                    workspace_id=ws, brand_id=o.brand.id or "", campaign_id=o.campaign.id or ""
                ),
                ref=ObjectRef,
                settled=_decided(Kind.CAMPAIGN),
                accepted=_approved(Kind.CAMPAIGN),
            ),
        ),
        KindInfo(
            Kind.CONNECTOR,
            fee=Fee(
                "SMS channel connector",
                False,
                "the connector stays installed (and holds the number) until it is uninstalled in Bird",
            ),
            routing_key=CONNECTOR_ID,
            wait=Wait(
                step=Step.AWAIT_READY,
                name="readiness",
                awaits="readiness",
                deadline_field="readiness",
                deadline_days=3,
                get=ConnectorActivities.get_connector,
                poll=ConnectorActivities.poll_connector,
                query=lambda ws, o: ConnectorQuery(
                    workspace_id=ws, connector_id=o.connector.id or "", channel_id=o.channel.id
                ),
                ref=ConnectorRef,
                settled=_ready,  # there is no refusal to wait for: ready is the only verdict
                accepted=_ready,
                confirm=False,  # nothing is bought after it
            ),
        ),
        KindInfo(Kind.CHANNEL, routing_key=CHANNEL_ID),
    )
}

# Which search attribute finds the onboarding that owns the object an event is about.
ROUTING_KEY: dict[ObjectKind, SearchAttributeKey[str]] = {
    ObjectKind(info.kind.value): info.routing_key
    for info in KINDS.values()
    if info.routing_key is not None and info.kind.value in {k.value for k in ObjectKind}
}


def fee_of(kind: Kind) -> Fee:
    fee = KINDS[kind].fee
    if fee is None:
        raise ValueError(f"Bird bills nothing for a {kind}")
    return fee


def wait_for(kind: Kind) -> Wait:
    wait = KINDS[kind].wait
    if wait is None:
        raise ValueError(f"no step waits for a {kind}")
    return wait


def default_deadline_days(kind: Kind) -> float:
    return wait_for(kind).deadline_days
