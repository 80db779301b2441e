"""Bird's webhook events as the onboarding reads them: which it follows and subscribes to, and what
object a payload is about. Shared by the relay, the webhook setup and the workflow."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from bird.models.webhooks import WebhookService


class ObjectKind(StrEnum):
    BRAND = "brand"
    VETTING = "vetting"
    CAMPAIGN = "campaign"
    CHANNEL = "channel"


class EventRef(BaseModel):
    """What an event is about, whatever the payload's spelling."""

    kind: ObjectKind
    object_id: str
    status: str
    brand_id: str | None = None
    connector_id: str | None = None


# Bird's 10DLC events reference: brand and campaign payloads are camelCase (`id`, `status`); the
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
SUBSCRIBED_EVENTS: tuple[tuple[WebhookService, str], ...] = (
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


# The fields the onboarding reads from a followed event, by their spellings, and what each must be.
# Anything else in a payload is carried along unread.
_IDS = ("id", "ID", "brandId", "BrandID", "connectorId")
_STATUSES = ("status", "Status")
_TIMES = ("updatedAt", "UpdatedAt")


def event_problem(service: str, event: str, payload: Any) -> str | None:
    """Why a followed event cannot be used as it is (naming the field), or None when its shape fits:
    ids and statuses are strings, times are zoned ISO-8601. A missing id or status is not a shape
    problem (`describe_event` then says there is nothing to route). Events not followed: None."""
    if (service, event) not in _EVENT_KINDS:
        return None
    if not isinstance(payload, dict):
        return f"payload: expected an object, got {type(payload).__name__}"
    for name in _IDS + _STATUSES:
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            return f"payload.{name}: expected a string, got {type(value).__name__}"
    for name in _TIMES:
        value = payload.get(name)
        if value not in (None, "") and parse_time(value) is None:
            return f"payload.{name}: expected an ISO-8601 time with a zone, got {_shown(value)}"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_event(service: str, event: str, payload: dict[str, Any]) -> EventRef | None:
    """The object an event is about, or None for events the onboarding does not follow (or whose
    shape does not fit: `event_problem` says why)."""
    kind = _EVENT_KINDS.get((service, event))
    if kind is None or event_problem(service, event, payload) is not None:
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


def event_time(payload: dict[str, Any]) -> datetime | None:
    """When Bird changed the object, as the payload says (`updatedAt`, or the vetting's `UpdatedAt`)."""
    return parse_time(payload.get("updatedAt") or payload.get("UpdatedAt"))


def parse_time(value: Any) -> datetime | None:
    """Bird's ISO-8601 `updatedAt`, or None when absent or unusable (then ordering falls back).

    Only a string with a zone is a time: a number, a list or a time without a zone cannot be
    ordered against Bird's other (zoned) times, so it counts as no time at all."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None
