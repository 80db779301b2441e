"""Events that cannot end a wait (relay/verdicts.py): signalled to an onboarding visible at once,
otherwise acknowledged after one look (`unmatched_undecided`) instead of waiting for one."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest

from bird.events import EventRef, ObjectKind
from bird.statuses import IN_PROGRESS
from relay import verdicts
from relay.verdicts import ends_a_wait
from tests.relay.fakes import FakeTemporal
from tests.relay.helpers import BRAND_ID, app_with, brand_event, envelope, post, signed
from workflows.kinds import KINDS, Kind

CONNECTOR_ID = "c8a93146-68e5-4e60-a77c-659877768bec"


@pytest.mark.parametrize(
    ("kind", "status", "verdict"),
    [
        (ObjectKind.BRAND, "PENDING", False),
        (ObjectKind.BRAND, "APPROVED", True),
        (ObjectKind.BRAND, "REJECTED", True),
        (ObjectKind.BRAND, "FAILED", True),
        (ObjectKind.VETTING, "PENDING", False),
        (ObjectKind.VETTING, "EXPIRED", True),
        (ObjectKind.CAMPAIGN, "DRAFT", False),
        (ObjectKind.CAMPAIGN, "PENDING", False),
        (ObjectKind.CAMPAIGN, "DECLINED", True),
        (ObjectKind.CHANNEL, "inactive", False),  # channel.created: the number is not linked yet
        (ObjectKind.CHANNEL, "active", True),  # the connector's readiness wait ends on it
        (ObjectKind.BRAND, "SOMETHING_NEW", True),  # a status nobody knows: treated as a verdict
    ],
)
def test_which_events_can_end_a_wait(kind, status, verdict):
    assert ends_a_wait(EventRef(kind=kind, object_id="x", status=status)) is verdict


def test_the_decision_follows_the_waits_in_kinds(monkeypatch):
    # Read off KINDS, not a list of its own: a wait that settled on PENDING would make PENDING a verdict.
    brand = KINDS[Kind.BRAND]
    assert brand.wait is not None
    eager = replace(brand.wait, settled=lambda objects: objects.brand.status is not None)
    monkeypatch.setitem(KINDS, Kind.BRAND, replace(brand, wait=eager))
    verdicts._ends_a_wait.cache_clear()
    try:
        assert ends_a_wait(EventRef(kind=ObjectKind.BRAND, object_id="x", status="PENDING"))
        assert not ends_a_wait(EventRef(kind=ObjectKind.CAMPAIGN, object_id="x", status="PENDING"))
    finally:
        monkeypatch.undo()
        verdicts._ends_a_wait.cache_clear()
    assert not ends_a_wait(EventRef(kind=ObjectKind.BRAND, object_id="x", status="PENDING"))


@pytest.mark.parametrize("status", sorted(IN_PROGRESS))
async def test_an_undecided_event_nobody_holds_yet_is_acknowledged_after_one_look(status, caplog):
    caplog.set_level(logging.INFO, logger="relay")
    temporal = FakeTemporal()
    app = app_with(temporal, relay_lookup_retry_seconds=5)
    body = brand_event(status=status)
    started = time.monotonic()
    response = await post(app, body, signed(body))
    assert response.status_code == 200
    assert response.json() == {"outcome": "unmatched_undecided"}
    assert time.monotonic() - started < 1  # not the 5 s a verdict would wait
    assert len(temporal.queries) == 1 and temporal.signals == []
    assert app.state.outcomes["unmatched_undecided"] == 1
    [line] = [r.getMessage() for r in caplog.records if "outcome=unmatched_undecided" in r.getMessage()]
    assert f"object_id={BRAND_ID}" in line and f"object_status={status}" in line


async def test_an_undecided_event_is_signalled_to_an_onboarding_that_holds_the_object():
    # It moves nothing, but the status a person sees (tendlc status, the UI) shows it.
    temporal = FakeTemporal()
    temporal.add("onboarding-acme-sms", BirdBrandId=BRAND_ID)
    app = app_with(temporal, relay_lookup_retry_seconds=5)
    body = brand_event(status="PENDING")
    assert (await post(app, body, signed(body))).json() == {"outcome": "signalled"}
    assert [e.payload["status"] for _, _, e in temporal.signals] == ["PENDING"]


async def test_a_verdict_still_waits_for_its_onboarding():
    temporal = FakeTemporal()
    temporal.lag = 2  # visibility lags the create's upsert
    temporal.add("onboarding-acme-sms", BirdBrandId=BRAND_ID)
    app = app_with(temporal, relay_lookup_retry_seconds=3)
    body = brand_event(status="APPROVED")
    assert (await post(app, body, signed(body))).json() == {"outcome": "signalled"}
    assert len(temporal.queries) == 3


async def test_a_channel_not_yet_active_is_not_waited_for_but_an_active_one_is():
    temporal = FakeTemporal()
    app = app_with(temporal, relay_lookup_retry_seconds=0.6)
    created = envelope("channels", "channel.created", {"id": "ch-1", "status": "inactive", "connectorId": CONNECTOR_ID})
    assert (await post(app, created, signed(created))).json() == {"outcome": "unmatched_undecided"}
    assert len(temporal.queries) == 1
    active = envelope("channels", "channel.updated", {"id": "ch-1", "status": "active", "connectorId": CONNECTOR_ID})
    started = time.monotonic()
    assert (await post(app, active, signed(active))).json() == {"outcome": "unmatched"}
    assert time.monotonic() - started >= 0.5 and len(temporal.queries) > 2
