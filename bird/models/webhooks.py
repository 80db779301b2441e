"""Webhook subscriptions and the `{service, event, payload}` envelope Bird posts to them."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from bird.models._base import UUID_PATTERN, BirdRequest, BirdResponse

# bird/openapi/create-webhook-subscription.json
WebhookService = Literal["channels", "numbers", "payments", "conversations", "templates"]
FilterKey = Literal[
    "channelId", "platformId", "channelStatus", "interactionType", "messageStatus", "status",
    "eventDestination", "navigatorId",
]  # fmt: skip
WEBHOOK_URL_PATTERN = r"^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(/[^\s]*)?$"


class WebhookEventFilter(BirdRequest):
    key: FilterKey
    value: str


class WebhookSubscriptionCreate(BirdRequest):
    """Body of `POST /organizations/{org}/workspaces/{ws}/webhook-subscriptions`.

    Bird only posts to public https URLs (the pattern below); that URL is also part of
    every delivery's signature, so the relay must know it exactly (`RELAY_PUBLIC_URL`).
    """

    service: WebhookService
    event: str
    event_filters: list[WebhookEventFilter] | None = None
    template: str | None = None
    url: Annotated[str, Field(pattern=WEBHOOK_URL_PATTERN)]
    signing_key: str | None = None

    @model_validator(mode="after")
    def _filters_fit_service(self) -> WebhookSubscriptionCreate:
        # The per-service oneOf: channels and conversations take a uuid for channelId;
        # conversations only filter on channelId, templates only on platformId.
        allowed = {
            "channels": {"channelId", "messageStatus", "interactionType", "channelStatus", "platformId", "status"},
            "conversations": {"channelId"},
            "templates": {"platformId"},
        }.get(self.service)
        for i, f in enumerate(self.event_filters or []):
            if allowed is not None and f.key not in allowed:
                raise ValueError(f"eventFilters.{i}.key: {f.key!r} is not a filter of service {self.service!r}")
            if f.key == "channelId" and self.service in ("channels", "conversations") and not re.match(UUID_PATTERN, f.value):
                raise ValueError(f"eventFilters.{i}.value: channelId must be a uuid")
        return self


class WebhookSubscription(BirdResponse):
    id: str
    service: str
    event: str
    url: str
    status: str | None = None
    event_filters: list[dict[str, Any]] | None = None
    organization_id: str | None = None
    workspace_id: str | None = None


class WebhookEnvelope(BirdResponse):
    """What Bird posts: `{"service": "numbers", "event": "10dlc.brand", "payload": {...}}`."""

    service: str
    event: str
    payload: dict[str, Any]
