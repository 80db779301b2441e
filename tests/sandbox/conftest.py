from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bird.client import BirdClient
from sandbox import SandboxConfig, create_app
from sandbox.core import Sandbox
from sandbox.testing import bird_client, control_client, sandbox_of
from tests.sandbox.helpers import Receiver


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def make_app(receiver: Receiver) -> AsyncIterator[Callable[..., FastAPI]]:
    """Build a started in-process sandbox (no delays; webhooks go to `receiver`); stopped after the test."""
    started: list[Sandbox] = []

    def make(*, transport: httpx.AsyncBaseTransport | None = None, **config: Any) -> FastAPI:
        app = create_app(SandboxConfig.instant(**config), delivery_transport=transport or receiver.transport)
        started.append(sandbox_of(app))
        return app

    yield make
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
async def bird(app: FastAPI) -> AsyncIterator[BirdClient]:
    async with bird_client(app) as client:
        yield client


@pytest.fixture
async def control(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with control_client(app) as client:
        yield client
