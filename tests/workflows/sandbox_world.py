"""The real activities against the sandbox in-process, for time-skipping tests.

`sandbox_world()` runs a sandbox app, a `BirdClient` on it (through `httpx.ASGITransport`), and,
when asked, the four webhook subscriptions with deliveries going to `EventSink`, which stands in
for the relay: each delivery becomes a `bird_event` signal to the onboarding under test. (The real
relay finds workflows through visibility, which the time-skipping server does not offer; the e2e
tests run the real relay path.)
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.client import WorkflowHandle

from bird.client import BirdClient
from bird.events import SUBSCRIBED_EVENTS
from bird.models import WebhookSubscriptionCreate
from sandbox.app import create_app
from sandbox.config import DEFAULT_ACCESS_KEY, SandboxConfig
from sandbox.testing import BASE_URL, SandboxTransport, control_client, running
from sandbox.wire import set_clock_offset
from workflows.contract import BirdEvent
from workflows.onboarding import OnboardingWorkflow

RELAY_URL = "https://relay.example.com/webhooks/bird"
SIGNING_KEY = "sandbox-signing-key"
ACCESS_KEY = DEFAULT_ACCESS_KEY


@dataclass
class EventSink:
    handle: WorkflowHandle | None = None
    delivered: list[BirdEvent] = field(default_factory=list)
    # events acknowledged but never signalled, as if the relay had lost them (e.g. "channel.updated")
    withheld: set[str] = field(default_factory=set)

    async def _receive(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        envelope = json.loads(body)
        event = BirdEvent(
            service=envelope["service"],
            event=envelope["event"],
            payload=envelope["payload"],
            delivery_id=hashlib.sha256(body).hexdigest(),
        )
        if self.handle is None:
            return httpx.Response(503)  # nobody to tell yet: Bird retries
        if event.event in self.withheld:
            return httpx.Response(200)
        await self.handle.signal(OnboardingWorkflow.bird_event, event)
        self.delivered.append(event)
        return httpx.Response(200)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self._receive)


@dataclass
class World:
    app: FastAPI
    bird: BirdClient
    control: httpx.AsyncClient
    sink: EventSink

    async def ledger_counts(self) -> dict[str, int]:
        return (await self.control.get("/_sandbox/ledger")).json()["counts"]

    async def objects(self) -> dict[str, Any]:
        return (await self.control.get("/_sandbox/objects")).json()

    async def put(self, path: str, body: Any) -> None:
        response = await self.control.put(f"/_sandbox/{path}", json=body)
        response.raise_for_status()

    async def review(self, kind: str, object_id: str, outcome: str) -> None:
        response = await self.control.post(f"/_sandbox/objects/{kind}/{object_id}/review", json={"outcome": outcome})
        response.raise_for_status()


class FollowingTransport(SandboxTransport):
    """Before each request, sets the sandbox's clock to `clock()` (the time-skipping server's), so
    that the createdAt Bird answers is on the same clock as the workflow's `workflow.now()`."""

    def __init__(self, app: FastAPI, clock: Callable[[], Awaitable[datetime]]) -> None:
        super().__init__(app=app)
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        set_clock_offset(max(0.0, (await self._clock()).timestamp() - time.time()))
        return await super().handle_async_request(request)


@asynccontextmanager
async def sandbox_world(
    config: SandboxConfig | None = None,
    *,
    webhooks: bool = False,
    clock: Callable[[], Awaitable[datetime]] | None = None,
    observer: Callable[[str, str], None] | None = None,
) -> AsyncIterator[World]:
    """`clock`: the Temporal test server's time (`env.get_current_time`), for tests whose creates
    are retried after time was skipped (ownership compares Bird's createdAt with workflow time).
    `observer`: the BirdClient's (operation, outcome) hook, to count the calls the activities make."""
    sink = EventSink()
    app = create_app(config or SandboxConfig.instant(), delivery_transport=sink.transport())
    transport = FollowingTransport(app, clock) if clock is not None else SandboxTransport(app=app)
    key = app.state.sandbox.config.access_key.get_secret_value()
    async with (
        running(app),
        BirdClient(key, base_url=BASE_URL, transport=transport, observer=observer) as bird,
        control_client(app) as control,
    ):
        world = World(app, bird, control, sink)
        if webhooks:
            sandbox = app.state.sandbox
            for service, event in SUBSCRIBED_EVENTS:
                body = WebhookSubscriptionCreate(service=service, event=event, url=RELAY_URL, signing_key=SIGNING_KEY)
                await bird.create_webhook_subscription(sandbox.config.organization_id, sandbox.config.workspace_id, body)
        try:
            yield world
        finally:
            set_clock_offset(0.0)
