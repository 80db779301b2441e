"""What nobody outside can do to the relay: wedge a workflow with an odd event (400 before any
signal), get a 500 (a 401 for a timestamp nobody signed), make copies of one delivery queue behind
each other, or hold a connection open without finishing its headers."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import uvicorn

from bird.signing import sign
from relay.server import server_config
from tests.relay.fakes import FakeTemporal
from tests.relay.helpers import BRAND_ID, KEY, PUBLIC_URL, app_with, brand_event, envelope, post, relay_settings, signed

WORKFLOW_ID = "onboarding-acme-sms"
CONNECTOR_ID = "c0c0c0c0-0000-4000-8000-000000000001"


@pytest.fixture
def temporal() -> FakeTemporal:
    fake = FakeTemporal()
    fake.add(WORKFLOW_ID, BirdBrandId=BRAND_ID, BirdConnectorId=CONNECTOR_ID)
    return fake


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": BRAND_ID, "status": "APPROVED", "updatedAt": 1743066000}, "payload.updatedAt"),
        ({"id": BRAND_ID, "status": "APPROVED", "updatedAt": ["2025-03-27T09:00:00Z"]}, "payload.updatedAt"),
        ({"id": BRAND_ID, "status": "APPROVED", "updatedAt": "2025-03-27T09:00:00"}, "payload.updatedAt"),
        ({"id": BRAND_ID, "status": "APPROVED", "updatedAt": "yesterday"}, "payload.updatedAt"),
        ({"id": 12345, "status": "APPROVED"}, "payload.id"),
        ({"id": BRAND_ID, "status": {"value": "APPROVED"}}, "payload.status"),
    ],
    ids=["time as number", "time as list", "time without zone", "not a time", "id as number", "status as object"],
)
async def test_a_brand_event_of_the_wrong_shape_gets_400_and_no_signal(temporal, payload, field, caplog):
    caplog.set_level("WARNING", logger="relay")
    body = envelope("numbers", "10dlc.brand", payload)
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 400
    assert response.json() == {"outcome": "malformed_event"}
    assert temporal.signals == []
    assert any(f"reason=\"{field}:" in r.getMessage() for r in caplog.records)


async def test_a_channel_event_whose_connector_id_is_a_number_gets_400_not_500(temporal):
    body = envelope("channels", "channel.updated", {"id": "ch-1", "status": "active", "connectorId": 42})
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 400
    assert temporal.signals == []


async def test_a_vetting_event_in_birds_spelling_is_checked_too(temporal):
    body = envelope("numbers", "10dlc.brandVetting", {"ID": "v-1", "Status": "APPROVED", "UpdatedAt": 5})
    assert (await post(app_with(temporal), body, signed(body))).status_code == 400


async def test_a_well_formed_channel_event_is_still_signalled(temporal):
    body = envelope("channels", "channel.updated", {"id": "ch-1", "status": "active", "connectorId": CONNECTOR_ID})
    response = await post(app_with(temporal), body, signed(body))
    assert response.json() == {"outcome": "signalled"}


@pytest.mark.parametrize("timestamp", ["9" * 400, "1e9", "-1743066000", " 1743066000", "0x67e5", "1743066000.5"])
async def test_a_malformed_timestamp_is_a_401(temporal, timestamp):
    body = brand_event()
    # signed with that very timestamp: only its form is wrong
    headers = {
        "messagebird-signature": sign(KEY, timestamp, PUBLIC_URL, body),
        "messagebird-request-timestamp": timestamp,
        "content-type": "application/json",
    }
    response = await post(app_with(temporal), body, headers)
    assert response.status_code == 401
    assert temporal.signals == []


async def test_ten_copies_of_an_unmatched_delivery_take_about_as_long_as_one(temporal):
    # An unmatched lookup retries for RELAY_LOOKUP_RETRY_SECONDS; one after another, ten copies
    # would take ten times that.
    retry = 1.0
    app = app_with(temporal, relay_lookup_retry_seconds=retry)
    body = brand_event(brand_id="00000000-0000-4000-8000-00000000dead")
    started = time.monotonic()
    responses = await asyncio.gather(*(post(app, body, signed(body)) for _ in range(10)))
    elapsed = time.monotonic() - started
    assert [r.json() for r in responses] == [{"outcome": "unmatched"}] * 10
    assert retry <= elapsed < 2 * retry, elapsed
    # one shared lookup: as many list calls as a single delivery makes
    single = FakeTemporal()
    alone = app_with(single, relay_lookup_retry_seconds=retry)
    await post(alone, body, signed(body))
    assert len(temporal.queries) == len(single.queries)


async def test_different_unmatched_deliveries_are_looked_up_side_by_side(temporal):
    retry = 1.0
    app = app_with(temporal, relay_lookup_retry_seconds=retry)
    bodies = [brand_event(brand_id=f"00000000-0000-4000-8000-00000000000{i}") for i in range(5)]
    started = time.monotonic()
    responses = await asyncio.gather(*(post(app, b, signed(b)) for b in bodies))
    assert [r.json() for r in responses] == [{"outcome": "unmatched"}] * 5
    assert time.monotonic() - started < 2 * retry


async def test_copies_of_a_delivery_while_temporal_is_down_all_get_503(temporal):
    temporal.down = True
    app = app_with(temporal)
    body = brand_event()
    responses = await asyncio.gather(*(post(app, body, signed(body)) for _ in range(3)))
    assert [r.status_code for r in responses] == [503] * 3
    temporal.down = False
    assert (await post(app, body, signed(body))).json() == {"outcome": "signalled"}


# -- the HTTP server's limits -------------------------------------------------------------------


async def _serving(settings_overrides: dict) -> tuple[uvicorn.Server, asyncio.Task, int]:
    settings = relay_settings(**settings_overrides)
    app = app_with(FakeTemporal(), **settings_overrides)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="critical"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, port


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(), seconds)
    except TimeoutError:
        return False
    return data == b"" or data.startswith(b"HTTP/1.1")


async def test_a_connection_that_never_finishes_its_headers_is_closed():
    server, task, port = await _serving({"relay_header_timeout_seconds": 0.5})
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /webhooks/bird HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
        await writer.drain()
        started = time.monotonic()
        assert await _closed_within(reader, 5)
        assert time.monotonic() - started < 2
        writer.close()
        # a silent connection is closed the same way
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await _closed_within(reader, 5)
        writer.close()
    finally:
        server.should_exit = True
        await task


async def test_an_idle_kept_alive_connection_is_closed_and_a_normal_request_still_works():
    server, task, port = await _serving({"relay_header_timeout_seconds": 5, "relay_keep_alive_seconds": 1})
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int([line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0].split(b":")[1])
        await reader.readexactly(length)
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the keep-alive timeout
        assert time.monotonic() - started < 3
        writer.close()
    finally:
        server.should_exit = True
        await task


async def test_an_oversized_request_head_is_refused():
    server, task, port = await _serving({"relay_max_header_bytes": 2048})
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # a head that keeps growing without ending: refused once it passes the limit, long before
        # the header timeout
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: " + b"a" * 8192)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 2)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:40]
        writer.close()
    finally:
        server.should_exit = True
        await task


def test_the_server_is_configured_from_the_settings():
    settings = relay_settings(relay_keep_alive_seconds=7, relay_max_header_bytes=4096, relay_max_connections=50)
    config = server_config(object(), settings, host="127.0.0.1", port=1, log_level="info")
    assert (config.timeout_keep_alive, config.h11_max_incomplete_event_size, config.limit_concurrency) == (7, 4096, 50)
    assert config.access_log is False
    assert config.http.header_timeout == settings.relay_header_timeout_seconds
