"""The `bird/` client driven through a whole onboarding against the sandbox: the happy path and
every way a registration can end otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bird.errors import BirdConflict, BirdNotFound, BirdUnauthorized, BirdValidationError
from bird.models import (
    BrandPatch,
    BuyNumbersRequest,
    CampaignPatch,
    StockItemQuery,
    VettingCreate,
    WebhookSubscriptionCreate,
)
from sandbox import DEFAULT_ACCESS_KEY
from sandbox.testing import bird_client, control_client, settle
from tests.sandbox.helpers import (
    ORG,
    RELAY_URL,
    SIGNING_KEY,
    WS,
    approved_brand,
    brand_body,
    buy_number,
    campaign_body,
    connector_body,
)


async def put_scenario(control, **plans):
    response = await control.put("/_sandbox/scenario", json=plans)
    assert response.status_code == 200, response.text


async def subscribe_all(bird):
    for service, event in (
        ("numbers", "10dlc.brand"),
        ("numbers", "10dlc.campaign"),
        ("numbers", "10dlc.vetting"),
        ("channels", "channel.updated"),
    ):
        body = WebhookSubscriptionCreate(service=service, event=event, url=RELAY_URL, signing_key=SIGNING_KEY)
        await bird.create_webhook_subscription(ORG, WS, body)


async def ledger(control, **params):
    return (await control.get("/_sandbox/ledger", params=params)).json()


async def test_happy_path_with_vetting(app, bird, control, receiver):
    await subscribe_all(bird)
    number = await buy_number(bird)
    assert number.number_string.startswith("+1415")

    brand = await bird.create_brand(WS, brand_body())
    assert brand.status == "PENDING"
    await settle(app)
    brand = await bird.get_brand(WS, brand.id)
    assert brand.status == "APPROVED" and brand.rejection is None and brand.tcr_brand_id

    vetting_body = VettingCreate.model_validate({"class": "STANDARD", "vettingProviderId": "AEGIS"})
    vetting = await bird.create_vetting(WS, brand.id, vetting_body)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    assert (vetting.status, campaign.status) == ("PENDING", "PENDING")
    await settle(app)
    vetting = await bird.get_vetting(WS, brand.id, vetting.id)
    assert (vetting.status, vetting.score, vetting.reasons) == ("APPROVED", "75", [])
    campaign = await bird.get_campaign(WS, brand.id, campaign.id)
    assert campaign.status == "APPROVED" and campaign.subscription.status == "active"

    connector = await bird.create_connector(WS, connector_body(number.id, campaign.id))
    assert connector.channel is None  # created asynchronously
    await settle(app)
    connector = await bird.get_connector(WS, connector.id)
    readiness = await bird.get_connector_readiness(WS, connector.id)
    assert connector.channel is not None and readiness.ready

    charges = await ledger(control)
    assert charges["counts"] == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    by_kind = {e["kind"]: e for e in charges["entries"]}
    assert by_kind["number"]["objectId"] == number.id and by_kind["number"]["amount"] == "1.00"
    assert by_kind["campaign"]["amount"] == "45.00"  # registration 15 + 3 months x 10
    assert Decimal(charges["totals"]["USD"]) == Decimal("1.00") + 4 + Decimal("41.50") + 45

    # Every status change reached the subscriptions, in Bird's shapes (events of different
    # objects may interleave; each object's are in order).
    seen: dict[str, list[str]] = {}
    for e in receiver.envelopes():
        seen.setdefault(e["event"], []).append(e["payload"].get("status", e["payload"].get("Status")))
    assert seen == {
        "10dlc.brand": ["PENDING", "APPROVED"],
        "10dlc.brandVetting": ["PENDING", "APPROVED"],
        "10dlc.campaign": ["PENDING", "APPROVED"],
        "channel.updated": ["active"],
    }


@pytest.mark.parametrize("outcome, status", [("reject", "REJECTED"), ("fail", "FAILED")])
async def test_brand_rejection_reason_is_read_by_get(app, bird, control, receiver, outcome, status):
    await subscribe_all(bird)
    reason = {"description": "EIN does not match the company name", "code": "E-42"}
    await put_scenario(control, brand={"outcome": outcome, "reason": reason})
    brand = await bird.create_brand(WS, brand_body())
    await settle(app)
    brand = await bird.get_brand(WS, brand.id)
    assert brand.status == status
    assert (brand.rejection.description, brand.rejection.code) == (reason["description"], "E-42")
    # ... and never in the event: Bird's events carry no rejection
    last = receiver.envelopes()[-1]
    assert last["payload"]["status"] == status and "rejection" not in last["payload"]
    with pytest.raises(BirdValidationError) as refused:
        await bird.create_campaign(WS, brand.id, campaign_body())
    assert "brandId" in refused.value.field_errors


@pytest.mark.parametrize("outcome", ["reject", "fail"])
async def test_a_refused_brand_corrected_by_patch_goes_back_to_review_then_approved(app, bird, control, receiver, outcome):
    await subscribe_all(bird)
    await put_scenario(control, brand=[{"outcome": outcome}, {"outcome": "approve"}])
    brand = await bird.create_brand(WS, brand_body())
    await settle(app)
    refused = await bird.get_brand(WS, brand.id)
    assert refused.status in ("REJECTED", "FAILED") and refused.rejection.description

    resubmitted = await bird.update_brand(WS, brand.id, BrandPatch(ein="987654321"))
    assert resubmitted.status == "PENDING" and resubmitted.rejection is None and resubmitted.ein == "987654321"
    await settle(app)
    approved = await bird.get_brand(WS, brand.id)
    assert approved.status == "APPROVED" and approved.tcr_brand_id

    statuses = [e["payload"]["status"] for e in receiver.envelopes() if e["event"] == "10dlc.brand"]
    assert statuses == ["PENDING", refused.status, "PENDING", "APPROVED"]
    # the resubmission fee defaults to 0 and is then not recorded: one brand charge
    assert (await ledger(control, kind="brand"))["counts"] == {"brand": 1}


async def test_a_brand_resubmission_fee_is_recorded_when_set(make_app):
    app = make_app(fees={"brand_resubmission": "4.00"})
    async with bird_client(app) as bird, control_client(app) as control:
        await put_scenario(control, brand=[{"outcome": "reject"}, {"outcome": "approve"}])
        brand = await bird.create_brand(WS, brand_body())
        await settle(app)
        await bird.update_brand(WS, brand.id, BrandPatch())
        entries = (await ledger(control, kind="brand"))["entries"]
    charged = [(e["amount"], e["operation"]) for e in entries]
    assert charged == [("4.00", "create_brand"), ("4.00", "update_brand")]


@pytest.mark.parametrize("scenario, status", [({"outcome": "hold"}, "PENDING"), ({"outcome": "approve"}, "APPROVED")])
async def test_only_a_refused_brand_can_be_updated(app, bird, control, scenario, status):
    await put_scenario(control, brand=scenario)
    brand = await bird.create_brand(WS, brand_body())
    await settle(app)
    with pytest.raises(BirdValidationError) as refused:
        await bird.update_brand(WS, brand.id, BrandPatch(ein="987654321"))
    assert refused.value.field_errors["status"] == [
        f"the brand is {status}: only a REJECTED or FAILED brand can be corrected and resubmitted"
    ]
    assert (await bird.get_brand(WS, brand.id)).ein == brand_body().ein


async def test_vetting_rejection_reasons_by_get_and_list(app, bird, control):
    await put_scenario(control, vetting={"outcome": "reject", "reason": {"description": "Could not verify the brand"}})
    brand = await bird.create_brand(WS, brand_body())
    vetting = await bird.create_vetting(WS, brand.id, VettingCreate.model_validate({"class": "STANDARD"}))
    await settle(app)
    got = await bird.get_vetting(WS, brand.id, vetting.id)
    (listed,) = await bird.list_vettings(WS, brand.id)
    for v in (got, listed):
        assert v.status == "REJECTED"
        assert v.reasons == ["Could not verify the brand"]
        assert v.rejection.description == "Could not verify the brand"


async def test_declined_campaign_resubmitted_by_patch_then_approved(app, bird, control, receiver):
    await subscribe_all(bird)
    await put_scenario(control, campaign=[{"outcome": "decline"}, {"outcome": "approve"}])
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    declined = await bird.get_campaign(WS, brand.id, campaign.id)
    assert declined.status == "DECLINED" and declined.rejection.description

    fixed = "Acme Plumbing sends appointment confirmations and technician arrival windows to customers who booked."
    resubmitted = await bird.patch_campaign(WS, brand.id, campaign.id, CampaignPatch(description=fixed))
    assert resubmitted.status == "PENDING" and resubmitted.rejection is None
    await settle(app)
    approved = await bird.get_campaign(WS, brand.id, campaign.id)
    assert approved.status == "APPROVED" and approved.model_extra["description"] == fixed

    statuses = [e["payload"]["status"] for e in receiver.envelopes() if e["event"] == "10dlc.campaign"]
    assert statuses == ["PENDING", "DECLINED", "PENDING", "APPROVED"]
    # the resubmission fee defaults to 0 and is then not recorded: one campaign charge
    assert (await ledger(control, kind="campaign"))["counts"] == {"campaign": 1}


async def test_a_resubmission_fee_is_recorded_when_set(make_app):
    app = make_app(fees={"campaign_resubmission": "5.00"})
    async with bird_client(app) as bird, control_client(app) as control:
        await put_scenario(control, campaign=[{"outcome": "decline"}, {"outcome": "approve"}])
        brand = await approved_brand(app, bird)
        campaign = await bird.create_campaign(WS, brand.id, campaign_body())
        await settle(app)
        await bird.patch_campaign(WS, brand.id, campaign.id, CampaignPatch())
        entries = (await ledger(control, kind="campaign"))["entries"]
    charged = [(e["amount"], e["operation"]) for e in entries]
    assert charged == [("45.00", "create_campaign"), ("5.00", "patch_campaign")]


@pytest.mark.parametrize("outcome", ["reject", "fail"])
async def test_a_rejected_campaign_cannot_be_patched(app, bird, control, outcome):
    await put_scenario(control, campaign={"outcome": outcome})
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    with pytest.raises(BirdValidationError) as refused:
        await bird.patch_campaign(WS, brand.id, campaign.id, CampaignPatch())
    assert "create a new campaign" in refused.value.field_errors["status"][0]
    assert (await bird.get_campaign(WS, brand.id, campaign.id)).rejection.description


async def test_a_campaign_needs_an_approved_brand(app, bird, control):
    await put_scenario(control, brand={"outcome": "hold"})
    brand = await bird.create_brand(WS, brand_body())
    with pytest.raises(BirdValidationError) as refused:
        await bird.create_campaign(WS, brand.id, campaign_body())
    assert refused.value.field_errors["brandId"] == [
        "the brand is PENDING; a campaign can only be created for an APPROVED brand"
    ]
    assert (await ledger(control, kind="campaign"))["entries"] == []


async def test_connector_readiness_goes_from_warning_to_ok(app, bird, control, receiver):
    await subscribe_all(bird)
    await put_scenario(control, connector={"outcome": "hold"})
    number = await buy_number(bird, "212")
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    connector = await bird.create_connector(WS, connector_body(number.id, campaign.id))
    await settle(app)

    check = (await bird.get_connector_readiness(WS, connector.id)).use_case_check()
    assert check.status == "warning"
    assert check.problems == ["checks whether number is linked to campaign: Number status is INACTIVE"]
    assert not [e for e in receiver.envelopes() if e["service"] == "channels"]  # only channel.updated is subscribed

    response = await control.post(f"/_sandbox/objects/connector/{connector.id}/review", json={"outcome": "approve"})
    assert response.status_code == 200, response.text
    await settle(app)
    assert (await bird.get_connector_readiness(WS, connector.id)).use_case_check().status == "ok"
    channel = (await bird.get_connector(WS, connector.id)).channel
    (event,) = [e for e in receiver.envelopes() if e["event"] == "channel.updated"]
    payload = event["payload"]
    assert (payload["id"], payload["status"], payload["connectorId"]) == (channel.channel_id, "active", connector.id)
    assert (payload["identifier"], payload["useCaseId"]) == (number.number_string, campaign.id)
    (owned,) = await bird.list_numbers(WS)
    assert owned.model_extra["endpoint"]["dependencies"][0]["connectorId"] == connector.id


async def test_a_failed_link_reports_an_error(app, bird, control):
    await put_scenario(control, connector={"outcome": "fail"})
    number = await buy_number(bird)
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    connector = await bird.create_connector(WS, connector_body(number.id, campaign.id))
    await settle(app)
    check = (await bird.get_connector_readiness(WS, connector.id)).use_case_check()
    assert check.status == "error"
    assert check.problems == ["checks whether number is linked to campaign: Number status is FAILED"]


async def test_connector_needs_a_number_an_approved_campaign_and_a_message_type(app, bird, control):
    await put_scenario(control, campaign={"outcome": "hold"})
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    body = connector_body("5a4d0b1e-0000-4000-8000-00000000dead", campaign.id)
    body.arguments["channelMessageType"] = "bulk"
    with pytest.raises(BirdValidationError) as refused:
        await bird.create_connector(WS, body)
    assert set(refused.value.field_errors) == {
        "arguments.phoneNumberId",
        "arguments.useCaseId",
        "arguments.channelMessageType",
    }


async def test_a_second_connector_for_a_number_conflicts(app, bird, control):
    number = await buy_number(bird)
    brand = await approved_brand(app, bird)
    campaign = await bird.create_campaign(WS, brand.id, campaign_body())
    await settle(app)
    await bird.create_connector(WS, connector_body(number.id, campaign.id))
    with pytest.raises(BirdConflict):
        await bird.create_connector(WS, connector_body(number.id, campaign.id, name="again"))
    assert (await ledger(control, kind="connector"))["counts"] == {"connector": 1}


async def test_stock_is_finite_and_filtered_by_prefix(app, bird):
    def query(prefix):
        return StockItemQuery(country_codes=["US"], prefix=prefix)

    all_us = await bird.list_stock_items(ORG, StockItemQuery(country_codes=["US"]))
    assert len(all_us) == 40  # 8 area codes x 5
    for prefix in ("415", "+1415", "41"):
        found = await bird.list_stock_items(ORG, query(prefix))
        assert found and all(i.number_string.startswith("+141") for i in found)
    assert len(await bird.list_stock_items(ORG, query("+1"))) == 40
    assert await bird.list_stock_items(ORG, query("999")) == []

    item = (await bird.list_stock_items(ORG, query("305")))[0]
    (number,) = await bird.buy_numbers(WS, BuyNumbersRequest(number_stock_item_ids=[item.id]))
    assert item.id not in {i.id for i in await bird.list_stock_items(ORG, query("305"))}
    assert [n.id for n in await bird.list_numbers(WS)] == [number.id]
    with pytest.raises(BirdValidationError) as gone:
        await bird.buy_numbers(WS, BuyNumbersRequest(number_stock_item_ids=[item.id]))
    assert "numberStockItemIds" in gone.value.field_errors


async def test_lists_page_with_next_page_token(app, control):
    headers = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
    path = f"/organizations/{ORG}/numbers-stock-items"
    seen, params = [], {"limit": 7, "countryCodes": "US"}
    while True:
        page = (await control.get(path, params=params, headers=headers)).json()
        seen += [item["id"] for item in page["results"]]
        if "nextPageToken" not in page:
            break
        params = {**params, "pageToken": page["nextPageToken"]}
    assert len(seen) == len(set(seen)) == 40
    bad = await control.get(path, params={"pageToken": "nonsense"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["field"] == "pageToken"
    alone = await control.get(path, params={"prefix": "415"}, headers=headers)
    assert alone.status_code == 422 and "prefix" in alone.json()["message"]


async def test_unknown_ids_are_404(app, bird):
    brand = await bird.create_brand(WS, brand_body())
    nobody = "5a4d0b1e-0000-4000-8000-00000000beef"
    calls = [
        bird.get_brand(nobody, brand.id),
        bird.get_brand(WS, nobody),
        bird.get_campaign(WS, brand.id, nobody),
        bird.get_vetting(WS, brand.id, nobody),
        bird.list_campaigns(WS, nobody),
        bird.get_connector(WS, nobody),
        bird.get_connector_readiness(WS, nobody),
        bird.list_stock_items(nobody, StockItemQuery()),
        bird.list_webhook_subscriptions(nobody, WS),
    ]
    for call in calls:
        with pytest.raises(BirdNotFound) as missing:
            await call
        assert not missing.value.retryable


async def test_a_missing_or_wrong_access_key_is_401(app):
    for key in ("wrong-key", " "):
        async with bird_client(app, access_key=key) as bird:
            with pytest.raises(BirdUnauthorized):
                await bird.list_brands(WS)
