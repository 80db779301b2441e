"""Each activity against the sandbox in-process (`ActivityEnvironment`): what it sends, what it
returns, and above all that a billable create never bills twice for what already exists."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.brands import (
    BrandActivities,
    BrandQuery,
    CreateBrandInput,
    CreateVettingInput,
    UpdateBrandInput,
    VettingQuery,
)
from activities.campaigns import CampaignActivities, CampaignQuery, CreateCampaignInput, PatchCampaignInput
from activities.connectors import ConnectorActivities, ConnectorQuery, InstallConnectorInput
from activities.errors import BIRD_REJECTED, INVALID_REQUEST, NO_NUMBER_IN_STOCK, NOT_YET
from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities
from sandbox.app import create_app
from sandbox.config import DEFAULT_ORGANIZATION_ID as ORG, DEFAULT_WORKSPACE_ID as WS, SandboxConfig
from sandbox.testing import bird_client, control_client, running, settle

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "onboarding.json").read_text())
HOLD_ALL = {kind: [{"outcome": "hold"}] for kind in ("brand", "vetting", "campaign", "connector")}


class Bird:
    """The activity classes on one sandbox, and its control plane."""

    def __init__(self, app: Any, client: Any, control: httpx.AsyncClient) -> None:
        self.app, self.control = app, control
        self.numbers, self.brands = NumberActivities(client), BrandActivities(client)
        self.campaigns, self.connectors = CampaignActivities(client), ConnectorActivities(client)
        self.env = ActivityEnvironment()

    async def run(self, fn: Any, arg: Any) -> Any:
        return await self.env.run(fn, arg)

    async def requests(self) -> dict[str, int]:
        return dict((await self.control.get("/_sandbox/requests")).json()["requests"])

    async def requests_since(self, before: dict[str, int]) -> dict[str, int]:
        now = await self.requests()
        return {op: n - before.get(op, 0) for op, n in now.items() if n != before.get(op, 0)}

    async def ledger(self) -> dict[str, int]:
        return (await self.control.get("/_sandbox/ledger")).json()["counts"]

    async def faults(self, routes: dict[str, Any]) -> None:
        (await self.control.put("/_sandbox/faults", json={"routes": routes})).raise_for_status()

    async def review(self, kind: str, object_id: str, outcome: str) -> None:
        response = await self.control.post(f"/_sandbox/objects/{kind}/{object_id}/review", json={"outcome": outcome})
        response.raise_for_status()


@pytest.fixture
async def bird() -> AsyncIterator[Bird]:
    app = create_app(SandboxConfig.instant(scenario=HOLD_ALL))
    async with running(app), bird_client(app) as client, control_client(app) as control:
        yield Bird(app, client, control)


async def approved_brand(bird: Bird) -> str:
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    await bird.review("brand", brand.id, "approve")
    return brand.id


async def test_a_number_is_chosen_from_stock_with_its_price_and_bought_once(bird):
    choice = await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415"))
    assert choice.number_string.startswith("+1415") and (choice.monthly_price, choice.currency) == (1.0, "USD")
    buy = BuyNumberInput(workspace_id=WS, stock_item_id=choice.stock_item_id, number_string=choice.number_string)
    first = await bird.run(bird.numbers.buy_number, buy)
    again = await bird.run(bird.numbers.buy_number, buy)  # a retry after a lost answer
    assert first.created and not again.created and again.id == first.id
    assert await bird.ledger() == {"number": 1}


async def test_no_number_in_stock_is_final_and_names_the_prefix(bird):
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1999"))
    assert caught.value.type == NO_NUMBER_IN_STOCK and caught.value.non_retryable
    assert "number.prefix" in caught.value.details[0]["field_errors"]


async def test_brand_is_matched_by_display_name_and_ein_not_registered_twice(bird):
    create = CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"])
    first = await bird.run(bird.brands.create_brand, create)
    assert first.created and first.status == "PENDING"
    dashed = CreateBrandInput(workspace_id=WS, body={**EXAMPLE["brand"], "ein": "12-3456789"})
    again = await bird.run(bird.brands.create_brand, dashed)
    assert (again.id, again.created) == (first.id, False)
    other = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body={**EXAMPLE["brand"], "ein": "987654321"}))
    assert other.created and other.id != first.id
    assert await bird.ledger() == {"brand": 2}


async def test_vetting_is_matched_under_the_brand(bird):
    brand_id = await approved_brand(bird)
    create = CreateVettingInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["vetting"])
    first = await bird.run(bird.brands.create_vetting, create)
    again = await bird.run(bird.brands.create_vetting, create)
    assert (again.id, again.created) == (first.id, False)
    assert (await bird.ledger())["vetting"] == 1


async def test_campaign_is_matched_by_name_under_the_brand(bird):
    brand_id = await approved_brand(bird)
    create = CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    first = await bird.run(bird.campaigns.create_campaign, create)
    again = await bird.run(bird.campaigns.create_campaign, create)
    assert (again.id, again.created) == (first.id, False)
    assert (await bird.ledger())["campaign"] == 1


@pytest.mark.parametrize("fault", ["commit-then-500", "commit-then-drop"])
async def test_a_create_whose_answer_is_lost_is_found_by_the_retry(bird, fault):
    await bird.faults({"create_brand": {"sequence": [fault]}})
    create = CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"])
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.brands.create_brand, create)
    assert not caught.value.non_retryable  # Temporal retries it ...
    retried = await bird.run(bird.brands.create_brand, create)
    assert not retried.created  # ... and the retry finds what the lost answer had created
    assert await bird.ledger() == {"brand": 1}


async def test_a_replacement_campaign_is_not_matched_to_the_one_it_replaces(bird):
    brand_id = await approved_brand(bird)
    first = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", first.id, "reject")
    # the same name: list-and-match would otherwise return the rejected campaign
    replace = CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"], exclude_ids=[first.id])
    second = await bird.run(bird.campaigns.create_campaign, replace)
    again = await bird.run(bird.campaigns.create_campaign, replace)  # a retry after a lost answer
    assert second.created and second.id != first.id and second.status == "PENDING"
    assert (again.id, again.created) == (second.id, False)
    assert (await bird.ledger())["campaign"] == 2


async def test_a_declined_campaign_is_resubmitted_once_however_often_the_patch_is_retried(bird):
    brand_id = await approved_brand(bird)
    campaign = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", campaign.id, "decline")
    await bird.faults({"patch_campaign": {"sequence": ["commit-then-drop"]}})
    fixed = "Acme Plumbing texts appointment confirmations and arrival windows to customers who booked a visit."
    patch = PatchCampaignInput(workspace_id=WS, brand_id=brand_id, campaign_id=campaign.id, body={"description": fixed})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.campaigns.patch_campaign, patch)
    assert not caught.value.non_retryable
    retried = await bird.run(bird.campaigns.patch_campaign, patch)
    assert (retried.id, retried.status, retried.created) == (campaign.id, "PENDING", False)
    requests = (await bird.control.get("/_sandbox/requests")).json()["requests"]
    assert requests["patch_campaign"] == 1  # the retry saw it back under review and sent nothing
    stored = (await bird.control.get("/_sandbox/objects")).json()["campaigns"][0]
    assert stored["description"] == fixed


async def test_only_a_declined_campaign_is_patched(bird):
    brand_id = await approved_brand(bird)
    campaign = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", campaign.id, "reject")
    patch = PatchCampaignInput(workspace_id=WS, brand_id=brand_id, campaign_id=campaign.id, body={})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.campaigns.patch_campaign, patch)
    assert caught.value.type == BIRD_REJECTED and "status" in caught.value.details[0]["field_errors"]
    bad = patch.model_copy(update={"body": {"description": "too short"}})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.campaigns.patch_campaign, bad)
    assert caught.value.type == INVALID_REQUEST and set(caught.value.details[0]["field_errors"]) == {"description"}


async def test_a_rejected_brand_is_corrected_and_resubmitted_once(bird):
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    await bird.review("brand", brand.id, "reject")
    await bird.faults({"update_brand": {"sequence": ["commit-then-500"]}})
    update = UpdateBrandInput(workspace_id=WS, brand_id=brand.id, body={"ein": "987654321"})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.brands.update_brand, update)
    assert not caught.value.non_retryable
    retried = await bird.run(bird.brands.update_brand, update)
    assert (retried.id, retried.status, retried.created, retried.reason) == (brand.id, "PENDING", False, None)
    requests = (await bird.control.get("/_sandbox/requests")).json()["requests"]
    assert requests["update_brand"] == 1
    await bird.review("brand", brand.id, "approve")
    approved = await bird.run(bird.brands.get_brand, BrandQuery(workspace_id=WS, brand_id=brand.id))
    assert approved.status == "APPROVED"
    assert await bird.ledger() == {"brand": 1}


async def test_a_brand_update_bird_would_refuse_is_not_sent(bird):
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    await bird.review("brand", brand.id, "fail")
    bad = UpdateBrandInput(workspace_id=WS, brand_id=brand.id, body={"displayName": "", "notAField": 1})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.brands.update_brand, bad)
    assert caught.value.type == INVALID_REQUEST
    assert set(caught.value.details[0]["field_errors"]) == {"displayName", "notAField"}
    assert "update_brand" not in (await bird.control.get("/_sandbox/requests")).json()["requests"]


async def test_connector_is_installed_with_the_guides_arguments_and_matched_by_name(bird):
    number = await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG))
    bought = await bird.run(
        bird.numbers.buy_number,
        BuyNumberInput(workspace_id=WS, stock_item_id=number.stock_item_id, number_string=number.number_string),
    )
    brand_id = await approved_brand(bird)
    campaign = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", campaign.id, "approve")
    install = InstallConnectorInput(workspace_id=WS, name="Acme SMS", phone_number_id=bought.id, campaign_id=campaign.id)
    first = await bird.run(bird.connectors.install_connector, install)
    again = await bird.run(bird.connectors.install_connector, install)
    assert (again.id, again.created) == (first.id, False)
    connector = (await bird.control.get("/_sandbox/objects")).json()["connectors"][0]
    assert connector["connectorTemplateRef"] == "sms-messagebird:1"
    assert connector["arguments"] == {"phoneNumberId": bought.id, "useCaseId": campaign.id, "channelMessageType": "transactional"}

    query = ConnectorQuery(workspace_id=WS, connector_id=first.id)
    before = await bird.requests()
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.connectors.poll_connector, query)
    assert caught.value.type == NOT_YET and not caught.value.non_retryable
    # not linked yet: one request, the readiness (the connector is read only for a channel id)
    assert await bird.requests_since(before) == {"get_connector_readiness": 1}
    await bird.review("connector", first.id, "approve")
    before = await bird.requests()
    ready = await bird.run(bird.connectors.poll_connector, query)
    assert ready.ready and ready.status == "ok" and ready.channel_id
    # linked, channel id unknown to the workflow: the connector is read once for it
    assert await bird.requests_since(before) == {"get_connector_readiness": 1, "get_connector": 1}
    before = await bird.requests()
    known = await bird.run(bird.connectors.get_connector, query.model_copy(update={"channel_id": ready.channel_id}))
    assert (known.ready, known.channel_id) == (True, ready.channel_id)
    assert await bird.requests_since(before) == {"get_connector_readiness": 1}
    assert (await bird.ledger())["connector"] == 1


async def test_polls_say_not_yet_while_pending_and_return_the_rejection_reason(bird):
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    query = BrandQuery(workspace_id=WS, brand_id=brand.id)
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.brands.poll_brand, query)
    assert caught.value.type == NOT_YET and caught.value.details[0]["status"] == "PENDING"
    await bird.review("brand", brand.id, "reject")
    rejected = await bird.run(bird.brands.poll_brand, query)
    assert rejected.status == "REJECTED"
    assert rejected.reason == "The EIN does not match the legal company name on record. (code TCR-1001)"


async def test_vetting_reasons_and_campaign_rejection_are_read(bird):
    brand_id = await approved_brand(bird)
    vetting = await bird.run(
        bird.brands.create_vetting, CreateVettingInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["vetting"])
    )
    await bird.review("vetting", vetting.id, "fail")
    seen = await bird.run(bird.brands.get_vetting, VettingQuery(workspace_id=WS, brand_id=brand_id, vetting_id=vetting.id))
    assert seen.status == "FAILED" and "The vetting provider returned an error." in seen.reason
    campaign = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", campaign.id, "decline")
    got = await bird.run(
        bird.campaigns.get_campaign, CampaignQuery(workspace_id=WS, brand_id=brand_id, campaign_id=campaign.id)
    )
    assert got.status == "DECLINED" and got.reason.startswith("The sample messages do not match")


async def test_a_body_bird_would_refuse_is_not_sent(bird):
    bad = {**EXAMPLE["campaign"], "description": "too short", "samples": []}
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id="b", body=bad))
    assert caught.value.type == INVALID_REQUEST and caught.value.non_retryable
    assert set(caught.value.details[0]["field_errors"]) == {"description", "samples"}
    assert await bird.ledger() == {}


async def test_birds_422_is_final_with_its_field_errors(bird):
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    # the brand is still PENDING: Bird refuses a campaign for it
    with pytest.raises(ApplicationError) as caught:
        await bird.run(
            bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand.id, body=EXAMPLE["campaign"])
        )
    error = caught.value
    assert error.type == BIRD_REJECTED and error.non_retryable
    details = error.details[0]
    assert details["status"] == 422 and details["operation"] == "create_campaign"
    assert "brandId" in details["field_errors"]
    await settle(bird.app)


async def test_a_wrong_access_key_is_final_and_never_echoed():
    app = create_app(SandboxConfig.instant())
    async with running(app), bird_client(app, access_key="not-the-key-1234") as client:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                BrandActivities(client).get_brand, BrandQuery(workspace_id=WS, brand_id="x")
            )
    assert caught.value.type == BIRD_REJECTED and caught.value.details[0]["status"] == 401
    assert "not-the-key-1234" not in str(caught.value) and "not-the-key-1234" not in json.dumps(caught.value.details)
