"""The relay in-process against a fake Temporal: verification, limits, routing, delivery semantics."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import pytest

from relay.app import create_app
from runtime.settings import RelayConfigError
from tests.relay.fakes import FakeTemporal
from tests.relay.helpers import (
    BRAND_ID,
    KEY,
    OLD_KEY,
    PUBLIC_URL,
    app_with,
    brand_event,
    envelope,
    get,
    post,
    relay_settings,
    signed,
)
from workflows.contract import BirdEvent

WORKFLOW_ID = "onboarding-acme-sms"


@pytest.fixture
def temporal() -> FakeTemporal:
    fake = FakeTemporal()
    fake.add(WORKFLOW_ID, BirdBrandId=BRAND_ID)
    return fake


async def test_a_valid_delivery_is_signalled(temporal):
    body = brand_event()
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 200
    assert response.json() == {"outcome": "signalled"}
    [(workflow_id, signal, event)] = temporal.signals
    assert (workflow_id, signal) == (WORKFLOW_ID, "bird_event")
    assert isinstance(event, BirdEvent)
    assert (event.service, event.event, event.payload["id"], event.payload["status"]) == (
        "numbers", "10dlc.brand", BRAND_ID, "APPROVED",
    )  # fmt: skip
    assert event.delivery_id == hashlib.sha256(body).hexdigest()
    assert event.received_at
    assert temporal.queries == [f'BirdBrandId = "{BRAND_ID}" AND ExecutionStatus = "Running"']


@pytest.mark.parametrize(
    "case",
    ["unsigned", "no timestamp", "wrong key", "tampered body", "tampered url", "stale", "future", "garbage signature"],
)
async def test_unverifiable_deliveries_get_401_without_detail(temporal, case):
    body = brand_event()
    headers = signed(body)
    now = int(time.time())
    if case == "unsigned":
        headers = {"content-type": "application/json"}
    elif case == "no timestamp":
        del headers["messagebird-request-timestamp"]
    elif case == "wrong key":
        headers = signed(body, key="someone-elses-key")
    elif case == "tampered body":
        body = brand_event(status="REJECTED")
    elif case == "tampered url":
        # signed for the address the relay listens on rather than the one Bird was given
        headers = signed(body, url="http://relay.internal:8788/webhooks/bird")
    elif case == "stale":
        headers = signed(body, timestamp=now - 24 * 3600 - 120)
    elif case == "future":
        headers = signed(body, timestamp=now + 24 * 3600 + 120)
    elif case == "garbage signature":
        headers["messagebird-signature"] = "not base64!"
    response = await post(app_with(temporal), body, headers)
    assert response.status_code == 401
    assert response.content == b""
    assert temporal.signals == [] and temporal.queries == []


async def test_a_retry_from_a_day_ago_is_still_accepted(temporal):
    # Bird retries with the original timestamp for about a day.
    body = brand_event()
    response = await post(app_with(temporal), body, signed(body, timestamp=int(time.time()) - 23 * 3600))
    assert response.status_code == 200
    assert len(temporal.signals) == 1


async def test_the_window_is_configurable(temporal):
    body = brand_event()
    app = app_with(temporal, relay_max_age_seconds=300)
    response = await post(app, body, signed(body, timestamp=int(time.time()) - 600))
    assert response.status_code == 401


async def test_both_keys_are_accepted_during_a_rotation(temporal):
    app = app_with(temporal, relay_signing_keys=f" {OLD_KEY} ,")
    new = brand_event(status="PENDING")
    old = brand_event(status="APPROVED")
    assert (await post(app, new, signed(new, key=KEY))).status_code == 200
    assert (await post(app, old, signed(old, key=OLD_KEY))).status_code == 200
    third = brand_event(status="UNVERIFIED")
    assert (await post(app, third, signed(third, key="retired-long-ago"))).status_code == 401
    assert [e.payload["status"] for _, _, e in temporal.signals] == ["PENDING", "APPROVED"]


async def test_an_old_key_alone_is_enough_to_run(temporal):
    app = app_with(temporal, bird_signing_key=None, relay_signing_keys=OLD_KEY)
    body = brand_event()
    assert (await post(app, body, signed(body, key=OLD_KEY))).status_code == 200


async def test_an_announced_oversize_body_gets_413(temporal):
    body = b"x" * (1024 * 1024 + 1)
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 413
    assert temporal.signals == []


async def test_an_oversize_body_without_length_is_counted(temporal):
    chunk = b"x" * 64 * 1024

    async def chunks():
        for _ in range(17):  # 1.06 MiB, sent chunked: no Content-Length header
            yield chunk

    response = await post(app_with(temporal), chunks(), {"content-type": "application/json"})
    assert response.status_code == 413


async def test_a_body_at_the_limit_is_read(temporal):
    payload = {"id": BRAND_ID, "status": "APPROVED", "pad": ""}
    base = len(envelope("numbers", "10dlc.brand", payload))
    payload["pad"] = "p" * (1024 * 1024 - base)
    body = envelope("numbers", "10dlc.brand", payload)
    assert len(body) == 1024 * 1024
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"service": "numbers", "event": "10dlc.brand", "payload": {',
        b"",
        b"[1, 2]",
        b'{"service": "numbers", "event": "10dlc.brand"}',
        b'{"service": "numbers", "event": "10dlc.brand", "payload": "APPROVED"}',
    ],
    ids=["truncated json", "empty", "not an object", "no payload", "payload not an object"],
)
async def test_malformed_deliveries_get_400(temporal, body):
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 400
    assert temporal.signals == []


async def test_malformed_is_only_said_after_the_signature(temporal):
    body = b"{not json"
    assert (await post(app_with(temporal), body, {})).status_code == 401


async def test_temporal_down_gets_503_and_the_retry_is_signalled(temporal):
    app = app_with(temporal)
    body = brand_event()
    temporal.down = True
    response = await post(app, body, signed(body))
    assert response.status_code == 503
    assert temporal.signals == []
    temporal.down = False  # Bird retries the same delivery
    response = await post(app, body, signed(body))
    assert response.status_code == 200
    assert len(temporal.signals) == 1


async def test_a_failed_signal_is_not_remembered_as_delivered(temporal):
    app = app_with(temporal)
    body = brand_event()

    original = temporal.get_workflow_handle

    def failing_handle(workflow_id, **kw):
        temporal.down = True  # the lookup worked, then Temporal went away before the signal
        return original(workflow_id, **kw)

    temporal.get_workflow_handle = failing_handle
    assert (await post(app, body, signed(body))).status_code == 503
    temporal.down = False
    temporal.get_workflow_handle = original
    assert (await post(app, body, signed(body))).status_code == 200
    assert len(temporal.signals) == 1


async def test_a_repeated_delivery_is_signalled_once(temporal):
    app = app_with(temporal)
    body = brand_event()
    headers = signed(body)
    first = await post(app, body, headers)
    # Bird's retry: same body, same original timestamp, same signature
    second = await post(app, body, headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"outcome": "duplicate"}
    assert len(temporal.signals) == 1


async def test_concurrent_copies_of_a_delivery_are_signalled_once(temporal):
    temporal.lag = 2  # the first copy is still looking when the others arrive
    app = app_with(temporal, relay_lookup_retry_seconds=3)
    body = brand_event()
    responses = await asyncio.gather(*(post(app, body, signed(body)) for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert sorted(r.json()["outcome"] for r in responses) == ["duplicate", "duplicate", "signalled"]
    assert len(temporal.signals) == 1


async def test_different_deliveries_of_one_object_are_each_signalled(temporal):
    app = app_with(temporal)
    for status in ("PENDING", "APPROVED"):
        body = brand_event(status=status)
        assert (await post(app, body, signed(body))).status_code == 200
    assert [e.payload["status"] for _, _, e in temporal.signals] == ["PENDING", "APPROVED"]


async def test_the_dedupe_memory_is_bounded(temporal):
    app = app_with(temporal, relay_dedupe_size=2)
    bodies = [brand_event(updated_at=f"2025-03-27T09:00:0{i}Z") for i in range(3)]
    for body in bodies:
        await post(app, body, signed(body))
    assert len(app.state.recent) == 2
    # the oldest was forgotten: the workflow's own dedupe covers the second signal
    await post(app, bodies[0], signed(bodies[0]))
    assert len(temporal.signals) == 4


async def test_an_unmatched_event_is_acknowledged_and_logged(temporal, caplog):
    caplog.set_level(logging.INFO, logger="relay")
    app = app_with(temporal, relay_lookup_retry_seconds=0.6)
    body = brand_event(brand_id="00000000-0000-4000-8000-000000000000")
    started = time.monotonic()
    response = await post(app, body, signed(body))
    assert response.status_code == 200
    assert response.json() == {"outcome": "unmatched"}
    assert 0.5 <= time.monotonic() - started < 3
    assert len(temporal.queries) >= 2  # looked again while visibility might lag
    assert temporal.signals == []
    [line] = [r.getMessage() for r in caplog.records if "outcome=unmatched" in r.getMessage()]
    assert "object_id=00000000-0000-4000-8000-000000000000" in line
    assert "event=10dlc.brand" in line


async def test_an_event_before_visibility_is_found_on_retry(temporal):
    temporal.lag = 2
    app = app_with(temporal, relay_lookup_retry_seconds=3)
    body = brand_event()
    response = await post(app, body, signed(body))
    assert response.json() == {"outcome": "signalled"}
    assert len(temporal.queries) == 3


async def test_an_unmatched_delivery_is_looked_up_again_when_repeated(temporal):
    app = app_with(temporal)
    body = brand_event(brand_id="b-not-yet-recorded")
    assert (await post(app, body, signed(body))).json() == {"outcome": "unmatched"}
    temporal.add("onboarding-late", BirdBrandId="b-not-yet-recorded")
    assert (await post(app, body, signed(body))).json() == {"outcome": "signalled"}


@pytest.mark.parametrize(
    ("service", "event"),
    [("channels", "sms.inbound"), ("numbers", "10dlc.something"), ("payments", "10dlc.brand")],
)
async def test_other_event_kinds_are_acknowledged_and_ignored(temporal, service, event):
    body = envelope(service, event, {"id": BRAND_ID, "status": "APPROVED"})
    response = await post(app_with(temporal), body, signed(body))
    assert response.status_code == 200
    assert response.json() == {"outcome": "ignored"}
    assert temporal.queries == [] and temporal.signals == []


async def test_a_followed_event_without_an_id_is_acknowledged_and_logged(temporal, caplog):
    caplog.set_level(logging.INFO, logger="relay")
    body = envelope("numbers", "10dlc.campaign", {"status": "ACTIVE"})
    response = await post(app_with(temporal), body, signed(body))
    assert response.json() == {"outcome": "unroutable"}
    assert any("outcome=unroutable" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_vetting_events_in_bird_spelling_are_routed(temporal):
    temporal.add("onboarding-vetted", BirdVettingId="v-1")
    # Bird's 10DLC events page: Go-style field names, event `10dlc.brandVetting`
    body = envelope("numbers", "10dlc.brandVetting", {"ID": "v-1", "Status": "ACTIVE", "BrandID": BRAND_ID})
    response = await post(app_with(temporal), body, signed(body))
    assert response.json() == {"outcome": "signalled"}
    assert temporal.signals[0][0] == "onboarding-vetted"


async def test_channel_events_are_routed_by_channel_or_connector(temporal):
    temporal.add("onboarding-channel", BirdConnectorId="c8a93146-68e5-4e60-a77c-659877768bec")
    body = envelope("channels", "channel.updated", {
        "id": "f5d391a8-29b6-5092-940c-9a1cd7d06f30", "status": "active",
        "connectorId": "c8a93146-68e5-4e60-a77c-659877768bec", "identifier": "+19802683122",
    })  # fmt: skip
    response = await post(app_with(temporal), body, signed(body))
    assert response.json() == {"outcome": "signalled"}
    assert temporal.signals[0][0] == "onboarding-channel"
    assert temporal.queries == [
        '(BirdChannelId = "f5d391a8-29b6-5092-940c-9a1cd7d06f30" OR '
        'BirdConnectorId = "c8a93146-68e5-4e60-a77c-659877768bec") AND ExecutionStatus = "Running"'
    ]


async def test_every_onboarding_sharing_a_brand_is_signalled(temporal):
    temporal.add("onboarding-second-campaign", BirdBrandId=BRAND_ID)
    body = brand_event()
    assert (await post(app_with(temporal), body, signed(body))).status_code == 200
    assert sorted(wf for wf, _, _ in temporal.signals) == ["onboarding-acme-sms", "onboarding-second-campaign"]


async def test_closed_onboardings_are_not_signalled(temporal):
    temporal.closed.add(WORKFLOW_ID)
    body = brand_event()
    assert (await post(app_with(temporal), body, signed(body))).json() == {"outcome": "unmatched"}


async def test_ids_that_cannot_be_searched_are_unmatched(temporal):
    body = brand_event(brand_id='x" OR BirdBrandId != "')
    response = await post(app_with(temporal), body, signed(body))
    assert response.json() == {"outcome": "unmatched"}
    assert temporal.queries == []


async def test_logs_carry_no_secrets_and_no_payload(temporal, caplog):
    caplog.set_level(logging.INFO, logger="relay")
    app = app_with(temporal, relay_signing_keys=OLD_KEY)
    body = brand_event()
    headers = signed(body)
    await post(app, body, headers)
    await post(app, body, {**headers, "messagebird-signature": signed(body, key="wrong")["messagebird-signature"]})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "outcome=signalled" in text and "outcome=unauthorized" in text
    for secret in (KEY, OLD_KEY, headers["messagebird-signature"], "123456789", "Acme SMS"):
        assert secret not in text
    line = next(r.getMessage() for r in caplog.records if "outcome=signalled" in r.getMessage())
    for field in ("event=10dlc.brand", f"object_id={BRAND_ID}", "latency_ms=", "status=200", "delivery="):
        assert field in line


async def test_healthz_reports_temporal(temporal):
    app = app_with(temporal)
    response = await get(app, "/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "temporal": "reachable"})
    temporal.down = True
    response = await get(app, "/healthz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "temporal": "unreachable"})


async def test_the_client_is_connected_on_first_use(temporal):
    attempts = []

    async def connect():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("Failed client connect: connection refused")
        return temporal

    app = create_app(relay_settings(), connect=connect)
    assert attempts == []  # the relay starts without Temporal
    body = brand_event()
    assert (await post(app, body, signed(body))).status_code == 503
    assert (await get(app, "/healthz")).status_code == 200
    assert (await post(app, body, signed(body))).status_code == 200
    assert len(attempts) == 2


def test_settings_that_cannot_verify_are_refused():
    with pytest.raises(RelayConfigError) as caught:
        create_app(relay_settings(relay_public_url=None, bird_signing_key=None), client=FakeTemporal())
    assert "RELAY_PUBLIC_URL" in str(caught.value) and "BIRD_SIGNING_KEY" in str(caught.value)
    with pytest.raises(RelayConfigError, match="absolute"):
        create_app(relay_settings(relay_public_url="relay.example.com/hook"), client=FakeTemporal())


def test_settings_from_the_environment(monkeypatch):
    from runtime.settings import RelaySettings

    monkeypatch.setenv("RELAY_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("BIRD_SIGNING_KEY", KEY)
    monkeypatch.setenv("RELAY_SIGNING_KEYS", f"{OLD_KEY},{KEY},")
    monkeypatch.setenv("RELAY_LOOKUP_RETRY_SECONDS", "2.5")
    settings = RelaySettings(_env_file=None)
    assert settings.signing_keys() == [KEY, OLD_KEY]
    assert settings.relay_lookup_retry_seconds == 2.5
    assert settings.relay_max_age_seconds == 24 * 3600
    assert settings.relay_max_body_bytes == 1024 * 1024
    assert KEY not in repr(settings) and OLD_KEY not in repr(settings)

