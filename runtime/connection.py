"""Connecting to Temporal the same way everywhere (worker, CLI, relay, tests, benchmarks): the
settings' address, namespace, TLS or API key, and the pydantic converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from runtime.settings import TemporalSettings


async def connect(settings: TemporalSettings | None = None, *, runtime: Runtime | None = None) -> Client:
    settings = settings or TemporalSettings()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=settings.tls(),
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
