"""The error table: each HTTP outcome becomes the exception that says what to do next."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from bird.client import BirdClient
from bird.errors import (
    BirdBadRequest,
    BirdConflict,
    BirdFinalError,
    BirdForbidden,
    BirdNetworkError,
    BirdNotFound,
    BirdRateLimited,
    BirdRetryableError,
    BirdServerError,
    BirdUnauthorized,
    BirdValidationError,
    field_errors_from,
    parse_retry_after,
)

WS = "11111111-1111-4111-8111-111111111111"


def client_answering(handler) -> BirdClient:
    return BirdClient("the-secret-key", base_url="https://bird.test", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    "status, expected, retryable",
    [
        (400, BirdBadRequest, False),
        (401, BirdUnauthorized, False),
        (403, BirdForbidden, False),
        (404, BirdNotFound, False),
        (409, BirdConflict, False),
        (422, BirdValidationError, False),
        (429, BirdRateLimited, True),
        (500, BirdServerError, True),
        (502, BirdServerError, True),
        (503, BirdServerError, True),
        (504, BirdServerError, True),
        (410, BirdFinalError, False),
    ],
)
async def test_status_maps_to_exception(status, expected, retryable):
    client = client_answering(lambda r: httpx.Response(status, json={"code": "some_code", "message": "went wrong"}))
    with pytest.raises(expected) as info:
        await client.get_brand(WS, "b1")
    err = info.value
    assert type(err) is expected
    assert err.retryable is retryable
    assert isinstance(err, BirdRetryableError if retryable else BirdFinalError)
    assert err.status == status and err.operation == "get_brand" and err.code == "some_code"
    assert "get_brand" in str(err) and str(status) in str(err)
    assert "the-secret-key" not in str(err)


async def test_422_keeps_birds_field_errors_structured():
    answer = {
        "code": "validation_failed",
        "message": "Invalid campaign",
        "details": {"errors": [{"field": "description", "message": "too short"},
                               {"field": "samples", "message": "at most 5"}]},
    }  # fmt: skip
    client = client_answering(lambda r: httpx.Response(422, json=answer))
    with pytest.raises(BirdValidationError) as info:
        await client.get_campaign(WS, "b", "c")
    assert info.value.field_errors == {"description": ["too short"], "samples": ["at most 5"]}
    assert info.value.details == answer["details"]


@pytest.mark.parametrize(
    "details, expected",
    [
        (None, {}),
        ({"errors": [{"field": "ein", "message": "bad"}]}, {"ein": ["bad"]}),
        ({"fieldErrors": {"ein": ["bad", "short"]}}, {"ein": ["bad", "short"]}),
        ({"ein": "bad"}, {"ein": ["bad"]}),
    ],
)
def test_field_error_shapes(details, expected):
    assert field_errors_from(details) == expected


async def test_a_body_that_is_not_json_still_maps_by_status():
    client = client_answering(lambda r: httpx.Response(503, text="<html>upstream down</html>"))
    with pytest.raises(BirdServerError) as info:
        await client.get_brand(WS, "b1")
    assert info.value.code == ""


async def test_retry_after_in_seconds():
    client = client_answering(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={}))
    with pytest.raises(BirdRateLimited) as info:
        await client.get_brand(WS, "b1")
    assert info.value.retry_after == 7.0


async def test_retry_after_as_http_date():
    import time

    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    client = client_answering(lambda r: httpx.Response(429, headers={"Retry-After": when}, json={}))
    with pytest.raises(BirdRateLimited) as info:
        await client.get_brand(WS, "b1")
    assert 115 <= info.value.retry_after <= 121


def test_retry_after_parsing_edges():
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("0") == 0.0
    # a date in the past means "now", never a negative delay
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1_800_000_000) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 30) == 30.0


async def test_429_without_retry_after():
    client = client_answering(lambda r: httpx.Response(429))
    with pytest.raises(BirdRateLimited) as info:
        await client.get_brand(WS, "b1")
    assert info.value.retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused to https://bird.test/secret"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
)
async def test_transport_failures_are_retryable_network_errors(exc):
    def boom(request):
        raise exc

    with pytest.raises(BirdNetworkError) as info:
        await client_answering(boom).get_brand(WS, "b1")
    assert info.value.retryable
    assert type(exc).__name__ in str(info.value)
    assert "bird.test" not in str(info.value)


async def test_a_2xx_that_is_not_json_is_a_retryable_server_fault():
    client = client_answering(lambda r: httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(BirdServerError):
        await client.get_brand(WS, "b1")
