"""Recently signalled deliveries: a repeated delivery is answered without a second signal.

In memory and bounded, so it forgets after a restart or `RELAY_DEDUPE_SIZE` newer deliveries; the
workflow dedupes by `delivery_id` as well, so forgetting costs one extra signal, never a wrong step.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class RecentDeliveries:
    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()
        # The work in flight per delivery: Bird may send a copy while the first still waits for
        # Temporal (or for a lookup that finds nobody), and the copy shares the first's outcome
        # instead of signalling again or queueing behind it.
        self._in_flight: dict[str, asyncio.Future[Any]] = {}

    def __contains__(self, delivery_id: str) -> bool:
        if delivery_id in self._seen:
            self._seen.move_to_end(delivery_id)
            return True
        return False

    def __len__(self) -> int:
        return len(self._seen)

    def remember(self, delivery_id: str) -> None:
        if self._size <= 0:
            return
        self._seen[delivery_id] = None
        self._seen.move_to_end(delivery_id)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    async def shared(self, delivery_id: str, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """Run `work` once for every copy of a delivery that arrives while it runs; each copy gets
        its outcome (or its exception), and whether it joined a copy already under way. A copy
        whose client goes away does not cancel the work the others wait for."""
        task = self._in_flight.get(delivery_id)
        joined = task is not None
        if task is None:
            task = asyncio.ensure_future(work())
            self._in_flight[delivery_id] = task
            task.add_done_callback(lambda done: self._finished(delivery_id, done))
        return await asyncio.shield(task), joined

    def _finished(self, delivery_id: str, task: asyncio.Future[Any]) -> None:
        if self._in_flight.get(delivery_id) is task:
            del self._in_flight[delivery_id]
        if not task.cancelled():
            task.exception()  # retrieved here, so that no copy left waiting is needed to see it
