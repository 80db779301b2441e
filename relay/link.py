"""The relay's connection to Temporal, and the one error every Temporal trouble becomes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError


class TemporalUnavailable(Exception):
    """Temporal could not be reached or did not answer; the delivery must be retried later."""


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


def describe(exc: BaseException) -> str:
    """An RPC failure as `STATUS message` (no request content), anything else by its type."""
    if isinstance(exc, RPCError):
        return f"{exc.status.name} {exc.message}"
    return type(exc).__name__
