"""The sandbox is as strict as Bird's OpenAPI: the request examples (generated from every fragment,
and those printed in Bird's guide) are answered 2xx, and each broken variant 422 naming its field
in Bird's `ValidationError` body, which `bird/errors.py` reads back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bird.errors import field_errors_from
from sandbox import DEFAULT_ACCESS_KEY
from sandbox.config import DEFAULT_RESELLER_ID
from sandbox.testing import bird_client, control_client, settle
from sandbox.validation import QUERIES, REQUEST_BODIES, response_validator
from tests.bird.guide_examples import GUIDE_BRAND, GUIDE_CAMPAIGN, GUIDE_VETTING
from tests.bird.openapi_walk import broken_variants, example, load, query_schema, request_schema
from tests.sandbox.helpers import BRAND, ORG, RELAY_URL, WS, approved_brand, buy_number, campaign_body

AUTH = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
ROUTES = {
    "buy_numbers": ("POST", "/workspaces/{ws}/numbers-long-code"),
    "create_brand": ("POST", "/workspaces/{ws}/tcr-brands"),
    "create_vetting": ("POST", "/workspaces/{ws}/tcr-brands/{brand}/vettings"),
    "create_campaign": ("POST", "/workspaces/{ws}/tcr-brands/{brand}/campaigns"),
    "create_connector": ("POST", "/workspaces/{ws}/connectors"),
    "create_webhook_subscription": ("POST", "/organizations/{org}/workspaces/{ws}/webhook-subscriptions"),
    "list_stock_items": ("GET", "/organizations/{org}/numbers-stock-items"),
    "list_resellers": ("GET", "/workspaces/{ws}/tcr-resellers"),
}
FILES = {**{op: file for op, (file, _) in REQUEST_BODIES.items()}, **QUERIES}


class Api:
    """Raw requests to the sandbox (the models would refuse the broken ones before sending)."""

    def __init__(self, app: Any, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http
        self.brand_id = ""

    async def setup(self) -> None:
        async with bird_client(self.app) as bird:
            self.brand_id = (await approved_brand(self.app, bird)).id

    async def send(self, operation: str, body: Any) -> httpx.Response:
        method, template = ROUTES[operation]
        path = template.format(ws=WS, org=ORG, brand=self.brand_id)
        if method == "GET":
            return await self.http.get(path, params=body, headers=AUTH)
        return await self.http.request(method, path, json=body, headers=AUTH)

    async def make_valid(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the example's placeholders with things that exist in this sandbox."""
        body = dict(body)
        async with bird_client(self.app) as bird:
            if operation == "buy_numbers":
                stock = (await self.http.get(f"/organizations/{ORG}/numbers-stock-items", headers=AUTH)).json()
                body["numberStockItemIds"] = [stock["results"][0]["id"]]
            elif operation == "create_campaign" and "resellerId" in body:
                body["resellerId"] = DEFAULT_RESELLER_ID
            elif operation == "create_connector":
                number = await buy_number(bird)
                campaign = await bird.create_campaign(WS, self.brand_id, campaign_body())
                await settle(self.app)
                body["connectorTemplateRef"] = "sms-messagebird:1"
                body["arguments"] = {
                    "phoneNumberId": number.id,
                    "useCaseId": campaign.id,
                    "channelMessageType": "transactional",
                }
            elif operation in QUERIES:
                body.pop("pageToken", None)  # only tokens the sandbox handed out are valid
                # a generated example string is no country code (format iso3166-1) nor prefix digits
                if "countryCodes" in body:
                    body["countryCodes"] = ["US"]
                if "prefix" in body:
                    body["prefix"] = "+1415"
        return body


@pytest.fixture
async def api(app) -> Api:
    async with control_client(app) as http:
        api = Api(app, http)
        await api.setup()
        yield api


def schema_of(operation: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return query_schema if operation in QUERIES else request_schema


@pytest.mark.parametrize("full", [False, True], ids=["required-only", "every-field"])
@pytest.mark.parametrize("operation", sorted(ROUTES))
async def test_the_openapi_examples_are_accepted(api, operation, full):
    spec = load(FILES[operation])
    body = await api.make_valid(operation, example(spec, schema_of(operation)(spec), full=full))
    response = await api.send(operation, body)
    assert response.status_code in (200, 201), response.text


def _variants():
    for operation in sorted(ROUTES):
        spec = load(FILES[operation])
        for variant in broken_variants(spec, schema_of(operation)(spec)):
            if operation in QUERIES and variant.why == "too few items":
                continue  # an empty array cannot be written in a query string: it is simply absent
            yield pytest.param(operation, variant, id=f"{operation}:{variant.field}:{variant.why}")


@pytest.mark.parametrize("operation, variant", list(_variants()))
async def test_each_broken_variant_is_422_naming_the_field(api, operation, variant):
    response = await api.send(operation, variant.body)
    assert response.status_code == 422, response.text
    body = response.json()
    response_validator("create-campaign.json", "ValidationError").validate(body)
    blamed = {field.split(".")[0] for field in field_errors_from(body["details"])}
    assert variant.field in blamed, f"{variant.why}: {body}"
    assert variant.field in body["message"]


# --- the request examples printed in Bird's guide (Bird's US 10DLC API Installation guide)


async def test_the_guides_brand_and_vetting_examples_are_accepted(api):
    brand = await api.send("create_brand", GUIDE_BRAND)
    assert brand.status_code == 201, brand.text
    api.brand_id = brand.json()["id"]
    vetting = await api.send("create_vetting", GUIDE_VETTING)
    assert vetting.status_code == 201, vetting.text


async def test_the_guides_brand_template_of_empty_strings_is_refused(api):
    response = await api.send("create_brand", {name: "" for name in GUIDE_BRAND})
    assert response.status_code == 422
    # "" is in Bird's entityType enum; every other required string has minLength 1
    assert set(field_errors_from(response.json()["details"])) == set(GUIDE_BRAND) - {"entityType"}


async def test_the_guides_campaign_example_is_refused_for_its_short_description(api):
    response = await api.send("create_campaign", GUIDE_CAMPAIGN)
    assert response.status_code == 422
    errors = field_errors_from(response.json()["details"])
    assert errors == {"description": ["must be at least 40 characters long (got 31)"]}
    fixed = {**GUIDE_CAMPAIGN, "description": GUIDE_CAMPAIGN["description"] + ": reminders for the team's own phones."}
    assert (await api.send("create_campaign", fixed)).status_code == 201


async def test_the_guides_connector_and_webhook_examples_are_accepted(api):
    guide = {"name": "SMS channel", "channelConversationalStatusEnabled": True}
    connector = await api.make_valid("create_connector", guide)
    response = await api.send("create_connector", connector)
    assert response.status_code == 201, response.text
    for event in ("sms.inbound", "sms.outbound"):
        subscription = {
            "signingKey": "my-signing-key",
            "eventFilters": [{"key": "channelId", "value": "123e4567-e89b-12d3-a456-426614174000"}],
            "event": event,
            "service": "channels",
            "url": RELAY_URL,
        }
        assert (await api.send("create_webhook_subscription", subscription)).status_code == 201


async def test_too_many_samples_and_other_campaign_mistakes_are_named_together(api):
    broken = {
        **GUIDE_CAMPAIGN,
        "samples": [f"Sample message number {i}" for i in range(6)],
        "usecase": "X" * 51,
        "termsAndConditions": False,
        "notAField": True,
    }
    del broken["helpMessage"]
    response = await api.send("create_campaign", broken)
    errors = field_errors_from(response.json()["details"])
    assert set(errors) == {"samples", "usecase", "termsAndConditions", "notAField", "helpMessage", "description"}
    assert errors["samples"] == ["must have at most 5 items (got 6)"]
    empty = await api.send("create_campaign", {**GUIDE_CAMPAIGN, "samples": []})
    assert field_errors_from(empty.json()["details"])["samples"] == ["must have at least 1 item (got 0)"]


async def test_a_patch_takes_the_create_fields_each_optional_and_nothing_else(api, control):
    await control.put("/_sandbox/scenario", json={"campaign": {"outcome": "decline"}})
    created = (await api.send("create_campaign", {**GUIDE_CAMPAIGN, "description": "d" * 40})).json()
    await settle(api.app)
    path = f"/workspaces/{WS}/tcr-brands/{api.brand_id}/campaigns/{created['id']}"
    cases = (
        ({"description": "too short"}, "description"),
        ({"status": "APPROVED"}, "status"),
        ({"samples": []}, "samples"),
        ({"termsAndConditions": False}, "termsAndConditions"),
    )
    for body, field in cases:
        response = await api.http.patch(path, json=body, headers=AUTH)
        assert response.status_code == 422 and field in field_errors_from(response.json()["details"])
    ok = await api.http.patch(path, json={"samples": ["A better sample message"]}, headers=AUTH)
    assert ok.status_code == 200 and ok.json()["samples"] == ["A better sample message"]


async def test_a_brand_update_takes_the_create_fields_each_optional(api, control):
    await control.put("/_sandbox/scenario", json={"brand": {"outcome": "reject"}})
    created = (await api.send("create_brand", {**BRAND, "displayName": "Refused Brand"})).json()
    await settle(api.app)
    path = f"/workspaces/{WS}/tcr-brands/{created['id']}"
    cases = (
        ({"displayName": ""}, "displayName"),
        ({"entityType": "PARTNERSHIP"}, "entityType"),
        ({"website": "w" * 101}, "website"),
        ({"businessContactEmail": "not an email"}, "businessContactEmail"),
    )
    for body, field in cases:
        response = await api.http.patch(path, json=body, headers=AUTH)
        assert response.status_code == 422 and field in field_errors_from(response.json()["details"]), response.text
    ok = await api.http.patch(path, json={"ein": "987654321"}, headers=AUTH)
    assert ok.status_code == 200 and ok.json()["ein"] == "987654321" and ok.json()["status"] == "PENDING"


async def test_query_parameters_are_checked(api):
    path = f"/organizations/{ORG}/numbers-stock-items"
    for params, field in (({"limit": "100"}, "limit"), ({"limit": "ten"}, "limit"),
                          ({"countryCodes": "US", "types": "landline"}, "types.0"),
                          ({"testing": "maybe"}, "testing")):  # fmt: skip
        response = await api.http.get(path, params=params, headers=AUTH)
        assert response.status_code == 422 and field in field_errors_from(response.json()["details"]), response.text
    brands = await api.http.get(f"/workspaces/{WS}/tcr-brands", params={"limit": 0}, headers=AUTH)
    assert brands.status_code == 422 and "limit" in brands.json()["message"]
    csv = await api.http.get(path, params={"countryCodes": "US,CA", "types": "local"}, headers=AUTH)
    assert csv.status_code == 200 and len(csv.json()["results"]) == 10


async def test_bodies_that_are_not_json_objects(api):
    raw = await api.http.post(f"/workspaces/{WS}/tcr-brands", content=b"{not json", headers=AUTH)
    assert raw.status_code == 400 and raw.json()["code"] == "InvalidJSON"
    for body in (None, [], "brand"):
        response = await api.send("create_brand", body)
        assert response.status_code == 422 and "(body)" in field_errors_from(response.json()["details"])
