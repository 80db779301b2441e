"""The relay's HTTP server: uvicorn with every limit set, so that slow or idle connections cannot hold
it open (uvicorn's defaults leave a connection that never finishes its headers open for ever).

uvicorn 0.5x has the keep-alive timeout (`timeout_keep_alive`), a cap on the size of an incomplete
request head (`h11_max_incomplete_event_size`) and a cap on connections plus requests in flight
(`limit_concurrency`, 503 beyond it), but no timeout for reading a request's headers: `HeaderTimeout`
adds one to uvicorn's h11 protocol.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from runtime.settings import RelaySettings


class HeaderTimeout(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not complete within
    `header_timeout` seconds of the connection opening (or of the first byte of a later request
    on a kept-alive connection)."""

    header_timeout = 10.0  # set per server by `server_config`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._start_head_timer()

    def data_received(self, data: bytes) -> None:
        if self._between_requests():
            self._start_head_timer()  # a later request on a kept-alive connection begins
        super().data_received(data)
        if not self._between_requests():
            self._stop_head_timer()  # its head is complete: uvicorn started a request cycle

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _start_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()


def server_config(app: Any, settings: RelaySettings, *, host: str, port: int, log_level: str) -> uvicorn.Config:
    """uvicorn's configuration for the relay, its limits from `settings` (RELAY_* in the README)."""
    protocol = type("RelayHTTP", (HeaderTimeout,), {"header_timeout": settings.relay_header_timeout_seconds})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # the relay logs every delivery itself; an access line would repeat each
        http=protocol,
        timeout_keep_alive=settings.relay_keep_alive_seconds,
        h11_max_incomplete_event_size=settings.relay_max_header_bytes,
        limit_concurrency=settings.relay_max_connections,
    )
