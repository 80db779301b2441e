"""A fixed set of malformed requests over every sandbox route: each is a 4xx naming the field at
fault in `details.errors`, never a 5xx.

What each answer is (sandbox/bodies.py): 400 for JSON that does not parse or nests deeper than
`MAX_JSON_DEPTH`, 415 for a declared non-JSON body, 413 past `MAX_BODY_BYTES`, 422 for the rest
(a wrong type, enum, length or query filter), 404 for an id that names nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bird.errors import field_errors_from
from sandbox import DEFAULT_ACCESS_KEY, SandboxConfig, create_app
from sandbox.bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH
from sandbox.testing import BASE_URL, bird_client, running, settle
from tests.sandbox.helpers import (
    BRAND,
    CAMPAIGN,
    ORG,
    RELAY_URL,
    WS,
    Receiver,
    approved_brand,
    buy_number,
    campaign_body,
    connector_body,
)

AUTH = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
NOT_STRINGS = [{}, [], 12, None, True]


@dataclass
class World:
    """Real objects to point path parameters at, and a raw client (5xx answered, not raised)."""

    http: httpx.AsyncClient
    ids: dict[str, str]

    def path(self, template: str, **changes: str) -> str:
        return template.format(**{**self.ids, **changes})


@pytest.fixture(scope="module")
async def world():
    receiver = Receiver()
    app = create_app(SandboxConfig.instant(), delivery_transport=receiver.transport)
    async with running(app):
        async with bird_client(app) as bird:
            brand = await approved_brand(app, bird)
            campaign = await bird.create_campaign(WS, brand.id, campaign_body())
            await settle(app)
            number = await buy_number(bird)
            connector = await bird.create_connector(WS, connector_body(number.id, campaign.id))
            stock = await bird._send("list_stock_items", "GET", f"/organizations/{ORG}/numbers-stock-items")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            vetting = await http.post(f"/workspaces/{WS}/tcr-brands/{brand.id}/vettings",
                                      json={"class": "STANDARD"}, headers=AUTH)  # fmt: skip
            assert vetting.status_code == 201, vetting.text
            yield World(
                http,
                {
                    "organizationId": ORG,
                    "workspaceId": WS,
                    "brandId": brand.id,
                    "campaignId": campaign.id,
                    "connectorId": connector.id,
                    "vettingId": vetting.json()["id"],
                    "kind": "brand",
                    "object_id": brand.id,
                    "stock": stock["results"][0]["id"],
                },
            )


@dataclass(frozen=True)
class BodyRoute:
    method: str
    path: str
    body: dict[str, Any]  # a valid body ("{stock}" is replaced by a real stock item id)
    string_field: str  # a field that takes a string (dotted path)
    enum_field: str | None = None  # a field whose value must be one of a list
    long_field: str | None = None  # a string field with a maxLength


SUBSCRIPTION = {"service": "numbers", "event": "number.purchased", "url": RELAY_URL}
CONNECTOR = {"name": "SMS", "connectorTemplateRef": "sms-messagebird:1", "arguments": {"channelMessageType": "transactional"}}
BODY_ROUTES = {
    "buy_numbers": BodyRoute("POST", "/workspaces/{workspaceId}/numbers-long-code",
                             {"numberStockItemIds": ["{stock}"]}, "numberStockItemIds.0"),
    "create_brand": BodyRoute("POST", "/workspaces/{workspaceId}/tcr-brands", BRAND, "displayName", "entityType", "displayName"),
    "update_brand": BodyRoute("PATCH", "/workspaces/{workspaceId}/tcr-brands/{brandId}", {}, "city", "entityType", "city"),
    "create_vetting": BodyRoute("POST", "/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings",
                                {"class": "STANDARD"}, "vettingProviderId", "class"),
    "create_campaign": BodyRoute("POST", "/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns",
                                 CAMPAIGN, "name", "termsAndConditions", "description"),
    "patch_campaign": BodyRoute("PATCH", "/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns/{campaignId}",
                                {}, "helpMessage", "termsAndConditions", "helpMessage"),
    "create_connector": BodyRoute("POST", "/workspaces/{workspaceId}/connectors", CONNECTOR, "name"),
    "create_webhook_subscription": BodyRoute("POST", "/organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions",
                                             SUBSCRIPTION, "service", "service", "url"),
    "put_scenario": BodyRoute("PUT", "/_sandbox/scenario", {"brand": [{"outcome": "approve"}]},
                              "brand.0.outcome", "brand.0.outcome", "brand.0.score"),
    "add_override": BodyRoute("POST", "/_sandbox/scenario/overrides",
                              {"kind": "brand", "reviews": [{"outcome": "reject"}]}, "kind", "kind"),
    "review": BodyRoute("POST", "/_sandbox/objects/{kind}/{object_id}/review", {"outcome": "approve"}, "outcome", "outcome"),
    "put_faults": BodyRoute("PUT", "/_sandbox/faults", {"routes": {"create_brand": {"sequence": ["503"]}}},
                            "routes.create_brand.sequence.0", "routes.create_brand.sequence.0"),
    "put_delivery_routes": BodyRoute("PUT", "/_sandbox/delivery-routes", {"*": "http://127.0.0.1:9/x"}, "*"),
    "put_rate_limit": BodyRoute("PUT", "/_sandbox/rate-limit", {"perSecond": 5}, ""),  # numbers: see test_fleet.py
    "sell_stock": BodyRoute("POST", "/_sandbox/stock/sell", {"prefix": "+1415", "count": 1}, "buyer", None, "buyer"),
    "reset": BodyRoute("POST", "/_sandbox/reset", {}, ""),  # takes no body: only the JSON checks apply
}  # fmt: skip

STOCK = "/organizations/{organizationId}/numbers-stock-items"
PAGINATION = [({"limit": "0"}, "limit"), ({"limit": "100"}, "limit"), ({"limit": "ten"}, "limit"),
              ({"limit": "9" * 5000}, "limit"), ({"limit": "{}"}, "limit"),
              ({"pageToken": "nonsense"}, "pageToken"), ({"pageToken": "x" * 8001}, "pageToken")]  # fmt: skip
QUERY_ROUTES = {
    "list_stock_items": (STOCK, [
        ({"countryCodes": "{}"}, "countryCodes.0"), ({"countryCodes": "[]"}, "countryCodes.0"),
        ({"countryCodes": "usa"}, "countryCodes.0"), ({"countryCodes": "12"}, "countryCodes.0"),
        ({"countryCodes": "US", "prefix": "abc"}, "prefix"), ({"countryCodes": "US", "prefix": "+1-415"}, "prefix"),
        ({"countryCodes": "US", "prefix": "4" * 300}, "prefix"), ({"prefix": "415"}, "prefix"),
        ({"types": "landline"}, "types.0"), ({"features": "fax"}, "features.0"), ({"testing": "maybe"}, "testing"),
    ]),
    "list_resellers": ("/workspaces/{workspaceId}/tcr-resellers", [({"reverse": "sometimes"}, "reverse")]),
    "list_numbers": ("/workspaces/{workspaceId}/numbers-long-code", []),
    "list_brands": ("/workspaces/{workspaceId}/tcr-brands", []),
    "list_vettings": ("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings", []),
    "list_campaigns": ("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns", []),
    "list_connectors": ("/workspaces/{workspaceId}/connectors", []),
    "list_webhook_subscriptions": ("/organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions", []),
}  # fmt: skip
# Routes that take only ids in their path: an unknown (or absurdly long) id is a 404 naming what it
# should have named. (path, the parameter made unknown, what the 404 names)
ID_ROUTES = [
    ("/workspaces/{workspaceId}/tcr-brands/{brandId}", "brandId", "brand"),
    ("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings/{vettingId}", "vettingId", "vetting"),
    ("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns/{campaignId}", "campaignId", "campaign"),
    ("/workspaces/{workspaceId}/connectors/{connectorId}", "connectorId", "connector"),
    ("/workspaces/{workspaceId}/connectors/{connectorId}/status", "connectorId", "connector"),
    ("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings", "brandId", "brand"),
    ("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns", "brandId", "brand"),
    ("/workspaces/{workspaceId}/numbers-long-code", "workspaceId", "workspace"),
    ("/organizations/{organizationId}/numbers-stock-items", "organizationId", "organization"),
    ("/_sandbox/objects/{kind}/{object_id}/review", "object_id", "brand"),
]
# Control routes that take no input at all (unknown query parameters are ignored, as everywhere).
NO_INPUT = {"/_sandbox/health", "/_sandbox/requests", "/_sandbox/scenario", "/_sandbox/objects", "/_sandbox/pending",
            "/_sandbox/faults", "/_sandbox/ledger", "/_sandbox/deliveries", "/_sandbox/delivery-routes",
            "/_sandbox/stats", "/_sandbox/rate-limit"}  # fmt: skip


def fields_of(response: httpx.Response) -> dict[str, list[str]]:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text}"
    body = response.json()
    assert len(body["code"]) >= 5 and len(body["message"]) >= 5, body  # Bird's Error needs both
    return field_errors_from(body.get("details"))


def names(response: httpx.Response, field: str) -> bool:
    return any(f == field or f.startswith(field + ".") for f in fields_of(response))


def set_at(body: Any, dotted: str, value: Any) -> Any:
    body = copy.deepcopy(body)
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def test_every_route_of_the_sandbox_is_covered():
    served = {(method.upper(), path) for path, item in create_app().openapi()["paths"].items() for method in item}
    covered = {(route.method, route.path) for route in BODY_ROUTES.values()}
    covered |= {("GET", path) for path, _ in QUERY_ROUTES.values()} | {("GET", path) for path in NO_INPUT}
    covered |= {("POST" if "review" in path else "GET", path) for path, _, _ in ID_ROUTES}
    covered |= {("DELETE", "/_sandbox/faults"), ("DELETE", "/_sandbox/rate-limit")}  # take nothing, not even a body
    assert served - covered == set(), "routes without malformed cases"


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
async def test_json_that_does_not_parse_is_400(world, route):
    spec = BODY_ROUTES[route]
    for raw in (b"{not json", b'{"a": 1,}', b"\xff\xfe{}", b"[1, 2", b"NaN-ish"):
        response = await world.http.request(spec.method, world.path(spec.path), content=raw,
                                             headers={**AUTH, "Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 400 and names(response, "(body)"), response.text
        assert response.json()["code"] == "InvalidJSON"


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
async def test_json_nested_too_deep_is_400(world, route):
    spec = BODY_ROUTES[route]
    deep_list = "[" * 5000 + "]" * 5000
    deep_object = '{"x":' * 5000 + "1" + "}" * 5000
    for raw in (deep_list, deep_object):
        response = await world.http.request(spec.method, world.path(spec.path), content=raw,
                                            headers={**AUTH, "Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 400 and names(response, "(body)"), response.text
        assert response.json()["code"] == "JSONTooDeep"
    # Past the cap but parseable: the field that holds it is named.
    nested: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH + 1):
        nested = [nested]
    response = await world.http.request(spec.method, world.path(spec.path), json={"deep": nested}, headers=AUTH)
    assert response.status_code == 400 and names(response, "deep"), response.text


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
async def test_a_body_that_is_not_json_is_415_and_a_huge_one_413(world, route):
    spec = BODY_ROUTES[route]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = await world.http.request(spec.method, world.path(spec.path), content=b"{}",
                                             headers={**AUTH, "Content-Type": content_type})  # fmt: skip
        assert response.status_code == 415 and names(response, "Content-Type"), response.text
    huge = {"padding": "x" * (MAX_BODY_BYTES + 1)}
    response = await world.http.request(spec.method, world.path(spec.path), json=huge, headers=AUTH)
    assert response.status_code == 413 and names(response, "(body)"), response.text


@pytest.mark.parametrize("route", sorted(r for r in BODY_ROUTES if BODY_ROUTES[r].string_field))
async def test_a_non_string_where_a_string_is_expected_is_422_naming_it(world, route):
    spec = BODY_ROUTES[route]
    body = set_at(spec.body, "numberStockItemIds.0", world.ids["stock"]) if route == "buy_numbers" else spec.body
    for value in NOT_STRINGS:
        wrong = set_at(body, spec.string_field, value)
        response = await world.http.request(spec.method, world.path(spec.path), json=wrong, headers=AUTH)
        assert response.status_code == 422 and names(response, spec.string_field), (value, response.text)
    for value in ([], "brand", 7, None):  # bodies that are not objects
        response = await world.http.request(spec.method, world.path(spec.path), json=value, headers=AUTH)
        if route == "reset":
            continue  # takes no body, so ignores a parseable one
        assert response.status_code == 422, (value, response.text)


@pytest.mark.parametrize("route", sorted(r for r in BODY_ROUTES if BODY_ROUTES[r].enum_field))
async def test_a_value_outside_an_enum_is_422_naming_it(world, route):
    spec = BODY_ROUTES[route]
    for value in ("NOT_A_VALUE", "approve " * 3, "é"):
        wrong = set_at(spec.body, spec.enum_field, value)
        response = await world.http.request(spec.method, world.path(spec.path), json=wrong, headers=AUTH)
        assert response.status_code == 422 and names(response, spec.enum_field), (value, response.text)


@pytest.mark.parametrize("route", sorted(r for r in BODY_ROUTES if BODY_ROUTES[r].long_field))
async def test_a_string_over_its_max_length_is_422_naming_it(world, route):
    spec = BODY_ROUTES[route]
    wrong = set_at(spec.body, spec.long_field, "7" * 100_000)
    response = await world.http.request(spec.method, world.path(spec.path), json=wrong, headers=AUTH)
    assert response.status_code == 422 and names(response, spec.long_field), response.text


@pytest.mark.parametrize("route", sorted(QUERY_ROUTES))
async def test_bad_query_parameters_are_422_naming_them(world, route):
    path, cases = QUERY_ROUTES[route]
    for params, field in [*PAGINATION, *cases]:
        response = await world.http.get(world.path(path), params=params, headers=AUTH)
        assert response.status_code == 422 and names(response, field), (params, response.text)
    ok = await world.http.get(world.path(path), params={"unknown": "ignored", "limit": "1"}, headers=AUTH)
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(("template", "param", "what"), ID_ROUTES, ids=[p for _, p, _ in ID_ROUTES])
async def test_ids_that_name_nothing_are_404(world, template, param, what):
    method, body = ("POST", {"outcome": "approve"}) if "review" in template else ("GET", None)
    for ident in ("00000000-0000-4000-8000-000000000000", "x" * 5000, "%7B%7D", "..%2F..%2Fetc"):
        response = await world.http.request(method, world.path(template, **{param: ident}), json=body, headers=AUTH)
        assert response.status_code == 404, (ident[:40], response.text)
        assert what in response.json()["message"], response.text


async def test_a_review_of_an_unknown_kind_is_422_naming_it(world):
    response = await world.http.post(world.path("/_sandbox/objects/planet/{brandId}/review"),
                                     json={"outcome": "approve"})  # fmt: skip
    assert response.status_code == 422 and names(response, "kind"), response.text


@pytest.mark.parametrize("path", sorted(NO_INPUT))
async def test_routes_without_input_ignore_junk_query_parameters(world, path):
    response = await world.http.get(path, params={"limit": "{}", "x" * 100: "[" * 1000})
    assert response.status_code == 200, response.text
