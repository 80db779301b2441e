"""Bird settings from the environment (or `.env`), named as in DESIGN.md."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.bird.com"
DEFAULT_READINESS_PATH = "/workspaces/{workspaceId}/connectors/{connectorId}/status"


class BirdSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    bird_api_base_url: str = DEFAULT_BASE_URL
    bird_access_key: SecretStr | None = None
    bird_workspace_id: str | None = None
    bird_organization_id: str | None = None
    bird_signing_key: SecretStr | None = None
    bird_readiness_path: str = DEFAULT_READINESS_PATH
    bird_timeout_seconds: float = 30.0
