"""The relay's settings, from the environment (or `.env`), named as in DESIGN.md where it names them."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bird.signing import DEFAULT_MAX_AGE_SECONDS

MIB = 1024 * 1024


class RelayConfigError(ValueError):
    """The relay cannot start as configured; the message names each setting to fix."""


class RelaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    # The exact URL Bird was given in the webhook subscriptions. It is part of every signature, so
    # behind a proxy or tunnel it is the public https URL, not the address the relay listens on.
    relay_public_url: str | None = None
    # The key the subscriptions are signed with (also what `tendlc webhooks setup` sends to Bird).
    bird_signing_key: SecretStr | None = None
    # Further accepted keys, comma-separated: the old key while a rotation is under way.
    relay_signing_keys: SecretStr | None = None
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

    def signing_keys(self) -> list[str]:
        """Every accepted key, `BIRD_SIGNING_KEY` first, without blanks or repeats."""
        keys: list[str] = []
        if self.bird_signing_key is not None:
            keys.append(self.bird_signing_key.get_secret_value().strip())
        if self.relay_signing_keys is not None:
            keys.extend(k.strip() for k in self.relay_signing_keys.get_secret_value().split(","))
        return list(dict.fromkeys(k for k in keys if k))

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
