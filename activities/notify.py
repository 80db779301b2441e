"""Telling a person about an onboarding: one signed POST to `TENDLC_NOTIFY_URL` (Standard Webhooks).

The workflow decides what to say (`Notification`); this activity adds what only the worker knows —
the receiver's URL, the signing secret and the Temporal UI link — so none of them enters workflow
history. A receiver that answers anything but 2xx, or not at all, gets the same message again, with
the same `webhook-id`, by the activity's retry policy (workflows/notify.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field
from standardwebhooks.webhooks import Webhook
from temporalio import activity
from temporalio.exceptions import ApplicationError

# Notification types (the body's `type`), Standard Webhooks style: `<resource>.<event>`.
NEEDS_ACTION = "onboarding.needs_action"
DONE = "onboarding.done"
CANCELLED = "onboarding.cancelled"


class NotificationData(BaseModel):
    onboarding_id: str
    workflow_id: str
    step: str
    reason: str = ""
    action: str = ""  # the command that moves the onboarding forward, if a person has to act
    bird_ids: dict[str, str] = Field(default_factory=dict)
    ui_url: str = ""  # filled by the activity from the worker's settings


class Notification(BaseModel):
    """One message, as the workflow wrote it; `webhook_id` is the same on every attempt."""

    webhook_id: str
    type: str
    timestamp: datetime  # when it happened (workflow time)
    data: NotificationData
    text: str  # one line a chat webhook (Slack, Teams, Mattermost) shows as it is


class NotifySettings(BaseModel):
    """What the worker knows of the receiver (runtime/settings.py builds it); no URL: off."""

    url: str | None = None
    secret: str | None = None  # whsec_<base64 key>
    ui_url: str = ""  # Temporal UI base URL
    namespace: str = "default"
    timeout_seconds: float = 10.0


def body_of(note: Notification, settings: NotifySettings) -> str:
    """The JSON body: `{"type", "timestamp", "data": {...}, "text"}`."""
    data = note.data.model_copy(update={"ui_url": workflow_url(settings, note.data.workflow_id)})
    return json.dumps(
        {
            "type": note.type,
            "timestamp": note.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": data.model_dump(),
            "text": note.text,
        },
        separators=(",", ":"),
    )


def workflow_url(settings: NotifySettings, workflow_id: str) -> str:
    if not settings.ui_url:
        return ""
    return f"{settings.ui_url.rstrip('/')}/namespaces/{quote(settings.namespace)}/workflows/{quote(workflow_id)}"


def signed_headers(webhook_id: str, at: datetime, body: str, secret: str | None) -> dict[str, str]:
    """Standard Webhooks headers; unsigned (no `webhook-signature`) when no secret is set."""
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
    }
    if secret:
        headers["webhook-signature"] = Webhook(secret).sign(webhook_id, at, body)
    return headers


class NotifyActivities:
    def __init__(
        self, settings: NotifySettings, transport: httpx.AsyncBaseTransport | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._settings = settings
        self._http = httpx.AsyncClient(transport=transport, timeout=settings.timeout_seconds)
        self._clock = clock or (lambda: datetime.now(UTC))

    @activity.defn
    async def notify(self, note: Notification) -> str:
        """POST the notification; any answer but 2xx, or none, fails this attempt (it is retried).
        Returns what happened, for the history: `sent (204)` or `off`."""
        if not self._settings.url:
            return "off: TENDLC_NOTIFY_URL is not set"
        body = body_of(note, self._settings)
        # Signed afresh for each attempt: receivers reject old timestamps.
        headers = signed_headers(note.webhook_id, self._clock(), body, self._settings.secret)
        try:
            response = await self._http.post(self._settings.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApplicationError(f"notify: the receiver did not answer ({type(exc).__name__})", type="NotifyUnreachable") from None
        if not response.is_success:
            raise ApplicationError(f"notify: the receiver answered {response.status_code}", type="NotifyRefused")
        return f"sent ({response.status_code})"


def notify_activities(settings: NotifySettings, **kw: Any) -> list[Callable[..., Any]]:
    return [NotifyActivities(settings, **kw).notify]
