"""From an event to the onboardings that own its object, and the `bird_event` signal to each.

The lookup goes through the workflows' search attributes (`ROUTING_KEY` in workflows/kinds.py),
open workflows only, and remembered for a while (`Routes`): an object has several events, and
only its first then needs the lookup. Temporal failures surface as `TemporalUnavailable`, which the app turns into a
503 so that Bird retries the delivery later.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from bird.events import EventRef, ObjectKind
from workflows.contract import BIRD_EVENT_SIGNAL, CONNECTOR_ID, BirdEvent
from workflows.kinds import ROUTING_KEY

# Ids go into a visibility query string: anything but plain id characters is refused rather than
# escaped, since Bird's ids are uuids and nothing else can own an onboarding anyway.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_FIRST_RETRY_DELAY = 0.25
_MAX_RETRY_DELAY = 1.0


class TemporalUnavailable(Exception):
    """Temporal could not be reached or did not answer; the delivery must be retried later."""


def _quoted(value: str) -> str | None:
    return f'"{value}"' if _SAFE_ID.match(value) else None


def routing_query(ref: EventRef) -> str | None:
    """The visibility query for the open onboardings that own `ref`'s object, or None when its ids
    cannot be searched. A channel is also found by its connector, which the workflow records first."""
    clauses: list[str] = []
    if (object_id := _quoted(ref.object_id)) is not None:
        clauses.append(f"{ROUTING_KEY[ref.kind].name} = {object_id}")
    if ref.kind is ObjectKind.CHANNEL and ref.connector_id and (connector := _quoted(ref.connector_id)):
        clauses.append(f"{CONNECTOR_ID.name} = {connector}")
    if not clauses:
        return None
    owner = clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")"
    return f'{owner} AND ExecutionStatus = "Running"'


class Routes:
    """The onboardings found for an object's query, kept for `ttl_seconds` (at most `size` objects,
    the least recently used dropped first): an object's later events go straight to the signal.

    A route is dropped as soon as a signal along it finds its workflow gone (NOT_FOUND), and ages out
    so that an onboarding that takes up an object later (two may share a brand) is found within
    `ttl_seconds`; until then polling covers it."""

    def __init__(self, size: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.ttl = size, ttl_seconds
        self._clock = clock
        self._routes: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def get(self, query: str) -> list[str] | None:
        entry = self._routes.get(query)
        if entry is None:
            return None
        if self._clock() - entry[0] > self.ttl:
            del self._routes[query]
            return None
        self._routes.move_to_end(query)
        return entry[1]

    def put(self, query: str, workflow_ids: list[str]) -> None:
        if self.size <= 0 or not workflow_ids:
            return
        self._routes[query] = (self._clock(), list(workflow_ids))
        self._routes.move_to_end(query)
        while len(self._routes) > self.size:
            self._routes.popitem(last=False)

    def drop(self, query: str) -> None:
        self._routes.pop(query, None)

    def __len__(self) -> int:
        return len(self._routes)


class TemporalLink:
    """The relay's Temporal client: connected on first use rather than at startup, so the relay
    comes up (and answers 503 and an unhealthy /healthz) while Temporal is still starting."""

    def __init__(
        self,
        *,
        client: Client | Any | None = None,
        connect: Callable[[], Awaitable[Client]] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if client is None and connect is None:
            raise ValueError("give either a Temporal client or a way to connect one")
        self._client = client
        self._connect = connect
        self._lock = asyncio.Lock()
        self.timeout = timeout

    @property
    def rpc_timeout(self) -> timedelta:
        return timedelta(seconds=self.timeout)

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    assert self._connect is not None
                    try:
                        self._client = await asyncio.wait_for(self._connect(), self.timeout)
                    except Exception as exc:  # connection refused, TLS, DNS, timeout: all "not now"
                        raise TemporalUnavailable(f"cannot connect: {type(exc).__name__}") from None
        return self._client

    async def healthy(self) -> bool:
        try:
            client = await self.client()
            return bool(await client.service_client.check_health(timeout=self.rpc_timeout))
        except Exception:
            return False


async def find_onboardings(
    link: TemporalLink, ref: EventRef, *, retry_seconds: float, routes: Routes | None = None
) -> list[str]:
    """Workflow ids of the open onboardings that own the event's object, retried with backoff for up
    to `retry_seconds` while none is visible. Several can match: onboardings may share a brand.
    With `routes`, an object routed before needs no lookup, and one found now is remembered."""
    query = routing_query(ref)
    if query is None:
        return []
    if routes is not None and (known := routes.get(query)) is not None:
        return known
    found = await _find(link, query, retry_seconds)
    if routes is not None:
        routes.put(query, found)
    return found


async def _find(link: TemporalLink, query: str, retry_seconds: float) -> list[str]:
    deadline = time.monotonic() + retry_seconds
    delay = _FIRST_RETRY_DELAY
    while True:
        found = await _list(link, query)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            return found
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, _MAX_RETRY_DELAY)


async def _list(link: TemporalLink, query: str) -> list[str]:
    client = await link.client()
    try:
        async with asyncio.timeout(link.timeout):
            ids = [wf.id async for wf in client.list_workflows(query, rpc_timeout=link.rpc_timeout)]
    except (RPCError, TimeoutError) as exc:
        raise TemporalUnavailable(f"lookup failed: {_describe(exc)}") from None
    return list(dict.fromkeys(ids))  # a workflow listed twice while it continues-as-new


async def signal_onboardings(
    link: TemporalLink,
    workflow_ids: list[str],
    event: BirdEvent,
    *,
    routes: Routes | None = None,
    ref: EventRef | None = None,
) -> list[str]:
    """Signal each workflow (its current run, so a continue-as-new in between does not matter) and
    return the ids that accepted. One that closed since the lookup is skipped (and the route of
    `ref`'s object forgotten); any other failure raises `TemporalUnavailable`, and the retried
    delivery is recognised by its `delivery_id`."""
    client = await link.client()
    accepted: list[str] = []
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        try:
            async with asyncio.timeout(link.timeout):
                await handle.signal(BIRD_EVENT_SIGNAL, event, rpc_timeout=link.rpc_timeout)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                if routes is not None and ref is not None and (query := routing_query(ref)) is not None:
                    routes.drop(query)
                continue
            raise TemporalUnavailable(f"signal failed: {_describe(exc)}") from None
        except TimeoutError:
            raise TemporalUnavailable("signal timed out") from None
        accepted.append(workflow_id)
    return accepted


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RPCError):
        return f"{exc.status.name} {exc.message}"
    return type(exc).__name__
