"""Names the outside world relies on: workflow ids, the task queue, steps, search attributes,
and the `bird_event` signal payload. Relay, CLI, sandbox tests and the workflow import these;
nobody retypes the strings (DESIGN.md, "Names the outside world sees")."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.common import SearchAttributeKey

DEFAULT_TASK_QUEUE = "bird-10dlc"
WORKFLOW_ID_PREFIX = "onboarding-"


def workflow_id_for(onboarding_id: str) -> str:
    """`workflow_id_for("acme-sms") -> "onboarding-acme-sms"`."""
    return f"{WORKFLOW_ID_PREFIX}{onboarding_id}"


class Step(StrEnum):
    BUY_NUMBER = "BUY_NUMBER"
    REGISTER_BRAND = "REGISTER_BRAND"
    AWAIT_BRAND = "AWAIT_BRAND"
    VETTING = "VETTING"
    CREATE_CAMPAIGN = "CREATE_CAMPAIGN"
    AWAIT_CAMPAIGN = "AWAIT_CAMPAIGN"
    INSTALL_CONNECTOR = "INSTALL_CONNECTOR"
    AWAIT_READY = "AWAIT_READY"
    DONE = "DONE"
    NEEDS_ACTION = "NEEDS_ACTION"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


# The order of the happy path, for timelines and progress displays.
FLOW: tuple[Step, ...] = (
    Step.BUY_NUMBER,
    Step.REGISTER_BRAND,
    Step.AWAIT_BRAND,
    Step.VETTING,
    Step.CREATE_CAMPAIGN,
    Step.AWAIT_CAMPAIGN,
    Step.INSTALL_CONNECTOR,
    Step.AWAIT_READY,
    Step.DONE,
)
TERMINAL_STEPS = frozenset({Step.DONE, Step.FAILED, Step.CANCELLED})

STEP = SearchAttributeKey.for_keyword("OnboardingStep")
ONBOARDING_ID = SearchAttributeKey.for_keyword("OnboardingId")
BRAND_ID = SearchAttributeKey.for_keyword("BirdBrandId")
CAMPAIGN_ID = SearchAttributeKey.for_keyword("BirdCampaignId")
VETTING_ID = SearchAttributeKey.for_keyword("BirdVettingId")
CHANNEL_ID = SearchAttributeKey.for_keyword("BirdChannelId")
CONNECTOR_ID = SearchAttributeKey.for_keyword("BirdConnectorId")
SEARCH_ATTRIBUTES = (STEP, ONBOARDING_ID, BRAND_ID, CAMPAIGN_ID, VETTING_ID, CHANNEL_ID, CONNECTOR_ID)


class ObjectKind(StrEnum):
    BRAND = "brand"
    VETTING = "vetting"
    CAMPAIGN = "campaign"
    CHANNEL = "channel"


# Which search attribute finds the onboarding that owns an object of each kind.
ROUTING_KEY: dict[ObjectKind, SearchAttributeKey[str]] = {
    ObjectKind.BRAND: BRAND_ID,
    ObjectKind.VETTING: VETTING_ID,
    ObjectKind.CAMPAIGN: CAMPAIGN_ID,
    ObjectKind.CHANNEL: CHANNEL_ID,
}


class BirdEvent(BaseModel):
    """The `bird_event` signal: one verified webhook delivery, as Bird sent it.

    `delivery_id` is the relay's dedupe key (a digest of the signed body), so a delivery
    Bird repeats is recognised by the workflow too.
    """

    model_config = ConfigDict(extra="ignore")

    service: str
    event: str
    payload: dict[str, Any]
    delivery_id: str = ""
    received_at: str = ""


class EventRef(BaseModel):
    """What an event is about, whatever the payload's spelling."""

    kind: ObjectKind
    object_id: str
    status: str
    brand_id: str | None = None
    connector_id: str | None = None


# bird-docs/10dlc-events.txt: brand and campaign payloads are camelCase (`id`, `status`); the
# vetting payload is Go-style (`ID`, `Status`, `BrandID`) and its event is named
# `10dlc.brandVetting` although the subscription is for `10dlc.vetting`.
_EVENT_KINDS: dict[tuple[str, str], ObjectKind] = {
    ("numbers", "10dlc.brand"): ObjectKind.BRAND,
    ("numbers", "10dlc.campaign"): ObjectKind.CAMPAIGN,
    ("numbers", "10dlc.vetting"): ObjectKind.VETTING,
    ("numbers", "10dlc.brandVetting"): ObjectKind.VETTING,
    ("channels", "channel.updated"): ObjectKind.CHANNEL,
    ("channels", "channel.created"): ObjectKind.CHANNEL,
}
# The (service, event) pairs `describe_event` understands; the relay acknowledges others unread.
FOLLOWED_EVENTS: frozenset[tuple[str, str]] = frozenset(_EVENT_KINDS)

# The subscriptions an onboarding needs (service, event), as `tendlc webhooks setup` creates them.
SUBSCRIBED_EVENTS: tuple[tuple[str, str], ...] = (
    ("numbers", "10dlc.brand"),
    ("numbers", "10dlc.campaign"),
    ("numbers", "10dlc.vetting"),
    ("channels", "channel.updated"),
)


def _field(payload: dict[str, Any], *names: str) -> Any:
    for name in names:
        if payload.get(name) not in (None, ""):
            return payload[name]
    return None


def describe_event(service: str, event: str, payload: dict[str, Any]) -> EventRef | None:
    """The object an event is about, or None for events the onboarding does not follow."""
    kind = _EVENT_KINDS.get((service, event))
    if kind is None:
        return None
    object_id = _field(payload, "id", "ID")
    status = _field(payload, "status", "Status")
    if not isinstance(object_id, str) or not isinstance(status, str):
        return None
    return EventRef(
        kind=kind,
        object_id=object_id,
        status=status,
        brand_id=_field(payload, "brandId", "BrandID"),
        connector_id=_field(payload, "connectorId"),
    )


# The signal the relay sends each verified event as; `OnboardingWorkflow.bird_event` handles it
# (no `name=` override), so the relay names it without importing the workflow.
BIRD_EVENT_SIGNAL = "bird_event"
