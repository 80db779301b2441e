"""From an event to the onboardings that own its object, and the `bird_event` signal to each.

The lookup goes through the workflows' search attributes (`ROUTING_KEY` in workflows/kinds.py),
open workflows only, shared with the other deliveries waiting at the same time (relay/lookups.py),
and remembered for a while (`Routes`): an object has several events, and only its first then needs
the lookup. Temporal failures surface as `TemporalUnavailable`, which the app turns into a 503 so
that Bird retries the delivery later.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from temporalio.service import RPCError, RPCStatusCode

from bird.events import EventRef, ObjectKind
from relay.link import TemporalLink, TemporalUnavailable, describe
from relay.lookups import Clause, Lookups, owners_query
from workflows.contract import BIRD_EVENT_SIGNAL, CONNECTOR_ID, BirdEvent
from workflows.kinds import ROUTING_KEY

# Ids go into a visibility query string: anything but plain id characters is refused rather than
# escaped, since Bird's ids are uuids and nothing else can own an onboarding anyway.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


def owner_clauses(ref: EventRef) -> list[Clause]:
    """The (search attribute, id) pairs that find the onboardings owning `ref`'s object; empty when
    its ids cannot be searched. A channel is also found by its connector, which the workflow
    records first."""
    clauses: list[Clause] = []
    if _SAFE_ID.match(ref.object_id):
        clauses.append((ROUTING_KEY[ref.kind], ref.object_id))
    if ref.kind is ObjectKind.CHANNEL and ref.connector_id and _SAFE_ID.match(ref.connector_id):
        clauses.append((CONNECTOR_ID, ref.connector_id))
    return clauses


def routing_query(ref: EventRef) -> str | None:
    """The visibility query for the open onboardings that own `ref`'s object alone, or None when its
    ids cannot be searched (also the key its route is remembered by)."""
    clauses = owner_clauses(ref)
    return owners_query(clauses) if clauses else None


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


async def find_onboardings(
    lookups: Lookups, ref: EventRef, *, retry_seconds: float, routes: Routes | None = None
) -> list[str]:
    """Workflow ids of the open onboardings that own the event's object, looked up again while none
    is visible for up to `retry_seconds`. Several can match: onboardings may share a brand.
    With `routes`, an object routed before needs no lookup, and one found now is remembered."""
    clauses = owner_clauses(ref)
    if not clauses:
        return []
    query = owners_query(clauses)  # the route's key, as `routing_query(ref)` gives it
    if routes is not None and (known := routes.get(query)) is not None:
        return known
    found = await lookups.find(clauses, retry_seconds)
    if routes is not None:
        routes.put(query, found)
    return found


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
            raise TemporalUnavailable(f"signal failed: {describe(exc)}") from None
        except TimeoutError:
            raise TemporalUnavailable("signal timed out") from None
        accepted.append(workflow_id)
    return accepted
