"""Injected faults, observed through the `bird/` client as `bird/errors.py` names them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from bird.client import BirdClient
from bird.errors import BirdNetworkError, BirdRateLimited, BirdServerError, BirdValidationError
from bird.models import BuyNumbersRequest, StockItemQuery, VettingCreate
from sandbox import DEFAULT_ACCESS_KEY
from sandbox.testing import bird_client, control_client, settle
from tests.sandbox.helpers import (
    ORG,
    WS,
    approved_brand,
    brand_body,
    buy_number,
    campaign_body,
    connector_body,
    eventually,
)


async def set_faults(control: httpx.AsyncClient, seed: int | None = None, **routes) -> None:
    response = await control.put("/_sandbox/faults", json={"seed": seed, "routes": routes})
    assert response.status_code == 200, response.text


async def ledger_counts(control: httpx.AsyncClient) -> dict[str, int]:
    return (await control.get("/_sandbox/ledger")).json()["counts"]


async def test_5xx_is_retryable_and_applies_nothing(bird, control):
    await set_faults(control, create_brand={"sequence": ["503", "500"]})
    for status in (503, 500):
        with pytest.raises(BirdServerError) as failed:
            await bird.create_brand(WS, brand_body())
        assert failed.value.retryable and failed.value.status == status
    assert await bird.list_brands(WS) == []
    assert await ledger_counts(control) == {}
    assert (await bird.create_brand(WS, brand_body())).status == "PENDING"  # the sequence is used up


async def test_429_is_retryable_with_retry_after(bird, control):
    await set_faults(control, list_brands={"sequence": ["429"], "retryAfter": 7})
    with pytest.raises(BirdRateLimited) as limited:
        await bird.list_brands(WS)
    assert limited.value.retryable and limited.value.retry_after == 7.0
    assert await bird.list_brands(WS) == []


async def test_a_dropped_connection_is_a_network_error(bird, control):
    await set_faults(control, create_brand={"sequence": ["drop"]})
    with pytest.raises(BirdNetworkError) as dropped:
        await bird.create_brand(WS, brand_body())
    assert dropped.value.retryable
    assert await bird.list_brands(WS) == [] and await ledger_counts(control) == {}


async def test_latency_is_added(bird, control):
    await set_faults(control, list_brands={"latency": 0.2})
    started = time.monotonic()
    await bird.list_brands(WS)
    assert time.monotonic() - started >= 0.2


# Each billable create, with what it needs in place first; returns (create, list) coroutines.
async def _numbers(app, bird):
    item = (await bird.list_stock_items(ORG, StockItemQuery(country_codes=["US"])))[0]
    return (
        lambda: bird.buy_numbers(WS, BuyNumbersRequest(number_stock_item_ids=[item.id])),
        lambda: bird.list_numbers(WS),
    )


async def _brand(app, bird):
    return lambda: bird.create_brand(WS, brand_body()), lambda: bird.list_brands(WS)


async def _vetting(app, bird):
    brand = await bird.create_brand(WS, brand_body())
    body = VettingCreate.model_validate({"class": "STANDARD"})
    return lambda: bird.create_vetting(WS, brand.id, body), lambda: bird.list_vettings(WS, brand.id)


async def _campaign(app, bird):
    brand = await approved_brand(app, bird)
    return lambda: bird.create_campaign(WS, brand.id, campaign_body()), lambda: bird.list_campaigns(WS, brand.id)


async def _connector(app, bird):
    number = await buy_number(bird)
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    return lambda: bird.create_connector(WS, connector_body(number.id, campaign.id)), lambda: bird.list_connectors(WS)


BILLABLE = {
    "buy_numbers": ("number", _numbers),
    "create_brand": ("brand", _brand),
    "create_vetting": ("vetting", _vetting),
    "create_campaign": ("campaign", _campaign),
    "create_connector": ("connector", _connector),
}


@pytest.mark.parametrize("then", ["500", "drop"])
@pytest.mark.parametrize("operation", sorted(BILLABLE))
async def test_commit_then_fail_leaves_one_object_and_one_charge(app, bird, control, operation, then):
    kind, prepare = BILLABLE[operation]
    create, listing = await prepare(app, bird)
    before = await ledger_counts(control)
    await set_faults(control, **{operation: {"sequence": [f"commit-then-{then}"]}})
    with pytest.raises(BirdServerError if then == "500" else BirdNetworkError) as failed:
        await create()
    assert failed.value.retryable  # the caller cannot tell it was applied: it must look before retrying
    assert len(await listing()) == 1
    after = await ledger_counts(control)
    assert after[kind] - before.get(kind, 0) == 1
    assert {k: v for k, v in after.items() if k != kind} == {k: v for k, v in before.items() if k != kind}


async def test_retrying_a_committed_purchase_finds_the_item_gone(bird, control):
    await set_faults(control, buy_numbers={"sequence": ["commit-then-500"]})
    item = (await bird.list_stock_items(ORG, StockItemQuery(country_codes=["US"])))[0]
    body = BuyNumbersRequest(number_stock_item_ids=[item.id])
    with pytest.raises(BirdServerError):
        await bird.buy_numbers(WS, body)
    with pytest.raises(BirdValidationError) as gone:
        await bird.buy_numbers(WS, body)
    assert not gone.value.retryable and "numberStockItemIds" in gone.value.field_errors
    assert len(await bird.list_numbers(WS)) == 1


async def _outcomes(app, seed: int, calls: int = 40) -> list[str]:
    async with bird_client(app) as bird, control_client(app) as control:
        await set_faults(control, seed=seed, **{"*": {"rates": {"503": 0.3, "429": 0.2, "drop": 0.1}}})
        out = []
        for _ in range(calls):
            try:
                await bird.list_brands(WS)
                out.append("ok")
            except (BirdServerError, BirdRateLimited, BirdNetworkError) as exc:
                out.append(type(exc).__name__)
        return out


async def test_rates_are_reproducible_from_the_seed(make_app):
    first = await _outcomes(make_app(), seed=7)
    again = await _outcomes(make_app(), seed=7)
    other = await _outcomes(make_app(), seed=8)
    assert first == again != other
    assert {"ok", "BirdServerError", "BirdRateLimited", "BirdNetworkError"} == set(first)


async def test_fault_settings_are_validated(control):
    unknown = await control.put("/_sandbox/faults", json={"routes": {"create_brnad": {}}})
    assert unknown.status_code == 422 and "routes.create_brnad: not an operation" in unknown.json()["message"]
    bad_token = await control.put("/_sandbox/faults", json={"routes": {"get_brand": {"sequence": ["418"]}}})
    (error,) = bad_token.json()["details"]["errors"]
    assert error["field"] == "routes.get_brand.sequence.0" and error["message"].startswith("'418' is not a fault")
    too_much = await control.put("/_sandbox/faults", json={"routes": {"*": {"rates": {"500": 0.7, "429": 0.5}}}})
    assert too_much.status_code == 422 and "add up to more than 1" in too_much.json()["message"]


@asynccontextmanager
async def serving(app) -> AsyncIterator[str]:
    """The app under a real uvicorn server on a free port, in this event loop."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done())
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_dropped_connections_under_uvicorn(app, control):
    async with serving(app) as base_url, BirdClient(DEFAULT_ACCESS_KEY, base_url=base_url, timeout=5) as bird:
        await set_faults(control, get_brand={"sequence": ["drop"]}, create_brand={"sequence": ["commit-then-drop"]})
        with pytest.raises(BirdNetworkError) as dropped:
            await bird.create_brand(WS, brand_body())
        assert "RemoteProtocolError" in str(dropped.value)
        (brand,) = await bird.list_brands(WS)  # the create was applied all the same
        with pytest.raises(BirdNetworkError):
            await bird.get_brand(WS, brand.id)
        assert (await bird.get_brand(WS, brand.id)).id == brand.id  # and the next call is fine
    assert await ledger_counts(control) == {"brand": 1}
