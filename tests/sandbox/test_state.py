"""`--state FILE`: everything survives a restart, pending transitions and deliveries carry on."""

from __future__ import annotations

import json

import pytest

from bird.models import WebhookSubscriptionCreate
from sandbox import SandboxConfig, create_app
from sandbox.state import StateFileError
from sandbox.testing import bird_client, control_client, running, settle
from tests.sandbox.helpers import ORG, RELAY_URL, WS, Receiver, brand_body, buy_number

BRAND_EVENTS = WebhookSubscriptionCreate(service="numbers", event="10dlc.brand", url=RELAY_URL)


async def test_objects_ledger_and_settings_survive_a_restart(tmp_path, receiver):
    state = tmp_path / "sandbox.json"
    config = SandboxConfig.instant(state_file=state)
    first = create_app(config)
    async with running(first), bird_client(first) as bird, control_client(first) as control:
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        await control.put("/_sandbox/faults", json={"routes": {"get_brand": {"sequence": ["503", "503"]}}})
        number = await buy_number(bird)
        brand = await bird.create_brand(WS, brand_body())
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        ledger = (await control.get("/_sandbox/ledger")).json()
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]  # no temporary file left behind
    json.loads(state.read_text())

    second = create_app(config, delivery_transport=receiver.transport)
    async with running(second), bird_client(second) as bird, control_client(second) as control:
        assert (await control.get("/_sandbox/ledger")).json() == ledger
        assert [n.id for n in await bird.list_numbers(WS)] == [number.id]
        assert (await control.get("/_sandbox/objects")).json()["stockLeft"] == 39
        assert (await control.get("/_sandbox/scenario")).json()["brand"] == [{"outcome": "hold"}]
        assert (await control.get("/_sandbox/faults")).json()["routes"]["get_brand"]["sequence"] == ["503", "503"]
        assert len(await bird.list_webhook_subscriptions(ORG, WS)) == 1
        await control.post(f"/_sandbox/objects/brand/{brand.id}/review", json={"outcome": "approve"})
        await settle(second)
        assert [e["payload"]["status"] for e in receiver.envelopes()] == ["APPROVED"]


async def test_a_pending_transition_resumes_after_a_restart(tmp_path):
    config = SandboxConfig.instant(state_file=tmp_path / "state.json", delays={"brand": 0.3})
    first = create_app(config)
    async with running(first), bird_client(first) as bird:
        brand = await bird.create_brand(WS, brand_body())
    # stopped before the review fell due
    second = create_app(config)
    async with running(second), bird_client(second) as bird:
        assert (await bird.get_brand(WS, brand.id)).status == "PENDING"
        await settle(second)
        assert (await bird.get_brand(WS, brand.id)).status == "APPROVED"


async def test_a_pending_delivery_resumes_after_a_restart(tmp_path):
    retries = {"retry_initial": 0.05, "retry_for": 60}
    config = SandboxConfig.instant(state_file=tmp_path / "state.json", webhooks=retries)
    down = Receiver(*[503] * 1000)
    first = create_app(config, delivery_transport=down.transport)
    async with running(first), bird_client(first) as bird, control_client(first) as control:
        await control.put("/_sandbox/scenario", json={"brand": {"outcome": "hold"}})
        await bird.create_webhook_subscription(ORG, WS, BRAND_EVENTS)
        await bird.create_brand(WS, brand_body())
        with pytest.raises(TimeoutError):
            await settle(first, timeout=0.2)
    up = Receiver()
    second = create_app(config, delivery_transport=up.transport)
    async with running(second), control_client(second) as control:
        await settle(second)
        (delivery,) = (await control.get("/_sandbox/deliveries")).json()["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"][-1]["status"] == 200
    assert {a["timestamp"] for a in delivery["attempts"]} == {delivery["timestamp"]}
    assert up.requests[0]["headers"]["messagebird-request-timestamp"] == str(delivery["timestamp"])


def test_a_file_that_is_not_a_sandbox_state_is_refused(tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"brands": []}')
    with pytest.raises(StateFileError, match="not a sandbox state file"):
        create_app(SandboxConfig(state_file=state))
    assert state.read_text() == '{"brands": []}'  # left as it was
