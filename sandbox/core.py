"""`Sandbox`: the state and the machinery around it (persistence, lifecycle, webhooks, faults,
ledger), shared by the API routes and the control plane.

Everything runs on one event loop and every change is synchronous, so no locks are needed.
Background work (scheduled transitions, webhook deliveries) starts with the app's lifespan under
uvicorn, or on the first request when the app is driven in-process through `httpx.ASGITransport`
(which does not run lifespans); `sandbox.testing.running(app)` starts and stops it explicitly.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from decimal import Decimal

import httpx

from sandbox import ledger
from sandbox.config import DEFAULT_RESELLER_ID, SandboxConfig
from sandbox.errors import not_found
from sandbox.events import Envelope
from sandbox.faults import FaultInjector, Faults
from sandbox.lifecycle import Lifecycle
from sandbox.ratelimit import RateLimit, TokenBucket
from sandbox.scenario import Kind
from sandbox.state import ChargeKind, State, StateFile, Wire
from sandbox.stock import initial_stock
from sandbox.webhooks import Dispatcher
from sandbox.wire import iso


def initial_state(config: SandboxConfig) -> State:
    """A fresh sandbox: full stock, one active reseller, the configured scenario and faults."""
    now = iso()
    reseller = {
        "id": DEFAULT_RESELLER_ID,
        "organizationId": config.organization_id,
        "status": "ACTIVE",
        "companyName": "Sandbox Reseller LLC",
        "phone": "+14155550199",
        "email": "reseller@example.com",
        "createdAt": now,
        "updatedAt": now,
    }
    return State(
        stock=initial_stock(config),
        resellers={reseller["id"]: reseller},
        scenario=config.scenario.model_copy(deep=True),
        faults=config.faults.model_copy(deep=True),
        delivery_routes=dict(config.deliver_to),
        rate_limit=config.rate_limit.model_copy() if config.rate_limit else None,
    )


class Sandbox:
    def __init__(self, config: SandboxConfig, *, delivery_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._file = StateFile(config.state_file) if config.state_file else None
        loaded = self._file.load() if self._file else None
        self.state = loaded or initial_state(config)
        self.faults = FaultInjector(self.state.faults, config.seed)
        self.lifecycle = Lifecycle(self)
        self.webhooks = Dispatcher(self, transport=delivery_transport)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: asyncio.Task[None] | None = None
        # Requests received per operation (`BirdClient`'s names), for measuring how many calls a
        # flow makes. A measurement, not Bird's state: not persisted, zeroed by `reset()`.
        self.requests: Counter[str] = Counter()
        # Of those, the ones refused for the organization's rate limit (answered 429, not processed).
        self.rate_limited: Counter[str] = Counter()
        self.limiter = TokenBucket(self.state.rate_limit)
        self.save()

    # -- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        if self._file is not None:
            self._file.save(self.state)

    def reset(self) -> None:
        """Back to a fresh sandbox; deliveries in flight are abandoned."""
        self.webhooks.cancel_all()
        self.state = initial_state(self.config)
        self.requests.clear()
        self.rate_limited.clear()
        self.limiter = TokenBucket(self.state.rate_limit, clock=self.limiter.clock)
        self.faults = FaultInjector(self.state.faults, self.config.seed)
        self.lifecycle.wake()
        self.save()

    def set_rate_limit(self, limit: RateLimit | None) -> None:
        """A new limit starts with a full bucket."""
        self.state.rate_limit = limit
        self.limiter = TokenBucket(limit, clock=self.limiter.clock)
        self.save()

    def set_faults(self, faults: Faults) -> None:
        self.state.faults = faults
        self.faults = FaultInjector(faults, self.config.seed)
        self.save()

    # -- background work -------------------------------------------------------------------

    def ensure_running(self) -> None:
        """Start the scheduler and the delivery client on the current loop, once."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self._scheduler is not None and not self._scheduler.done():
            return
        if self._loop is not loop:
            # First start, or a new event loop (tasks of an old one are gone with it).
            self._loop = loop
            self.webhooks.start()
        self._scheduler = loop.create_task(self.lifecycle.run())

    async def start(self) -> None:
        self.ensure_running()

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.cancel()
            await asyncio.gather(self._scheduler, return_exceptions=True)
            self._scheduler = None
        await self.webhooks.stop()
        self._loop = None
        self.save()

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until no transition is scheduled and no delivery is in flight (tests with zero
        delays use it to let everything that was set in motion finish)."""
        self.ensure_running()
        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(0.01)
            pending = [d for d in self.state.deliveries if d.status == "pending"]
            if not self.state.schedule and not pending and not self.webhooks.busy:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"sandbox still busy after {timeout}s: {len(self.state.schedule)} transitions "
                    f"and {len(pending)} deliveries pending"
                )

    # -- what routes use -------------------------------------------------------------------

    def emit(self, envelope: Envelope) -> None:
        self.webhooks.publish(envelope)

    def charge(
        self, kind: ChargeKind, object_id: str, amount: Decimal, description: str, operation: str
    ) -> None:
        ledger.charge(
            self.state,
            kind=kind,
            object_id=object_id,
            amount=amount,
            currency=self.config.fees.currency,
            description=description,
            operation=operation,
        )

    def check_workspace(self, workspace_id: str) -> None:
        if workspace_id != self.config.workspace_id:
            raise not_found("workspace", workspace_id)

    def check_organization(self, organization_id: str) -> None:
        if organization_id != self.config.organization_id:
            raise not_found("organization", organization_id)

    def find(self, kind: Kind, object_id: str) -> Wire:
        obj = self.state.objects(kind).get(object_id)
        if obj is None:
            raise not_found(kind, object_id)
        return obj
