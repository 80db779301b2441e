"""Shared pieces of the sandbox tests: request bodies, a webhook receiver, waiting for a status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bird.client import BirdClient
from bird.models import BrandCreate, BuyNumbersRequest, CampaignCreate, ConnectorCreate, StockItemQuery
from sandbox.config import DEFAULT_ORGANIZATION_ID as ORG, DEFAULT_WORKSPACE_ID as WS
from sandbox.testing import settle

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "onboarding.json").read_text())
BRAND = EXAMPLE["brand"]
CAMPAIGN = EXAMPLE["campaign"]
RELAY_URL = "https://relay.example.com/webhooks/bird"
SIGNING_KEY = "test-signing-key"

__all__ = ["ORG", "WS", "BRAND", "CAMPAIGN", "RELAY_URL", "SIGNING_KEY"]


def brand_body(**changes: Any) -> BrandCreate:
    return BrandCreate.model_validate({**BRAND, **changes})


def campaign_body(**changes: Any) -> CampaignCreate:
    return CampaignCreate.model_validate({**CAMPAIGN, **changes})


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll an async or sync `check` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


async def approved_brand(app: Any, bird: BirdClient, **changes: Any) -> Any:
    """A brand, approved (the scenario must approve brands, as by default)."""
    brand = await bird.create_brand(WS, brand_body(**changes))
    await settle(app)
    return await bird.get_brand(WS, brand.id)


async def buy_number(bird: BirdClient, prefix: str = "+1415") -> Any:
    items = await bird.list_stock_items(ORG, StockItemQuery(country_codes=["US"], prefix=prefix))
    (number,) = await bird.buy_numbers(WS, BuyNumbersRequest(number_stock_item_ids=[items[0].id]))
    return number


def connector_body(number_id: str, campaign_id: str, name: str = "Acme Plumbing SMS") -> ConnectorCreate:
    return ConnectorCreate(
        name=name,
        connector_template_ref="sms-messagebird:1",
        arguments={"phoneNumberId": number_id, "useCaseId": campaign_id, "channelMessageType": "transactional"},
        channel_conversational_status_enabled=True,
    )


class Receiver:
    """An in-process webhook receiver (an ASGI app) that records every POST and answers with the
    statuses queued in `answers` (then 200)."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"path": scope["path"], "headers": headers, "body": body})
        status = self.answers.pop(0) if self.answers else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self)

    def envelopes(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]
