"""`/_sandbox/requests`: requests received per operation, which the benchmarks count Bird calls with."""

from __future__ import annotations

import pytest

from bird.errors import BirdServerError, BirdUnauthorized
from sandbox.testing import bird_client
from tests.sandbox.helpers import WS, brand_body


async def counts(control) -> dict:
    response = await control.get("/_sandbox/requests")
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_request_is_counted_under_its_operation(app, bird, control):
    assert await counts(control) == {"requests": {}, "total": 0}
    brand = await bird.create_brand(WS, brand_body())
    await bird.get_brand(WS, brand.id)
    await bird.get_brand(WS, brand.id)
    await bird.list_brands(WS)
    assert await counts(control) == {"requests": {"create_brand": 1, "get_brand": 2, "list_brands": 1}, "total": 4}


async def test_refused_and_faulted_requests_count_too(app, bird, control):
    await control.put("/_sandbox/faults", json={"routes": {"list_brands": {"sequence": ["503"]}}})
    with pytest.raises(BirdServerError):
        await bird.list_brands(WS)
    async with bird_client(app, access_key="wrong") as stranger:
        with pytest.raises(BirdUnauthorized):
            await stranger.list_brands(WS)
    assert (await counts(control))["requests"] == {"list_brands": 2}


async def test_reset_zeroes_the_counts_and_control_calls_are_not_counted(app, bird, control):
    await bird.list_brands(WS)
    await control.get("/_sandbox/ledger")
    assert (await counts(control))["total"] == 1
    await control.post("/_sandbox/reset")
    assert await counts(control) == {"requests": {}, "total": 0}
