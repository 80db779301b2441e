"""Connecting to Temporal the same way everywhere (worker, CLI, relay): settings from the
environment, TLS or an API key for a cluster or Temporal Cloud, and the pydantic converter."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from workflows.contract import DEFAULT_TASK_QUEUE


class TemporalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    tendlc_task_queue: str = DEFAULT_TASK_QUEUE
    temporal_api_key: SecretStr | None = None
    temporal_tls_cert: str | None = None  # path to a PEM client certificate
    temporal_tls_key: str | None = None  # path to its PEM private key
    temporal_ui_url: str = "http://localhost:8233"

    def tls(self) -> TLSConfig | bool:
        if self.temporal_tls_cert and self.temporal_tls_key:
            return TLSConfig(
                client_cert=Path(self.temporal_tls_cert).read_bytes(),
                client_private_key=Path(self.temporal_tls_key).read_bytes(),
            )
        # Temporal Cloud API keys travel over TLS
        return self.temporal_api_key is not None

    def workflow_url(self, workflow_id: str) -> str:
        return f"{self.temporal_ui_url.rstrip('/')}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"


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
