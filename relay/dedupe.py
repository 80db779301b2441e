"""Recently signalled deliveries: a repeated delivery is answered without a second signal.

In memory and bounded, so it forgets after a restart or `RELAY_DEDUPE_SIZE` newer deliveries; the
workflow dedupes by `delivery_id` as well, so forgetting costs one extra signal, never a wrong step.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class RecentDeliveries:
    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()
        # One lock per delivery in flight: Bird may retry while the first attempt still waits for
        # Temporal, and the second must wait for the first's outcome instead of signalling too.
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

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

    @asynccontextmanager
    async def exclusive(self, delivery_id: str) -> AsyncIterator[None]:
        """Hold while checking, signalling and remembering one delivery id."""
        lock = self._locks.setdefault(delivery_id, asyncio.Lock())
        self._waiters[delivery_id] = self._waiters.get(delivery_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[delivery_id] -= 1
            if not self._waiters[delivery_id]:
                del self._waiters[delivery_id]
                del self._locks[delivery_id]
