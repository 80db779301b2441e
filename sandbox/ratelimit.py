"""Bird's organization-wide rate limit: requests per second across every API route of the
organization (the `/_sandbox` control plane is not Bird and is never limited).

A token bucket: `burst` tokens to start with, refilled at `per_second`; a request takes one token or,
when none is left, is answered 429 with `Retry-After` (whole seconds until the next token) and
processed no further. The clock is a plain callable so a test can step it by hand.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated

from pydantic import Field, model_validator

from sandbox.wire import CamelModel


class RateLimit(CamelModel):
    per_second: Annotated[float, Field(gt=0, le=100_000)]
    # requests that may arrive at once after a quiet spell; default: one second's worth
    burst: Annotated[int, Field(ge=1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _default_burst(self) -> RateLimit:
        if self.burst is None:
            self.burst = max(1, math.ceil(self.per_second))
        return self


class TokenBucket:
    def __init__(self, limit: RateLimit | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._tokens = float(limit.burst or 1) if limit else 0.0
        self._at = clock()

    def take(self) -> float | None:
        """Take a token: None when the request may go on, else the seconds until one is free."""
        if self.limit is None:
            return None
        now = self.clock()
        capacity = float(self.limit.burst or 1)
        self._tokens = min(capacity, self._tokens + (now - self._at) * self.limit.per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.limit.per_second


def retry_after(wait: float) -> str:
    """`Retry-After` in whole seconds (HTTP allows no fractions), never 0: a client that waits
    that long finds a token."""
    return str(max(1, math.ceil(wait)))
