"""Driving the sandbox in-process from tests, without a server or a socket.

    app = create_app(SandboxConfig.instant())
    async with running(app):
        async with bird_client(app) as bird:
            brand = await bird.create_brand(WORKSPACE, body)
        await settle(app)   # let zero-delay reviews and their webhooks finish

`transport(app)` is `httpx.ASGITransport` plus one thing: the sandbox's "dropped connection"
fault reaches the client as `httpx.RemoteProtocolError`, as it does from a real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from bird.client import BirdClient
from sandbox.core import Sandbox
from sandbox.routing import ConnectionDropped

BASE_URL = "http://sandbox.test"


class SandboxTransport(httpx.ASGITransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped:
            message = "Server disconnected without sending a complete response"
            raise httpx.RemoteProtocolError(message, request=request) from None


def transport(app: FastAPI) -> httpx.AsyncBaseTransport:
    return SandboxTransport(app=app)


def sandbox_of(app: FastAPI) -> Sandbox:
    return app.state.sandbox


def bird_client(app: FastAPI, **kw: Any) -> BirdClient:
    """A `BirdClient` talking to the in-process sandbox with its access key."""
    key = sandbox_of(app).config.access_key.get_secret_value()
    return BirdClient(kw.pop("access_key", key), base_url=BASE_URL, transport=transport(app), **kw)


def control_client(app: FastAPI) -> httpx.AsyncClient:
    """A plain client for the `/_sandbox/...` control plane."""
    return httpx.AsyncClient(transport=transport(app), base_url=BASE_URL)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[Sandbox]:
    """Start the sandbox's background work (what uvicorn's lifespan does) and stop it after."""
    sandbox = sandbox_of(app)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def settle(app: FastAPI, timeout: float = 5.0) -> None:
    """Wait until every scheduled transition has run and every webhook delivery has ended."""
    await sandbox_of(app).settle(timeout)
