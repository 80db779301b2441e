"""Warnings only Bird can give before start, against the in-process sandbox: stock for a prefix
(empty, short, unreadable) and a brand or campaign already in the workspace, named with its id and
the field that reuses it."""

from __future__ import annotations

from bird.models.brands import BrandCreate
from bird.models.campaigns import CampaignCreate
from sandbox import SandboxConfig, create_app
from sandbox.config import DEFAULT_ORGANIZATION_ID as ORG, DEFAULT_WORKSPACE_ID as WS
from sandbox.testing import bird_client, running, settle
from starter.start import prepare_data
from starter.workspace_checks import reuse_warnings, stock_warnings
from tests.starter.test_start import IDS
from tests.workflows.helpers import request_data


def request(**changes):
    settings = IDS.model_copy(update={"bird_workspace_id": WS, "bird_organization_id": ORG})
    return prepare_data(request_data(**changes), "fleet.jsonl:1", settings)


async def test_stock_empty_short_and_plenty():
    app = create_app(SandboxConfig.instant(stock_per_area_code={"415": 2}, area_codes=["628"]))
    async with running(app), bird_client(app) as bird:
        three = [(f"fleet.jsonl:{i}", request(number={"country_code": "US", "prefix": "+1415"})) for i in (1, 2, 3)]
        warnings = await stock_warnings(bird, three)
        assert [(w.source, w.field, w.rule_id) for w in warnings] == [("fleet.jsonl:3", "number.prefix", "STOCK_SHORT")]
        assert "2 numbers with prefix +1415 in stock for 3 requests" in warnings[0].message
        assert await stock_warnings(bird, three[:2]) == []
        none = [("a.json", request(number={"country_code": "US", "prefix": "+1999"}))]
        (empty,) = await stock_warnings(bird, none)
        assert empty.rule_id == "STOCK_EMPTY" and "prefix +1999" in empty.message


async def test_unreadable_stock_is_a_warning_not_a_refusal():
    app = create_app(SandboxConfig.instant())
    async with running(app), bird_client(app, access_key="wrong-key") as bird:
        (warning,) = await stock_warnings(bird, [("a.json", request())])
    assert warning.rule_id == "STOCK_UNREADABLE" and "cannot be read" in warning.message


async def test_a_brand_with_the_same_ein_and_its_campaign_are_named_with_the_field_to_reuse():
    app = create_app(SandboxConfig.instant())
    async with running(app), bird_client(app) as bird:
        new = request()
        assert await reuse_warnings(bird, [("a.json", new)]) == []
        brand = await bird.create_brand(WS, BrandCreate.model_validate(new.brand))
        await settle(app)
        campaign = await bird.create_campaign(WS, brand.id, CampaignCreate.model_validate(new.campaign))
        await settle(app)
        warnings = await reuse_warnings(bird, [("a.json", new)])
    by_rule = {w.rule_id: w for w in warnings}
    assert by_rule["BRAND_EXISTS"].field == "brand.ein"
    assert f'"brand": {{"brand_id": "{brand.id}"}}' in by_rule["BRAND_EXISTS"].message
    assert by_rule["CAMPAIGN_EXISTS"].field == "campaign.name"
    assert f'"campaign": {{"campaign_id": "{campaign.id}"}}' in by_rule["CAMPAIGN_EXISTS"].message
