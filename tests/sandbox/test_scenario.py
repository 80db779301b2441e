"""Scenario control: outcomes and delays per kind, overrides per object, holds, reviews on demand."""

from __future__ import annotations

import asyncio

import pytest

from bird.models import VettingCreate, WebhookSubscriptionCreate
from sandbox import DEFAULT_ORGANIZATION_ID, DEFAULT_WORKSPACE_ID
from sandbox.testing import settle
from tests.sandbox.helpers import ORG, RELAY_URL, WS, approved_brand, brand_body, campaign_body


async def put(control, path, body):
    response = await control.put(path, json=body) if path.endswith("scenario") else await control.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_overrides_match_fields_and_take_precedence(app, bird, control):
    await put(control, "/_sandbox/scenario/overrides", {
        "kind": "brand", "match": {"displayName": "Doomed Brand"},
        "reviews": {"outcome": "reject", "reason": {"description": "Doomed"}},
    })  # fmt: skip
    await put(control, "/_sandbox/scenario/overrides", {
        "kind": "vetting", "match": {"brandDisplayName": "Acme Plumbing"}, "reviews": {"outcome": "fail"},
    })  # fmt: skip
    doomed = await bird.create_brand(WS, brand_body(displayName="Doomed Brand"))
    fine = await bird.create_brand(WS, brand_body())
    vetting = await bird.create_vetting(WS, fine.id, VettingCreate.model_validate({"class": "STANDARD"}))
    await settle(app)
    assert (await bird.get_brand(WS, doomed.id)).rejection.description == "Doomed"
    assert (await bird.get_brand(WS, fine.id)).status == "APPROVED"
    assert (await bird.get_vetting(WS, fine.id, vetting.id)).status == "FAILED"


async def test_an_override_for_the_next_n_objects_is_used_up(app, bird, control):
    override = {"kind": "campaign", "count": 2, "reviews": {"outcome": "decline"}}
    await put(control, "/_sandbox/scenario/overrides", override)
    brand = await approved_brand(app, bird)
    ids = [(await bird.create_campaign(WS, brand.id, campaign_body(name=f"C{i}"))).id for i in range(3)]
    await settle(app)
    statuses = [(await bird.get_campaign(WS, brand.id, cid)).status for cid in ids]
    assert statuses == ["DECLINED", "DECLINED", "APPROVED"]
    assert (await control.get("/_sandbox/scenario")).json()["overrides"] == []


async def test_hold_waits_until_a_review_is_decided_and_its_event_is_sent_then(app, bird, control, receiver):
    await bird.create_webhook_subscription(
        ORG, WS, WebhookSubscriptionCreate(service="numbers", event="10dlc.brand", url=RELAY_URL)
    )
    await put(control, "/_sandbox/scenario", {"brand": {"outcome": "hold"}})
    brand = await bird.create_brand(WS, brand_body())
    await settle(app)
    assert (await bird.get_brand(WS, brand.id)).status == "PENDING"
    assert (await control.get("/_sandbox/pending")).json() == {"jobs": []}
    assert [e["payload"]["status"] for e in receiver.envelopes()] == ["PENDING"]

    decided = await put(control, f"/_sandbox/objects/brand/{brand.id}/review", {
        "outcome": "reject", "reason": {"description": "Website does not match", "code": "W-1"},
    })  # fmt: skip
    assert decided["object"]["status"] == "REJECTED"
    await settle(app)
    assert [e["payload"]["status"] for e in receiver.envelopes()] == ["PENDING", "REJECTED"]
    assert (await bird.get_brand(WS, brand.id)).rejection.code == "W-1"


async def test_a_review_decided_now_replaces_the_scheduled_one(app, bird, control):
    await put(control, "/_sandbox/scenario", {"campaign": {"outcome": "approve", "delay": 30}})
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    (job,) = (await control.get("/_sandbox/pending")).json()["jobs"]
    assert (job["kind"], job["objectId"], job["action"]) == ("campaign", campaign.id, "review")
    await put(control, f"/_sandbox/objects/campaign/{campaign.id}/review", {"outcome": "decline"})
    assert (await control.get("/_sandbox/pending")).json() == {"jobs": []}
    assert (await bird.get_campaign(WS, brand.id, campaign.id)).status == "DECLINED"


async def test_review_delays_are_seconds_and_may_be_fractions(app, bird, control):
    await put(control, "/_sandbox/scenario", {"brand": {"outcome": "approve", "delay": 0.3}})
    brand = await bird.create_brand(WS, brand_body())
    await asyncio.sleep(0.1)
    assert (await bird.get_brand(WS, brand.id)).status == "PENDING"
    await settle(app)
    assert (await bird.get_brand(WS, brand.id)).status == "APPROVED"


async def test_scenario_and_review_input_is_checked(app, bird, control):
    wrong_kind = await control.put("/_sandbox/scenario", json={"brand": {"outcome": "decline"}})
    assert wrong_kind.status_code == 422 and "brand[0].outcome" in wrong_kind.json()["message"]
    negative = await control.put("/_sandbox/scenario", json={"vetting": {"delay": -1}})
    assert negative.status_code == 422 and "vetting" in negative.json()["message"]
    brand = await bird.create_brand(WS, brand_body())
    bad = await control.post(f"/_sandbox/objects/brand/{brand.id}/review", json={"outcome": "decline"})
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["field"] == "outcome"
    missing = await control.post("/_sandbox/objects/brand/nope/review", json={"outcome": "approve"})
    assert missing.status_code == 404


@pytest.mark.parametrize("outcome, status", [("approve", "APPROVED"), ("expire", "EXPIRED")])
async def test_vetting_outcomes(app, bird, control, outcome, status):
    await put(control, "/_sandbox/scenario", {"vetting": {"outcome": outcome, "score": "91"}})
    brand = await bird.create_brand(WS, brand_body())
    vetting = await bird.create_vetting(WS, brand.id, VettingCreate.model_validate({"class": "STANDARD"}))
    await settle(app)
    got = await bird.get_vetting(WS, brand.id, vetting.id)
    assert got.status == status and got.score == ("91" if outcome == "approve" else "")


async def test_health_names_the_ids(control):
    health = (await control.get("/_sandbox/health")).json()
    assert health == {"status": "ok", "organizationId": DEFAULT_ORGANIZATION_ID, "workspaceId": DEFAULT_WORKSPACE_ID}


async def test_reset_starts_over(app, bird, control):
    await put(control, "/_sandbox/scenario", {"brand": {"outcome": "hold"}})
    await bird.create_brand(WS, brand_body())
    assert (await control.post("/_sandbox/reset")).json() == {"status": "reset"}
    assert await bird.list_brands(WS) == []
    assert (await control.get("/_sandbox/ledger")).json()["entries"] == []
    assert (await control.get("/_sandbox/scenario")).json()["brand"] == [{"outcome": "approve"}]
    assert (await control.get("/_sandbox/objects")).json()["stockLeft"] == 40
