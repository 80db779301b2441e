"""Webhook deliveries: Bird's envelope and signature, retries keeping the timestamp, delivery
routes, filters, and the drop / duplicate / reorder / delay faults."""

from __future__ import annotations

import json
import time

import pytest

from bird.errors import BirdValidationError
from bird.events import SUBSCRIBED_EVENTS, describe_event
from bird.models import VettingCreate, WebhookSubscriptionCreate
from bird.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from sandbox.testing import bird_client, control_client, settle
from tests.sandbox.helpers import (
    ORG,
    RELAY_URL,
    SIGNING_KEY,
    WS,
    Receiver,
    approved_brand,
    brand_body,
    buy_number,
    campaign_body,
    connector_body,
)

BRAND_EVENTS = WebhookSubscriptionCreate(service="numbers", event="10dlc.brand", url=RELAY_URL, signing_key=SIGNING_KEY)


def check_signature(request: dict, key: str = SIGNING_KEY, url: str = RELAY_URL) -> None:
    verify(
        [key],
        signature=request["headers"].get(SIGNATURE_HEADER),
        timestamp=request["headers"].get(TIMESTAMP_HEADER),
        url=url,
        body=request["body"],
        now=time.time(),
    )


async def deliveries(control, **params) -> list[dict]:
    return (await control.get("/_sandbox/deliveries", params=params)).json()["deliveries"]


async def test_deliveries_verify_with_birds_signature_and_fail_with_a_wrong_key(app, bird, receiver):
    await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
    brand = await bird.create_brand(WS, brand_body())
    await settle(app)
    assert [e["payload"]["status"] for e in receiver.envelopes()] == ["PENDING", "APPROVED"]
    for request in receiver.requests:
        check_signature(request)
        assert request["headers"]["content-type"] == "application/json"
        with pytest.raises(SignatureError):
            check_signature(request, key="not-the-key")
        with pytest.raises(SignatureError):
            check_signature(request, url="https://elsewhere.example.com/webhooks/bird")
    envelope = receiver.envelopes()[-1]
    assert (envelope["service"], envelope["event"], envelope["payload"]["id"]) == ("numbers", "10dlc.brand", brand.id)


async def test_a_failing_receiver_gets_retries_with_the_original_timestamp(make_app, control):
    receiver = Receiver(503, 500, 502)
    app = make_app(transport=receiver.transport)
    async with bird_client(app) as bird, control_client(app) as control:
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        await bird.create_brand(WS, brand_body())
        await settle(app)
        (delivery,) = await deliveries(control)
    assert len(receiver.requests) == 4
    assert len({r["headers"][TIMESTAMP_HEADER] for r in receiver.requests}) == 1
    assert len({r["headers"][SIGNATURE_HEADER] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1
    for request in receiver.requests:
        check_signature(request)
    assert delivery["status"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [503, 500, 502, 200]
    assert {a["timestamp"] for a in delivery["attempts"]} == {delivery["timestamp"]}


async def test_retries_end_after_the_retry_window(make_app):
    receiver = Receiver(*[503] * 100)
    retries = {"retry_initial": 0.02, "retry_max_interval": 0.05, "retry_for": 0.3}
    app = make_app(transport=receiver.transport, webhooks=retries)
    async with bird_client(app) as bird, control_client(app) as control:
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        await bird.create_brand(WS, brand_body())
        await settle(app)
        (delivery,) = await deliveries(control)
    assert delivery["status"] == "failed" and 3 <= len(delivery["attempts"]) < 30


async def test_a_network_error_is_retried_too(make_app):
    class Unreachable(Receiver):
        async def __call__(self, scope, receive, send):
            raise ConnectionError("receiver down")

    retries = {"retry_initial": 0.02, "retry_max_interval": 0.02, "retry_for": 0.1}
    app = make_app(transport=Unreachable().transport, webhooks=retries)
    async with bird_client(app) as bird, control_client(app) as control:
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        await bird.create_brand(WS, brand_body())
        await settle(app)
        (delivery,) = await deliveries(control)
    assert delivery["status"] == "failed"
    assert {a["error"] for a in delivery["attempts"]} == {"ConnectionError"} and len(delivery["attempts"]) > 1


async def test_a_delivery_route_posts_elsewhere_but_signs_for_the_subscription_url(app, bird, control, receiver):
    routes = {RELAY_URL: "http://127.0.0.1:8788/webhooks/bird"}
    assert (await control.put("/_sandbox/delivery-routes", json=routes)).json() == routes
    await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
    await bird.create_brand(WS, brand_body())
    await settle(app)
    for request in receiver.requests:
        assert request["headers"]["host"] == "127.0.0.1:8788"
        check_signature(request)  # over RELAY_URL, not the address it was posted to
    assert {d["target"] for d in await deliveries(control)} == {routes[RELAY_URL]}


async def test_bird_only_posts_to_public_https_urls(bird):
    local = ("http://relay.example.com/webhooks/bird", "https://localhost:8788/webhooks/bird", "https://127.0.0.1/x")
    for url in local:
        body = WebhookSubscriptionCreate.model_construct(service="numbers", event="10dlc.brand", url=url)
        with pytest.raises(BirdValidationError) as refused:
            await bird.create_webhook_subscription(ORG, WS, body)
        assert list(refused.value.field_errors) == ["url"]


async def test_each_subscribed_event_reaches_its_subscription_and_describes_its_object(app, bird, control, receiver):
    for service, event in SUBSCRIBED_EVENTS:
        await bird.create_webhook_subscription(
            ORG, WS, WebhookSubscriptionCreate(service=service, event=event, url=RELAY_URL, signing_key=SIGNING_KEY)
        )
    brand = await bird.create_brand(WS, brand_body())
    vetting = await bird.create_vetting(WS, brand.id, VettingCreate.model_validate({"class": "STANDARD"}))
    await settle(app)
    vetting_events = [e for e in receiver.envelopes() if e["payload"].get("ID") == vetting.id]
    assert [e["event"] for e in vetting_events] == ["10dlc.brandVetting", "10dlc.brandVetting"]
    payload = vetting_events[-1]["payload"]
    assert (payload["Status"], payload["BrandID"], payload["Reasons"]) == ("APPROVED", brand.id, None)
    for envelope in receiver.envelopes():
        ref = describe_event(envelope["service"], envelope["event"], envelope["payload"])
        assert ref is not None and ref.object_id in (brand.id, vetting.id)


async def test_channel_filters_are_applied(app, bird, receiver):
    other_channel = "5a4d0b1e-0000-4000-8000-0000000c4a77"
    filtered = WebhookSubscriptionCreate.model_validate(
        dict(service="channels", event="channel.updated", url=RELAY_URL, signingKey=SIGNING_KEY,
             eventFilters=[{"key": "channelId", "value": other_channel}])
    )  # fmt: skip
    await bird.create_webhook_subscription(ORG, WS, filtered)
    number = await buy_number(bird)
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    await bird.create_connector(WS, connector_body(number.id, campaign.id))
    await settle(app)
    assert receiver.requests == []


async def subscribe_and_create(app, count: int) -> list[str]:
    """Subscribe to brand events, create `count` held brands; their PENDING events in creation order."""
    async with bird_client(app) as bird, control_client(app) as control:
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        ids = [(await bird.create_brand(WS, brand_body(displayName=f"Brand {i}"))).id for i in range(count)]
        await settle(app)
    return ids


async def set_webhook_faults(app, **faults):
    async with control_client(app) as control:
        response = await control.put("/_sandbox/faults", json={"webhooks": faults})
        assert response.status_code == 200, response.text


async def test_webhook_drop(app, control, receiver):
    await set_webhook_faults(app, drop=1)
    await subscribe_and_create(app, 2)
    assert receiver.requests == []
    assert {d["status"] for d in await deliveries(control)} == {"dropped"}


async def test_webhook_duplicate(app, control, receiver):
    await set_webhook_faults(app, duplicate=1)
    (brand_id,) = await subscribe_and_create(app, 1)
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["headers"][SIGNATURE_HEADER] == second["headers"][SIGNATURE_HEADER]
    twin, original = sorted(await deliveries(control), key=lambda d: d["duplicateOf"] is None)
    assert twin["duplicateOf"] == original["id"]


async def test_webhook_reorder(app, receiver):
    # A held delivery waits for the next one to the same subscription: some events overtake others.
    await set_webhook_faults(app, reorder=0.5, reorderHoldSeconds=1)
    ids = await subscribe_and_create(app, 6)
    delivered = [e["payload"]["id"] for e in receiver.envelopes()]
    assert sorted(delivered) == sorted(ids) and delivered != ids


async def test_webhook_delay(app, control, receiver):
    await set_webhook_faults(app, delay=1, delaySeconds=0.3)
    started = time.time()
    await subscribe_and_create(app, 1)
    (delivery,) = await deliveries(control)
    attempted = json.dumps(delivery["attempts"])
    assert delivery["status"] == "delivered" and time.time() - started >= 0.3, attempted


async def test_webhook_faults_repeat_with_the_seed(make_app):
    async def run(seed):
        receiver = Receiver()
        app = make_app(transport=receiver.transport)
        async with control_client(app) as control:
            await control.put("/_sandbox/faults", json={"seed": seed, "webhooks": {"drop": 0.5, "duplicate": 0.3}})
        await subscribe_and_create(app, 12)
        async with control_client(app) as control:
            return [(d["status"], d["duplicateOf"] is not None) for d in await deliveries(control)]

    assert await run(3) == await run(3)
