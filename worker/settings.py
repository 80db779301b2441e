"""The worker's own knobs, from the environment (or `.env`); Temporal and Bird have their own settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    # Bird calls are short I/O waits; the bound keeps one worker from opening too many connections.
    tendlc_max_concurrent_activities: int = Field(default=50, ge=1)
    tendlc_max_concurrent_workflow_tasks: int = Field(default=50, ge=1)
    # On SIGTERM, activities in flight get this long to finish before they are cancelled (and then
    # retried elsewhere: every activity is safe to run again).
    tendlc_shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # A workflow's next task goes first to the worker that has it cached; if that worker died
    # without saying so (a crash, SIGKILL), the task waits this long before another worker may take it.
    tendlc_sticky_schedule_to_start_seconds: float = Field(default=10.0, gt=0)
    # Prometheus metrics (the SDK's and ours) at http://<host>:<port>/metrics; off when unset.
    tendlc_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    tendlc_metrics_host: str = "0.0.0.0"
    tendlc_metrics_interval_seconds: float = Field(default=15.0, gt=0)
