"""Webhook subscriptions: make sure Bird posts the onboarding's events to the relay
(`tendlc webhooks setup`, relay/setup.py).

List the workspace's subscriptions, create only the missing ones of `SUBSCRIBED_EVENTS`, so a
rerun never leaves two subscriptions delivering every event twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

from bird.client import BirdClient
from bird.events import SUBSCRIBED_EVENTS
from bird.models import WebhookSubscription, WebhookSubscriptionCreate
from bird.models.webhooks import WEBHOOK_URL_PATTERN
from bird.statuses import SUBSCRIPTION_ACTIVE


class SubscriptionRef(BaseModel):
    id: str = ""  # empty for one a dry run would create
    service: str
    event: str
    status: str | None = None


class WebhookSetupResult(BaseModel):
    created: list[SubscriptionRef] = []
    existing: list[SubscriptionRef] = []
    # Subscriptions that exist but will not deliver verifiable events, in words for the operator.
    problems: list[str] = []


def _covers(sub: WebhookSubscription, service: str, event: str, url: str) -> bool:
    # Same URL byte for byte, since it is part of the signature; a filtered subscription would miss
    # other brands' or channels' events, so only a workspace-wide one counts.
    return sub.service == service and sub.event == event and sub.url == url and not sub.event_filters


def _key_problem(sub: WebhookSubscription, signing_key: str, older_keys: Iterable[str]) -> str | None:
    # Bird's response schema includes signingKey; when it is there, say whether the relay accepts it.
    shown = (sub.model_extra or {}).get("signingKey")
    if not isinstance(shown, str) or not shown or shown == signing_key:
        return None
    if shown in older_keys:
        return f"{sub.service}/{sub.event} ({sub.id}) is signed with an older key: update it in Bird to finish the rotation"
    return f"{sub.service}/{sub.event} ({sub.id}) is signed with a key the relay does not accept: its deliveries get 401"


async def ensure_subscriptions(
    bird: BirdClient,
    *,
    organization_id: str,
    workspace_id: str,
    url: str,
    signing_key: str,
    older_keys: Iterable[str] = (),
    dry_run: bool = False,
) -> WebhookSetupResult:
    """Create whichever of the four subscriptions the workspace lacks, pointing at `url`, signed with
    `signing_key`. Existing ones are reported, never recreated; an inactive one or one signed with
    another key is listed in `problems` (creating a second would deliver every event twice).
    Raises `ValueError` for a URL Bird would refuse, and `bird.errors` exceptions as the client does."""
    if not re.match(WEBHOOK_URL_PATTERN, url):
        raise ValueError(f"Bird only posts to public https URLs with a domain name; {url!r} is not one")
    if not signing_key:
        raise ValueError("a signing key is required: without one the relay cannot tell Bird's deliveries apart")
    older = set(older_keys)
    current = await bird.list_webhook_subscriptions(organization_id, workspace_id)
    result = WebhookSetupResult()
    for service, event in SUBSCRIBED_EVENTS:
        matching = [sub for sub in current if _covers(sub, service, event, url)]
        if matching:
            sub = next((s for s in matching if s.status in (None, SUBSCRIPTION_ACTIVE)), matching[0])
            result.existing.append(SubscriptionRef(id=sub.id, service=service, event=event, status=sub.status))
            if sub.status not in (None, SUBSCRIPTION_ACTIVE):
                result.problems.append(f"{service}/{event} ({sub.id}) is {sub.status}: reactivate it in Bird")
            if problem := _key_problem(sub, signing_key, older):
                result.problems.append(problem)
            continue
        if dry_run:
            result.created.append(SubscriptionRef(service=service, event=event))
            continue
        body = WebhookSubscriptionCreate(service=service, event=event, url=url, signing_key=signing_key)
        made = await bird.create_webhook_subscription(organization_id, workspace_id, body)
        result.created.append(SubscriptionRef(id=made.id, service=service, event=event, status=made.status))
    return result

