"""Every environment variable the processes read, each declared once, in one naming style: a field
is its variable's name lowercased (`BIRD_ACCESS_KEY` -> `bird_access_key`); the README's
configuration table lists them all.

Small groups, one per concern, composed by inheritance into one model per kind of process:
`WorkerSettings`, `RelaySettings`, `StarterSettings` (the `tendlc` commands people type) and
`SandboxSettings`. A `.env` file may set the same names; every model reads it and ignores what is
not its own. Built only in entry points; tests pass values and `_env_file=None`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import TLSConfig

from bird.client import DEFAULT_BASE_URL, DEFAULT_READINESS_PATH, BirdClient
from bird.signing import DEFAULT_MAX_AGE_SECONDS
from workflows.contract import DEFAULT_TASK_QUEUE, bird_task_queue_for
from workflows.inputs import (
    DEFAULT_POLL_MAX_SECONDS,
    DEFAULT_POLL_MIN_SECONDS,
    MAX_POLL_MAX_SECONDS,
    MAX_POLL_MIN_SECONDS,
    PollSettings,
)

MIB = 1024 * 1024


class _FromEnvironment(BaseSettings):
    # One `.env` serves every process, so each model ignores the others' names; an empty value
    # (`BIRD_WORKSPACE_ID=` in compose) means unset.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)


# -- the groups ---------------------------------------------------------------------------------


class TemporalSettings(_FromEnvironment):
    """Where Temporal is and how to reach it: TLS or an API key for a cluster or Temporal Cloud."""

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

    @property
    def bird_task_queue(self) -> str:
        """The Bird activities' own task queue (`<TENDLC_TASK_QUEUE>-bird`), paced by its rate limit."""
        return bird_task_queue_for(self.tendlc_task_queue)

    def workflow_url(self, workflow_id: str) -> str:
        return f"{self.temporal_ui_url.rstrip('/')}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"


class PacingSettings(_FromEnvironment):
    """How fast all workers together may call Bird: Bird's quota is per organization, not per worker."""

    # Bird requests per second for every worker together; enforced by Temporal's task-queue rate
    # limit on the Bird activities' queue (worker/main.py), so adding workers does not raise it.
    tendlc_bird_rate_limit: float = Field(default=20.0, gt=0)


class BirdApiSettings(_FromEnvironment):
    """How to call Bird: where, with which key, and how long to wait for an answer."""

    bird_api_base_url: str = DEFAULT_BASE_URL
    bird_access_key: SecretStr | None = None
    bird_readiness_path: str = DEFAULT_READINESS_PATH
    bird_timeout_seconds: float = 30.0

    def bird_client(self, **kw: Any) -> BirdClient:
        """A `BirdClient` with these settings; `kw` as `BirdClient` takes them (observer, transport).
        Raises `ValueError` naming BIRD_ACCESS_KEY when it is not set."""
        key = self.bird_access_key.get_secret_value() if self.bird_access_key else ""
        return BirdClient(
            key,
            base_url=self.bird_api_base_url,
            readiness_path=self.bird_readiness_path,
            timeout=self.bird_timeout_seconds,
            **kw,
        )


class BirdAccountSettings(_FromEnvironment):
    """The workspace and organization of requests (and commands) that do not name their own."""

    bird_workspace_id: str | None = None
    bird_organization_id: str | None = None


class WebhookSettings(_FromEnvironment):
    """Bird's webhook deliveries: where Bird posts them and the keys they are signed with."""

    # The exact URL Bird was given in the webhook subscriptions. It is part of every signature, so
    # behind a proxy or tunnel it is the public https URL, not the address the relay listens on.
    relay_public_url: str | None = None
    # The key the subscriptions are signed with (also what `tendlc webhooks setup` sends to Bird).
    bird_signing_key: SecretStr | None = None
    # Further accepted keys, comma-separated: the old key while a rotation is under way.
    relay_signing_keys: SecretStr | None = None

    def signing_keys(self) -> list[str]:
        """Every accepted key, `BIRD_SIGNING_KEY` first, without blanks or repeats."""
        keys: list[str] = []
        if self.bird_signing_key is not None:
            keys.append(self.bird_signing_key.get_secret_value().strip())
        if self.relay_signing_keys is not None:
            keys.extend(k.strip() for k in self.relay_signing_keys.get_secret_value().split(","))
        return list(dict.fromkeys(k for k in keys if k))


class PollingSettings(_FromEnvironment):
    """Fallback polling while an approval is awaited; the workflow receives it in its input."""

    # Positive and finite, with a ceiling (a year): each becomes a timer in the workflow.
    tendlc_poll_min_seconds: float = Field(
        default=DEFAULT_POLL_MIN_SECONDS, gt=0, le=MAX_POLL_MIN_SECONDS, allow_inf_nan=False
    )
    tendlc_poll_max_seconds: float = Field(
        default=DEFAULT_POLL_MAX_SECONDS, gt=0, le=MAX_POLL_MAX_SECONDS, allow_inf_nan=False
    )

    def poll(self) -> PollSettings:
        return PollSettings(min_seconds=self.tendlc_poll_min_seconds, max_seconds=self.tendlc_poll_max_seconds)


class NotifySettings(_FromEnvironment):
    """Where a person is told that an onboarding needs them, is DONE or CANCELLED (Standard
    Webhooks); read by the worker only, so neither the URL nor the secret enters workflow history."""

    tendlc_notify_url: str | None = None  # unset: no notifications
    tendlc_notify_secret: SecretStr | None = None  # whsec_<base64 key>: signs every notification
    tendlc_notify_timeout_seconds: float = Field(default=10.0, gt=0)


# -- one model per kind of process --------------------------------------------------------------


class WorkerSettings(TemporalSettings, BirdApiSettings, PacingSettings, NotifySettings):
    """`tendlc worker`: Temporal, Bird's API and its pace, notifications, and the worker's own knobs."""

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
    # Loopback unless told otherwise, like the relay: metrics name onboardings and steps. A
    # container publishing the port listens on 0.0.0.0 (docker-compose.yml: --metrics-host).
    tendlc_metrics_host: str = "127.0.0.1"
    tendlc_metrics_interval_seconds: float = Field(default=15.0, gt=0)


class RelayConfigError(ValueError):
    """The relay cannot start as configured; the message names each setting to fix."""


class RelaySettings(TemporalSettings, WebhookSettings):
    """`tendlc relay`: Temporal, the webhook URL and keys, and the relay's own limits."""

    # Bird retries a failed delivery with its original timestamp for about a day.
    relay_max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    relay_max_body_bytes: int = MIB
    # How long to keep looking for the onboarding that owns an object: search attributes become
    # visible a little after the workflow records them, and an event can beat the recording.
    relay_lookup_retry_seconds: float = 5.0
    # Bound on each Temporal call (connect, lookup, signal); past it the delivery gets a 503.
    relay_temporal_timeout_seconds: float = 10.0
    # Delivery ids remembered to answer repeated deliveries without a second signal.
    relay_dedupe_size: int = 10_000
    # The HTTP server's limits (relay/server.py): a connection must finish its request headers
    # within this long, an idle kept-alive connection is closed after this long, a request head may
    # be this large, and past this many connections and requests in flight the answer is a 503.
    relay_header_timeout_seconds: float = Field(default=10.0, gt=0)
    relay_keep_alive_seconds: int = Field(default=5, ge=1)
    relay_max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    relay_max_connections: int = Field(default=200, ge=1)

    def check(self) -> None:
        """Raise `RelayConfigError` naming every setting that stops the relay from verifying."""
        problems: list[str] = []
        url = self.relay_public_url or ""
        if not url:
            problems.append("RELAY_PUBLIC_URL is not set (the URL Bird posts to, as given in the subscriptions)")
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"RELAY_PUBLIC_URL is not an absolute http(s) URL: {url!r}")
        if not self.signing_keys():
            problems.append("BIRD_SIGNING_KEY is not set (and RELAY_SIGNING_KEYS names no other key)")
        if self.relay_max_body_bytes <= 0:
            problems.append("RELAY_MAX_BODY_BYTES must be positive")
        if self.relay_max_age_seconds <= 0:
            problems.append("RELAY_MAX_AGE_SECONDS must be positive")
        if self.relay_lookup_retry_seconds < 0:
            problems.append("RELAY_LOOKUP_RETRY_SECONDS must not be negative")
        if self.relay_dedupe_size < 0:
            problems.append("RELAY_DEDUPE_SIZE must not be negative")
        if problems:
            raise RelayConfigError("; ".join(problems))


class StarterSettings(TemporalSettings, BirdApiSettings, BirdAccountSettings, PollingSettings, WebhookSettings):
    """The `tendlc` commands people type (start, status, webhooks setup, demo ...): all of the above
    but the long-running processes' own knobs."""


class SandboxSettings(BirdApiSettings, BirdAccountSettings):
    """`tendlc sandbox`: the fake Bird takes the key, ids and readiness path its clients use, so one
    environment configures both sides. Its flags override these, and these a `--config` file."""
