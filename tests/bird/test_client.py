"""BirdClient on httpx.MockTransport: each method's verb, path, query, headers and body."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bird.client import USER_AGENT, BirdClient
from bird.errors import BirdNetworkError, BirdNotFound
from bird.models import (
    BrandCreate,
    BrandPatch,
    BuyNumbersRequest,
    CampaignCreate,
    CampaignPatch,
    ConnectorCreate,
    StockItemQuery,
    VettingCreate,
    WebhookSubscriptionCreate,
)

WS = "11111111-1111-4111-8111-111111111111"
ORG = "22222222-2222-4222-8222-222222222222"
BRAND = "33333333-3333-4333-8333-333333333333"
UUID = "44444444-4444-4444-8444-444444444444"

BRAND_BODY = dict(
    entityType="PRIVATE_PROFIT", displayName="ABC Mobile", companyName="ABC Inc.", ein="111111111",
    einIssuingCountry="US", phone="+12024567890", street="123 6th Ave", city="New York", state="NY",
    postalCode="10001", country="US", email="johndoe@abc.com", website="https://example.com",
)  # fmt: skip
CAMPAIGN_BODY = dict(
    name="Reminders", usecase="ACCOUNT_NOTIFICATION",
    description="Appointment reminders for customers who booked a visit online.",
    samples=["ABC: your visit is tomorrow at 10am. Reply STOP to opt out."],
    messageFlow="Customers opt in with an unticked checkbox on the booking form.",
    helpMessage="ABC: help at help@abc.com. Reply STOP to opt out.", termsAndConditions=True,
)  # fmt: skip


class Recorder:
    """A MockTransport handler that records requests and answers from a queue."""

    def __init__(self, *responses: httpx.Response | dict[str, Any]) -> None:
        self.requests: list[httpx.Request] = []
        self._responses = list(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._responses.pop(0) if self._responses else {}
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def client_for(recorder: Recorder, **kw: Any) -> BirdClient:
    return BirdClient("secret-key", base_url="https://bird.test", transport=httpx.MockTransport(recorder), **kw)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


async def test_every_request_carries_the_access_key_and_user_agent():
    rec = Recorder({"id": BRAND, "status": "PENDING"})
    await client_for(rec).get_brand(WS, BRAND)
    assert rec.last.headers["authorization"] == "AccessKey secret-key"
    assert rec.last.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("bird-10dlc/")


def test_a_missing_access_key_is_refused_up_front():
    with pytest.raises(ValueError, match="BIRD_ACCESS_KEY"):
        BirdClient("")


# (method call, expected verb, expected path, expected body or None, canned response)
CASES = [
    (lambda c: c.buy_numbers(WS, BuyNumbersRequest(number_stock_item_ids=[UUID])),
     "POST", f"/workspaces/{WS}/numbers-long-code", {"numberStockItemIds": [UUID]},
     {"results": [{"id": UUID, "numberString": "+14155550100"}]}),
    (lambda c: c.create_brand(WS, BrandCreate.model_validate(BRAND_BODY)),
     "POST", f"/workspaces/{WS}/tcr-brands", BRAND_BODY, {"id": BRAND, "status": "PENDING"}),
    (lambda c: c.get_brand(WS, BRAND), "GET", f"/workspaces/{WS}/tcr-brands/{BRAND}", None, {"id": BRAND}),
    (lambda c: c.update_brand(WS, BRAND, BrandPatch(ein="222222222", website="https://abc.example.com")),
     "PATCH", f"/workspaces/{WS}/tcr-brands/{BRAND}", {"ein": "222222222", "website": "https://abc.example.com"},
     {"id": BRAND, "status": "PENDING"}),
    (lambda c: c.create_vetting(WS, BRAND, VettingCreate.model_validate({"class": "STANDARD", "vettingProviderId": "AEGIS"})),
     "POST", f"/workspaces/{WS}/tcr-brands/{BRAND}/vettings", {"class": "STANDARD", "vettingProviderId": "AEGIS"},
     {"id": UUID, "status": "PENDING"}),
    (lambda c: c.get_vetting(WS, BRAND, UUID), "GET", f"/workspaces/{WS}/tcr-brands/{BRAND}/vettings/{UUID}", None, {"id": UUID}),
    (lambda c: c.create_campaign(WS, BRAND, CampaignCreate.model_validate(CAMPAIGN_BODY)),
     "POST", f"/workspaces/{WS}/tcr-brands/{BRAND}/campaigns", CAMPAIGN_BODY, {"id": UUID, "status": "PENDING"}),
    (lambda c: c.get_campaign(WS, BRAND, UUID), "GET", f"/workspaces/{WS}/tcr-brands/{BRAND}/campaigns/{UUID}", None, {"id": UUID}),
    (lambda c: c.patch_campaign(WS, BRAND, UUID, CampaignPatch(samples=["ABC: new sample text. Reply STOP to opt out."])),
     "PATCH", f"/workspaces/{WS}/tcr-brands/{BRAND}/campaigns/{UUID}",
     {"samples": ["ABC: new sample text. Reply STOP to opt out."]}, {"id": UUID, "status": "PENDING"}),
    (lambda c: c.create_connector(WS, ConnectorCreate(name="SMS", connector_template_ref="sms-messagebird:1",
                                                       arguments={"phoneNumberId": UUID})),
     "POST", f"/workspaces/{WS}/connectors",
     {"name": "SMS", "connectorTemplateRef": "sms-messagebird:1", "arguments": {"phoneNumberId": UUID}},
     {"id": UUID, "name": "SMS", "createdAt": "2024-10-22T10:10:58.936Z"}),
    (lambda c: c.get_connector(WS, UUID), "GET", f"/workspaces/{WS}/connectors/{UUID}", None, {"id": UUID, "name": "SMS"}),
    (lambda c: c.get_connector_readiness(WS, UUID), "GET", f"/workspaces/{WS}/connectors/{UUID}/status", None, {}),
    (lambda c: c.create_webhook_subscription(ORG, WS, WebhookSubscriptionCreate(
        service="numbers", event="10dlc.brand", url="https://relay.example.com/webhooks/bird", signing_key="k")),
     "POST", f"/organizations/{ORG}/workspaces/{WS}/webhook-subscriptions",
     {"service": "numbers", "event": "10dlc.brand", "url": "https://relay.example.com/webhooks/bird", "signingKey": "k"},
     {"id": UUID, "service": "numbers", "event": "10dlc.brand", "url": "https://relay.example.com/webhooks/bird"}),
]  # fmt: skip


@pytest.mark.parametrize("call, verb, path, expected_body, answer", CASES, ids=[c[2] + ":" + c[1] for c in CASES])
async def test_single_object_calls(call, verb, path, expected_body, answer):
    rec = Recorder(answer)
    result = await call(client_for(rec))
    assert rec.last.method == verb
    assert rec.last.url.path == path
    if expected_body is None:
        assert rec.last.content == b""
    else:
        assert rec.last.headers["content-type"] == "application/json"
        assert body(rec.last) == expected_body
    assert result is not None and not isinstance(result, dict)


LISTS = [
    (lambda c: c.list_numbers(WS), f"/workspaces/{WS}/numbers-long-code", {"id": UUID, "numberString": "+1415"}),
    (lambda c: c.list_brands(WS), f"/workspaces/{WS}/tcr-brands", {"id": BRAND}),
    (lambda c: c.list_vettings(WS, BRAND), f"/workspaces/{WS}/tcr-brands/{BRAND}/vettings", {"id": UUID}),
    (lambda c: c.list_resellers(WS), f"/workspaces/{WS}/tcr-resellers",
     {"companyName": "R", "phone": "+1", "email": "r@r.com"}),
    (lambda c: c.list_campaigns(WS, BRAND), f"/workspaces/{WS}/tcr-brands/{BRAND}/campaigns", {"id": UUID}),
    (lambda c: c.list_connectors(WS), f"/workspaces/{WS}/connectors", {"id": UUID, "name": "SMS"}),
    (lambda c: c.list_webhook_subscriptions(ORG, WS), f"/organizations/{ORG}/workspaces/{WS}/webhook-subscriptions",
     {"id": UUID, "service": "numbers", "event": "10dlc.brand", "url": "https://r.example.com"}),
]  # fmt: skip


@pytest.mark.parametrize("call, path, item", LISTS, ids=[c[1] for c in LISTS])
async def test_list_calls_follow_every_page(call, path, item):
    rec = Recorder(
        {"results": [item, item], "nextPageToken": "p2"},
        {"results": [item], "nextPageToken": "p3"},
        {"results": [item]},
    )
    results = await call(client_for(rec))
    assert len(results) == 4
    assert [r.method for r in rec.requests] == ["GET"] * 3
    assert all(r.url.path == path for r in rec.requests)
    assert [r.url.params.get("pageToken") for r in rec.requests] == [None, "p2", "p3"]
    assert all(r.url.params["limit"] == "99" for r in rec.requests)


async def test_stock_items_send_the_filters_and_follow_pages():
    item = {
        "id": UUID, "countryCode": "US", "type": "local", "numberString": "+14155550100",
        "capabilities": {k: {"inbound": True, "outbound": True} for k in ("voice", "sms", "mms")},
        "monthlyPrice": {"currencyCode": "USD", "amount": 115, "exponent": -2},
    }  # fmt: skip
    rec = Recorder({"results": [item], "nextPageToken": "next"}, {"results": [item]})
    query = StockItemQuery(country_codes=["US"], types=["local"], features=["sms-outbound"], prefix="+1415")
    items = await client_for(rec).list_stock_items(ORG, query)
    assert [i.number_string for i in items] == ["+14155550100"] * 2
    assert items[0].monthly_price.value == pytest.approx(1.15)
    first, second = rec.requests
    assert first.url.path == f"/organizations/{ORG}/numbers-stock-items"
    assert first.url.params.get_list("countryCodes") == ["US"]
    assert first.url.params.get_list("types") == ["local"]
    assert first.url.params.get_list("features") == ["sms-outbound"]
    assert first.url.params["prefix"] == "+1415"
    assert "pageToken" not in first.url.params
    assert second.url.params["pageToken"] == "next"
    assert second.url.params["prefix"] == "+1415"


async def test_readiness_path_is_a_configurable_template():
    rec = Recorder({"checks": [{"name": "useCaseStatus", "status": "ok", "assertions": []}]})
    client = client_for(rec, readiness_path="/custom/{workspaceId}/c/{connectorId}/ready")
    readiness = await client.get_connector_readiness(WS, UUID)
    assert rec.last.url.path == f"/custom/{WS}/c/{UUID}/ready"
    assert readiness.ready


async def test_responses_keep_fields_bird_adds():
    rec = Recorder({"id": BRAND, "status": "APPROVED", "brandScore": 87, "identityStatus": "VERIFIED"})
    brand = await client_for(rec).get_brand(WS, BRAND)
    assert brand.status == "APPROVED"
    assert brand.model_extra == {"brandScore": 87, "identityStatus": "VERIFIED"}


async def test_an_empty_2xx_body_is_an_empty_model_not_a_crash():
    rec = Recorder(httpx.Response(200))
    readiness = await client_for(rec).get_connector_readiness(WS, UUID)
    assert readiness.use_case_check() is None and not readiness.ready


async def test_the_observer_hears_every_call_with_its_outcome():
    heard: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/boom"):
            raise httpx.ConnectError("refused")
        return httpx.Response(404 if "missing" in request.url.path else 200, json={"id": "x"})

    client = BirdClient("k", base_url="https://bird.test", transport=httpx.MockTransport(answer),
                        observer=lambda op, outcome: heard.append((op, outcome)))  # fmt: skip
    await client.get_brand(WS, BRAND)
    with pytest.raises(BirdNotFound):
        await client.get_brand(WS, "missing")
    with pytest.raises(BirdNetworkError):
        await client.get_brand(WS, "boom")
    assert heard == [("get_brand", "200"), ("get_brand", "404"), ("get_brand", "network_error")]
