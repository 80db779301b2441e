"""Signed deliveries as Bird sends them, and a relay app to post them to, in-process."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from bird.signing import signed_headers
from relay.app import WEBHOOK_PATH, create_app
from runtime.settings import RelaySettings

PUBLIC_URL = "https://relay.example.com/webhooks/bird"
KEY = "current-signing-key"
OLD_KEY = "previous-signing-key"
BRAND_ID = "7f0c3a52-9f3e-4d55-8a4a-0b5f5a3e2b11"


def relay_settings(**overrides: Any) -> RelaySettings:
    values: dict[str, Any] = dict(
        relay_public_url=PUBLIC_URL,
        bird_signing_key=KEY,
        relay_signing_keys=None,
        relay_lookup_retry_seconds=0,
        relay_temporal_timeout_seconds=2,
    )
    values.update(overrides)
    return RelaySettings(_env_file=None, **values)


def envelope(service: str, event: str, payload: dict[str, Any]) -> bytes:
    return json.dumps({"service": service, "event": event, "payload": payload}).encode()


def brand_event(brand_id: str = BRAND_ID, status: str = "APPROVED", updated_at: str = "2025-03-27T09:00:00Z") -> bytes:
    # Bird's 10DLC events page, trimmed
    return envelope("numbers", "10dlc.brand", {
        "id": brand_id, "status": status, "displayName": "Acme SMS", "ein": "123456789", "updatedAt": updated_at,
    })  # fmt: skip


def signed(body: bytes, *, key: str = KEY, url: str = PUBLIC_URL, timestamp: int | None = None) -> dict[str, str]:
    headers = signed_headers(key, int(time.time()) if timestamp is None else timestamp, url, body)
    return {**headers, "content-type": "application/json"}


async def post(app: Any, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    # The relay is reached at an internal address: the signature is over the public URL regardless.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.internal:8788") as client:
        return await client.post(WEBHOOK_PATH, content=body, headers=headers or {})


async def get(app: Any, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.internal:8788") as client:
        return await client.get(path)


def app_with(temporal: Any, **overrides: Any) -> Any:
    return create_app(relay_settings(**overrides), client=temporal)
