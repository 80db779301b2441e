"""Visibility lookups shared between deliveries: every delivery waiting for its object's owner rides
in one `ListWorkflowExecutions` per round, instead of one query per delivery per retry.

Bird announces an object as it creates it, before the create call has returned to the onboarding
and the onboarding has recorded the id in its search attributes; under load visibility then lags
for seconds. Each waiting delivery used to ask on its own schedule (0.25, 0.5, 1, 1… s), about
six queries per early delivery, each costing the server several persistence calls. Here a round
asks for all the waiting ids at once (`BirdBrandId IN (…) OR BirdCampaignId = … ...`, at most
`max_ids` ids a query), and every delivery is answered when its id shows up or its wait ends.

When rounds run: at once for a delivery's first look when no round is in flight (so a lone
delivery waits no longer than it did; deliveries that arrive during a round share the next), and
for the retries on the old backoff, counted from the last round that looked (whoever started it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from relay.link import TemporalLink, TemporalUnavailable, describe

# (search attribute, id): a workflow whose attribute holds that id owns the object.
Clause = tuple[SearchAttributeKey[str], str]

FIRST_RETRY_DELAY = 0.25
MAX_RETRY_DELAY = 1.0
# Ids per query: keeps a query a few kilobytes (an id is at most 200 characters; Bird's are uuids).
MAX_IDS_PER_QUERY = 50
RUNNING = 'ExecutionStatus = "Running"'


def owners_query(clauses: list[Clause]) -> str:
    """The visibility query for the open workflows holding any of `clauses`' ids: one `=` or
    `IN (…)` per search attribute, joined by OR. The ids must already be safe to quote."""
    by_key: dict[str, list[str]] = {}
    for key, value in clauses:
        values = by_key.setdefault(key.name, [])
        if value not in values:
            values.append(value)
    parts = [
        f"{name} = {_quoted(values[0])}" if len(values) == 1 else f"{name} IN ({', '.join(map(_quoted, values))})"
        for name, values in by_key.items()
    ]
    if not parts:
        raise ValueError("owners_query needs at least one clause")
    owner = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return f"{owner} AND {RUNNING}"


def _quoted(value: str) -> str:
    return f'"{value}"'


@dataclass
class _Waiter:
    clauses: list[Clause]
    deadline: float
    due: float  # when it must be looked up next (a round may look earlier)
    answer: asyncio.Future[list[str]]
    delay: float = FIRST_RETRY_DELAY


class Lookups:
    """The lookups in flight for one relay. `find` is what a delivery awaits."""

    def __init__(
        self,
        link: TemporalLink,
        *,
        max_ids: int = MAX_IDS_PER_QUERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_ids < 1:
            raise ValueError("max_ids must be at least 1")
        self._link = link
        self._max_ids = max_ids
        self._clock = clock
        self._waiting: list[_Waiter] = []
        self._wake = asyncio.Event()
        self._rounds: asyncio.Task[None] | None = None
        self.queries = 0  # ListWorkflowExecutions calls made, for tests and the bench

    def __len__(self) -> int:
        return len(self._waiting)

    async def find(self, clauses: list[Clause], retry_seconds: float) -> list[str]:
        """Ids of the open workflows holding any of `clauses`' ids, in the order Temporal listed
        them; looked up again while none is visible, for up to `retry_seconds` (0: one look).
        Raises `TemporalUnavailable` when the round that looked failed."""
        if not clauses:
            return []
        now = self._clock()
        waiter = _Waiter(clauses, now + max(retry_seconds, 0.0), now, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        self._wake.set()
        if self._rounds is None or self._rounds.done():
            self._rounds = asyncio.ensure_future(self._run())
        return await waiter.answer

    async def _run(self) -> None:
        while self._waiting:
            self._waiting = [w for w in self._waiting if not w.answer.done()]  # a caller gave up
            if not self._waiting:
                return
            now = self._clock()
            due = min(w.due for w in self._waiting)
            if due > now:
                self._wake.clear()  # a new delivery wakes the rounds early: its first look is due now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), due - now)
                continue
            await self._round(list(self._waiting), now)

    async def _round(self, batch: list[_Waiter], started: float) -> None:
        """One look for every waiting delivery: found ones and those whose wait ended are answered,
        the rest are due again after their backoff (and no later than their deadline)."""
        try:
            owners = await self._owners([c for w in batch for c in w.clauses])
        except Exception as exc:  # TemporalUnavailable, or a bug: either way no waiter may hang
            for waiter in batch:
                self._waiting.remove(waiter)
                if not waiter.answer.done():
                    waiter.answer.set_exception(exc)
            return
        for waiter in batch:
            found = list(dict.fromkeys(wf for key, value in waiter.clauses for wf in owners.get((key.name, value), [])))
            if found or started >= waiter.deadline:
                self._waiting.remove(waiter)
                if not waiter.answer.done():
                    waiter.answer.set_result(found)
                continue
            waiter.due = min(started + waiter.delay, waiter.deadline)
            waiter.delay = min(waiter.delay * 2, MAX_RETRY_DELAY)

    async def _owners(self, clauses: list[Clause]) -> dict[tuple[str, str], list[str]]:
        """(attribute name, id) -> ids of the open workflows holding it, over as many queries as the
        ids need (run side by side)."""
        unique = list(dict.fromkeys(clauses))
        chunks = [unique[i : i + self._max_ids] for i in range(0, len(unique), self._max_ids)]
        owners: dict[tuple[str, str], list[str]] = {}
        listed = await asyncio.gather(*(self._list(chunk) for chunk in chunks))
        for found in listed:
            for pair, ids in found.items():
                owners.setdefault(pair, []).extend(ids)
        return owners

    async def _list(self, clauses: list[Clause]) -> dict[tuple[str, str], list[str]]:
        client = await self._link.client()
        wanted = {(key.name, value) for key, value in clauses}
        keys = {key.name: key for key, _ in clauses}
        owners: dict[tuple[str, str], list[str]] = {}
        self.queries += 1
        try:
            async with asyncio.timeout(self._link.timeout):
                async for wf in client.list_workflows(owners_query(clauses), rpc_timeout=self._link.rpc_timeout):
                    for name, key in keys.items():
                        value = wf.typed_search_attributes.get(key)
                        if value is not None and (name, value) in wanted:
                            owners.setdefault((name, value), []).append(wf.id)
        except (RPCError, TimeoutError) as exc:
            raise TemporalUnavailable(f"lookup failed: {describe(exc)}") from None
        return owners
